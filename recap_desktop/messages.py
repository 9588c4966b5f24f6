"""The message catalogue for everything outside Qt widgets (CLI, services), in id and en.

The window translates its own strings with Qt (``self.tr``); messages that come from the
services are looked up here so that the CLI and the window say the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LANGS = ("id", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "sheet.rule_line": {"id": "[{rule}] {text}", "en": "[{rule}] {text}"},
    # identity
    "identity.exists": {
        "id": "Sudah ada identitas di {path}. Satu folder data menyimpan satu petugas; gunakan --data-dir lain.",
        "en": "An identity exists already in {path}. One data folder holds one officer; use another --data-dir.",
    },
    "identity.missing": {
        "id": "Belum ada identitas. Jalankan 'recap identity create' atau 'recap demo init' dulu.",
        "en": "There is no identity yet. Run 'recap identity create' or 'recap demo init' first.",
    },
    "identity.bad_role": {
        "id": "Peran '{role}' tidak dikenal: pilih operator, supervisor, chair (ketua) atau witness (saksi).",
        "en": "Role '{role}' is unknown: choose operator, supervisor, chair or witness.",
    },
    "identity.bad_field": {
        "id": "{field} tidak boleh kosong.",
        "en": "{field} must not be empty.",
    },
    "identity.created": {
        "id": "Identitas dibuat untuk {name} ({officer_id}, {role}). Sidik jari kunci: {fingerprint}",
        "en": "Identity made for {name} ({officer_id}, {role}). Key fingerprint: {fingerprint}",
    },
    "identity.uncertified": {
        "id": "Kunci belum disertifikasi oleh otoritas pemilu.",
        "en": "The key is not yet certified by the election authority.",
    },
    "identity.status.certified": {
        "id": "Kunci disertifikasi: catatan Anda dihitung.",
        "en": "The key is certified: your records count.",
    },
    "identity.status.awaiting_certificate": {
        "id": "Kunci belum disertifikasi oleh otoritas pemilu: catatan Anda disimpan tetapi belum dihitung.",
        "en": "The key is not yet certified by the election authority: your records are kept but do not count yet.",
    },
    "identity.status.revoked": {
        "id": "Kunci ini DICABUT oleh otoritas pemilu: ia tidak dapat menandatangani, dan catatannya dihitung hanya bila log server menempatkannya sebelum pencabutan.",
        "en": "This key is REVOKED by the election authority: it cannot sign, and its records count only where the server's log puts them before the revocation.",
    },
    "identity.status.certificate_expired": {
        "id": "Sertifikat kunci ini sudah tidak berlaku: ia tidak dapat menandatangani. Minta sertifikat baru.",
        "en": "This key's certificate has ended: it cannot sign. Ask for a new certificate.",
    },
    "passphrase.short": {
        "id": "Frasa sandi terlalu pendek: minimal {min} karakter.",
        "en": "The passphrase is too short: at least {min} characters.",
    },
    "passphrase.missing": {
        "id": "Frasa sandi diperlukan: gunakan --passphrase-file, RECAP_PASSPHRASE, atau jalankan di terminal.",
        "en": "A passphrase is needed: use --passphrase-file, RECAP_PASSPHRASE, or run it in a terminal.",
    },
    "passphrase.prompt": {"id": "Frasa sandi: ", "en": "Passphrase: "},
    "passphrase.repeat": {"id": "Ulangi frasa sandi: ", "en": "Repeat the passphrase: "},
    "passphrase.mismatch": {
        "id": "Kedua frasa sandi berbeda; tidak ada yang diubah.",
        "en": "The two passphrases differ; nothing was changed.",
    },
    "keystore.wrong_passphrase": {
        "id": "Frasa sandi salah. Coba lagi; kunci tetap terkunci.",
        "en": "The passphrase is wrong. Try again; the key stays locked.",
    },
    "keystore.damaged": {
        "id": "Berkas kunci {path} rusak ({detail}). Pulihkan dari cadangan; tidak ada yang diubah.",
        "en": "The key file {path} is damaged ({detail}). Restore it from a backup; nothing was changed.",
    },
    "keystore.version": {
        "id": "Berkas kunci {path} dibuat oleh versi program lain ({detail}).",
        "en": "The key file {path} was made by another version of the program ({detail}).",
    },
    # election
    "election.missing": {
        "id": "Belum ada paket pemilu. Impor dengan 'recap election import BERKAS' atau jalankan 'recap demo init'.",
        "en": "No election package yet. Import one with 'recap election import FILE' or run 'recap demo init'.",
    },
    "election.unreadable": {
        "id": "Berkas {path} bukan paket pemilu yang dapat dibaca: {detail}",
        "en": "The file {path} is not a readable election package: {detail}",
    },
    "election.untrusted": {
        "id": "Paket ditandatangani oleh kunci otoritas yang tidak dikenal (sidik jari {fingerprint}). Cocokkan dengan sidik jari yang diumumkan KPU, lalu ulangi dengan --trust-authority {fingerprint}.",
        "en": "The package is signed by an unknown authority key (fingerprint {fingerprint}). Compare it with the fingerprint the commission published, then run again with --trust-authority {fingerprint}.",
    },
    "election.bad_signature": {
        "id": "Tanda tangan otoritas pada paket pemilu tidak sah. Paket ditolak; tidak ada yang diubah.",
        "en": "The authority's signature on the election package is not valid. The package was refused; nothing was changed.",
    },
    "election.invalid": {
        "id": "Isi paket pemilu tidak dapat dipakai: {detail}",
        "en": "The election package's contents cannot be used: {detail}",
    },
    "election.expired": {
        "id": "Paket pemilu sudah kedaluwarsa pada {expires}. Minta paket terbaru dari otoritas.",
        "en": "The election package expired on {expires}. Ask the authority for a current one.",
    },
    "election.older": {
        "id": "Paket versi {version} lebih lama dari versi {held} yang sudah diimpor. Paket ditolak.",
        "en": "Package version {version} is older than version {held}, imported already. It was refused.",
    },
    "election.conflict": {
        "id": "Ada dua paket berbeda dengan versi {version} yang sama. Paket ditolak; laporkan ke otoritas.",
        "en": "Two different packages claim version {version}. This one was refused; report it to the authority.",
    },
    "election.other": {
        "id": "Paket ini untuk pemilu {other}, sedangkan data ini untuk {held}. Gunakan --data-dir lain.",
        "en": "This package is for election {other}, but this data folder holds {held}. Use another --data-dir.",
    },
    "revocations.older": {
        "id": "Daftar pencabutan dalam berkas ini (versi {version}) lebih lama dari yang dimiliki (versi {held}). Tidak ada yang diimpor.",
        "en": "The revocation list in this file (version {version}) is older than the one held (version {held}). Nothing was imported.",
    },
    "revocations.conflict": {
        "id": "Berkas ini memuat daftar pencabutan versi {version} yang berbeda dari versi {version} yang dimiliki. Tidak ada yang diimpor; laporkan ke otoritas.",
        "en": "This file holds a revocation list version {version} that differs from the version {version} held. Nothing was imported; report it to the authority.",
    },
    "election.fingerprint_mismatch": {
        "id": "Sidik jari yang diberikan ({given}) tidak cocok dengan kunci otoritas paket ({fingerprint}). Paket ditolak; tidak ada yang diubah. Periksa sidik jari yang diumumkan KPU.",
        "en": "The fingerprint given ({given}) does not match the package's authority key ({fingerprint}). The package was refused; nothing was changed. Check the fingerprint the commission published.",
    },
    "election.demo_in_real": {
        "id": "Paket ini ditandatangani otoritas DEMO, yang kunci rahasianya diumumkan: folder data sungguhan tidak pernah mempercayainya. Gunakan folder DEMO ('recap demo init' atau 'Coba pemilu DEMO' di jendela). Tidak ada yang diubah.",
        "en": "This package is signed by the DEMO authority, whose private key is published: a real data folder never trusts it. Use a DEMO folder ('recap demo init' or 'Try the DEMO election' in the window). Nothing was changed.",
    },
    "election.real_in_demo": {
        "id": "Ini folder DEMO: ia hanya mempercayai otoritas DEMO. Impor paket pemilu sungguhan ke folder data baru (--data-dir). Tidak ada yang diubah.",
        "en": "This is a DEMO folder: it trusts only the DEMO authority. Import a real election package into a new data folder (--data-dir). Nothing was changed.",
    },
    "election.other_authority": {
        "id": "Folder data ini mempercayai otoritas {held}…; paket ini ditandatangani otoritas lain ({fingerprint}…). Paket ditolak; tidak ada yang diubah.",
        "en": "This data folder trusts authority {held}…; this package is signed by another authority ({fingerprint}…). The package was refused; nothing was changed.",
    },
    "election.imported": {
        "id": "Paket pemilu {election} versi {version} diimpor: {contests} pemilihan, {stations} TPS.",
        "en": "Election package {election} version {version} imported: {contests} contests, {stations} polling stations.",
    },
    "election.same": {
        "id": "Paket pemilu {election} versi {version} sudah ada; tidak ada yang berubah.",
        "en": "Election package {election} version {version} is held already; nothing changed.",
    },
    "certificate.imported": {
        "id": "Sertifikat diimpor untuk {name} ({role}, wilayah {jurisdiction}).",
        "en": "Certificate imported for {name} ({role}, region {jurisdiction}).",
    },
    "certificate.invalid": {
        "id": "Sertifikat ditolak: {detail}",
        "en": "The certificate was refused: {detail}",
    },
    # sheets
    "station.unknown": {
        "id": "TPS {station} tidak ada dalam paket pemilu. Periksa kodenya dengan 'recap election show'.",
        "en": "Polling station {station} is not in the election package. Check its code with 'recap election show'.",
    },
    "contest.unknown": {
        "id": "TPS {station} tidak menyelenggarakan pemilihan '{contest}'. Pilihannya: {choices}.",
        "en": "Polling station {station} does not hold contest '{contest}'. It holds: {choices}.",
    },
    "region.unknown": {
        "id": "Wilayah {region} tidak ada dalam paket pemilu. Periksa kodenya dengan 'recap election show'.",
        "en": "Region {region} is not in the election package. Check its code with 'recap election show'.",
    },
    "values.unreadable": {
        "id": "Berkas nilai {path} tidak dapat dibaca: {detail}",
        "en": "The values file {path} cannot be read: {detail}",
    },
    "values.missing": {"id": "kolom {field} belum diisi", "en": "field {field} is missing"},
    "values.unknown": {
        "id": "kolom {field} tidak ada di formulir",
        "en": "field {field} is not on the form",
    },
    "values.negative": {"id": "kolom {field} bernilai negatif", "en": "field {field} is negative"},
    "values.not_integer": {
        "id": "kolom {field} bukan bilangan bulat",
        "en": "field {field} is not a whole number",
    },
    "values.too_large": {"id": "kolom {field} terlalu besar", "en": "field {field} is too large"},
    "sheet.refused": {
        "id": "Lembar tidak disimpan; perbaiki hal berikut lalu ulangi:",
        "en": "The sheet was not saved; fix the following and try again:",
    },
    "sheet.exists": {
        "id": "Anda sudah menandatangani lembar {hash} untuk TPS ini. Untuk mengubahnya buat koreksi: --supersedes {hash} --reason ALASAN.",
        "en": "You signed sheet {hash} for this station already. To change it make a correction: --supersedes {hash} --reason REASON.",
    },
    "sheet.reason_needed": {
        "id": "Koreksi memerlukan alasan (--reason).",
        "en": "A correction needs a reason (--reason).",
    },
    "sheet.reason_without_supersedes": {
        "id": "--reason hanya untuk koreksi: sebutkan lembar yang dikoreksi dengan --supersedes HASH.",
        "en": "--reason is for corrections only: name the sheet it corrects with --supersedes HASH.",
    },
    "sheet.supersedes_unknown": {
        "id": "Lembar {hash} tidak ada untuk TPS dan pemilihan ini.",
        "en": "Sheet {hash} does not exist for this station and contest.",
    },
    "sheet.supersedes_old": {
        "id": "Lembar {hash} sudah dikoreksi; koreksi versi terkininya: {current}.",
        "en": "Sheet {hash} has been corrected already; correct its current version: {current}.",
    },
    "sheet.warnings_unacknowledged": {
        "id": "Peringatan harus dikonfirmasi sebelum disimpan: {rules}",
        "en": "Warnings must be acknowledged before saving: {rules}",
    },
    "sheet.warnings_need_reason": {
        "id": "Lembar tidak disimpan: ada peringatan. Periksa formulir kertas; bila angkanya"
        " benar, simpan dengan alasan (--accept-warnings ALASAN):",
        "en": "The sheet was not saved: it has warnings. Check the paper form; if the numbers"
        " are right, save it with a reason (--accept-warnings REASON):",
    },
    "warning.bound:turnout": {
        "id": "Partisipasi {value}% dari pemilih terdaftar, di atas batas {bound}%.",
        "en": "Turnout is {value}% of the registered voters, above the bound of {bound}%.",
    },
    "warning.bound:invalid_share": {
        "id": "Suara tidak sah {value}% dari seluruh suara, di atas batas {bound}%.",
        "en": "Invalid votes are {value}% of all votes, above the bound of {bound}%.",
    },
    "warning.bound:all_zero": {
        "id": "Semua angka nol, padahal TPS ini punya {bound} pemilih terdaftar.",
        "en": "Every number is zero, yet this station has {bound} registered voters.",
    },
    "warning.bound:village": {
        "id": "Partisipasi {value}% jauh dari TPS lain di desa/kelurahan ini (median {bound}%).",
        "en": "Turnout of {value}% is far from the other stations of this village"
        " (median {bound}%).",
    },
    "sheet.double_entry_required": {
        "id": "Wilayah {region} mewajibkan entri ganda: ketik lembar ini dua kali sebelum"
        " ditandatangani (di jendela: Ctrl+Shift+D; di baris perintah: --second-values BERKAS)."
        " Tidak ada yang disimpan.",
        "en": "Region {region} requires double entry: type this sheet twice before it is signed"
        " (in the window: Ctrl+Shift+D; on the command line: --second-values FILE)."
        " Nothing was saved.",
    },
    "sheet.double_entry_differs": {
        "id": "Kedua ketikan berbeda pada: {fields}. Periksa kertas untuk kolom itu saja.",
        "en": "The two typings differ in: {fields}. Check the paper for those fields only.",
    },
    "requirement.unknown_region": {
        "id": "Wilayah {region} tidak ada dalam paket pemilu.",
        "en": "Region {region} is not in the election package.",
    },
    "requirement.role": {
        "id": "Hanya pengawas bersertifikat yang dapat mewajibkan entri ganda.",
        "en": "Only a certified supervisor can require double entry.",
    },
    "requirement.saved": {
        "id": "Ketentuan entri ganda ditandatangani dan disimpan: {hash}",
        "en": "Double-entry requirement signed and saved: {hash}",
    },
    "sheet.saved": {
        "id": "Lembar ditandatangani dan disimpan: {hash}",
        "en": "Sheet signed and saved: {hash}",
    },
    "sheet.none": {
        "id": "Belum ada lembar untuk TPS {station}, pemilihan {contest}.",
        "en": "No sheet yet for station {station}, contest {contest}.",
    },
    "mandate.role": {
        "id": "Sertifikat kunci ini untuk peran {held}, sedangkan ini memerlukan peran {need}. Tidak ada yang disimpan; minta sertifikat yang sesuai kepada otoritas.",
        "en": "This key's certificate is for the role {held}, but this needs the role {need}. Nothing was saved; ask the authority for a fitting certificate.",
    },
    "mandate.jurisdiction": {
        "id": "TPS {station} berada di luar wilayah sertifikat Anda ({regions}). Tidak ada yang disimpan; pilih TPS di wilayah Anda, atau minta sertifikat yang mencakupnya kepada otoritas.",
        "en": "Polling station {station} is outside your certified region ({regions}). Nothing was saved; choose a station in your region, or ask the authority for a certificate that covers it.",
    },
    "mandate.revoked": {
        "id": "Kunci Anda telah dicabut oleh otoritas pemilu ({reason}); ia tidak dapat menandatangani lagi. Hubungi otoritas untuk kunci dan sertifikat baru.",
        "en": "Your key was revoked by the election authority ({reason}); it cannot sign any more. Ask the authority for a new key and certificate.",
    },
    "mandate.expired": {
        "id": "Sertifikat Anda tidak berlaku saat ini (berlaku sampai {until}). Minta sertifikat baru kepada otoritas pemilu; tidak ada yang ditandatangani.",
        "en": "Your certificate is not valid now (valid until {until}). Ask the election authority for a new certificate; nothing was signed.",
    },
    # the recapitulation (D.Hasil, objections, rulings, printed forms)
    "mandate.chair": {
        "id": "Anda bukan ketua {region}: D.Hasil ditandatangani oleh ketua wilayah itu sendiri (sertifikat Anda: {regions}). Tidak ada yang ditandatangani.",
        "en": "You do not chair {region}: a D.Hasil is signed by the chair of exactly that region (your certificates: {regions}). Nothing was signed.",
    },
    "dhasil.region": {
        "id": "{region} bukan kecamatan, kabupaten/kota atau provinsi pemilu ini: D.Hasil dibuat hanya untuk tingkat itu.",
        "en": "{region} is not a sub-district, regency or province of this election: a D.Hasil is made only at those levels.",
    },
    "dhasil.basis": {
        "id": "D.Hasil {region} tidak dapat disusun dari '{basis}': kecamatan merekap C.Hasil TPS (sheets); kabupaten dan provinsi dari C.Hasil atau dari D.Hasil di bawahnya (recaps).",
        "en": "The D.Hasil of {region} cannot rest on '{basis}': a sub-district recaps its stations' C.Hasil (sheets); a regency or province its sheets or the D.Hasil below it (recaps).",
    },
    "dhasil.blocked": {
        "id": "Rapat pleno belum dapat ditutup; tidak ada yang ditandatangani. Selesaikan hal berikut, atau tanda tangani D.Hasil sementara (--interim):",
        "en": "The plenary cannot close yet; nothing was signed. Settle these first, or sign an interim D.Hasil (--interim):",
    },
    "dhasil.blocker.missing": {
        "id": "{code}: belum ada hasil yang dihitung",
        "en": "{code}: nothing counted yet",
    },
    "dhasil.blocker.disputed": {
        "id": "{code}: hasil disengketakan (angka berbeda)",
        "en": "{code}: disputed (different numbers)",
    },
    "dhasil.blocker.outdated": {
        "id": "{code}: D.Hasil finalnya tidak lagi sesuai dengan yang dihitung (lembar yang dinamai tidak lagi dihitung, atau keberatan tidak dicantumkan); ketuanya menandatangani versi baru",
        "en": "{code}: its final D.Hasil no longer says what is counted (a sheet it names no longer counts, or an objection is left out); its chair signs a new version",
    },
    "dhasil.blocker.objection": {
        "id": "keberatan {hash}… di {place} belum diputuskan: {subject}",
        "en": "objection {hash}… at {place} not ruled on: {subject}",
    },
    "dhasil.blocker.ruling_disputed": {
        "id": "keberatan {hash}… di {place} diputuskan berbeda oleh dua ketua yang tidak saling melihat putusannya; putuskan lagi (putusan baru menggantikan keduanya): {subject}",
        "en": "objection {hash}… at {place} was ruled differently by two chairs who did not see each other's ruling; rule again (the new ruling replaces both): {subject}",
    },
    "dhasil.exists": {
        "id": "Anda sudah menandatangani D.Hasil ini ({hash}). Versi baru menggantikannya dan memerlukan alasan (--reason).",
        "en": "You signed this D.Hasil already ({hash}). A new version replaces it and needs a reason (--reason).",
    },
    "dhasil.unchanged": {
        "id": "D.Hasil {hash} sudah menyatakan hal yang sama; tidak ada yang ditandatangani.",
        "en": "D.Hasil {hash} says the same already; nothing was signed.",
    },
    "dhasil.signed": {
        "id": "D.Hasil {region} ({contest}) ditandatangani: {hash}",
        "en": "D.Hasil of {region} ({contest}) signed: {hash}",
    },
    "dhasil.several": {
        "id": "Ada beberapa D.Hasil {region} ({contest}) dari ketua yang berbeda, dan tidak satu pun milik laptop ini: {hashes}. Cetak satu dengan --hash.",
        "en": "Several chairs' D.Hasil of {region} ({contest}) stand, none of them this laptop's: {hashes}. Print one with --hash.",
    },
    "dhasil.none": {
        "id": "Belum ada D.Hasil untuk {region}, pemilihan {contest}.",
        "en": "No D.Hasil yet for {region}, contest {contest}.",
    },
    "objection.kind": {
        "id": "Jenis '{kind}' tidak dikenal: objection (keberatan) atau incident (kejadian khusus).",
        "en": "Kind '{kind}' is unknown: objection or incident.",
    },
    "objection.subject": {
        "id": "Tuliskan apa yang dipersoalkan (--subject). Tidak ada yang disimpan.",
        "en": "Say what is contested (--subject). Nothing was saved.",
    },
    "objection.witness": {
        "id": "Keberatan memerlukan nama saksi (--witness) dan partai atau pasangan calon yang diwakilinya (--represents). Tidak ada yang disimpan.",
        "en": "An objection needs the witness's name (--witness) and the party or candidate they represent (--represents). Nothing was saved.",
    },
    "objection.represents": {
        "id": "Sebutkan partai atau pasangan calon yang diwakili saksi (--represents). Tidak ada yang disimpan.",
        "en": "Give the party or candidate the witness represents (--represents). Nothing was saved.",
    },
    "objection.paper": {
        "id": "Keberatan atau kejadian khusus yang dimasukkan petugas menyebut nomor formulir kertasnya (--paper, mis. D.Kejadian Khusus No. 1); hanya saksi dengan kuncinya sendiri yang menandatangani tanpa kertas. Tidak ada yang disimpan.",
        "en": "An objection or incident entered by an officer names its paper form (--paper, e.g. D.Kejadian Khusus No. 1); only a witness signing with its own key needs none. Nothing was saved.",
    },
    "objection.unknown": {
        "id": "Keberatan {hash} tidak ada di data ini.",
        "en": "Objection {hash} is not held here.",
    },
    "objection.filed": {
        "id": "Keberatan dicatat dan ditandatangani: {hash}",
        "en": "Objection recorded and signed: {hash}",
    },
    "objection.none": {
        "id": "Tidak ada keberatan atau kejadian khusus di {region}.",
        "en": "No objection or incident in {region}.",
    },
    "resolution.decision": {
        "id": "Keputusan '{decision}' tidak dikenal: accepted (diterima), rejected (ditolak) atau noted (dicatat).",
        "en": "Decision '{decision}' is unknown: accepted, rejected or noted.",
    },
    "resolution.kind": {
        "id": "Keberatan diputuskan 'accepted' (diterima) atau 'rejected' (ditolak); kejadian khusus hanya 'noted' (dicatat). '{decision}' tidak berlaku untuk {kind}. Tidak ada yang ditandatangani.",
        "en": "An objection is ruled 'accepted' or 'rejected'; an incident is only 'noted'. '{decision}' does not apply to an {kind}. Nothing was signed.",
    },
    "resolution.reason": {
        "id": "Putusan ketua memerlukan alasan (--reason). Tidak ada yang ditandatangani.",
        "en": "A chair's ruling needs its reason (--reason). Nothing was signed.",
    },
    "resolution.signed": {
        "id": "Putusan atas keberatan ditandatangani: {hash}",
        "en": "Ruling on the objection signed: {hash}",
    },
    "print.written": {
        "id": "Formulir dicetak ke {path} ({pages} halaman).",
        "en": "Form printed to {path} ({pages} pages).",
    },
    "print.failed": {
        "id": "Tidak dapat menulis PDF {path}: {detail}",
        "en": "Could not write the PDF {path}: {detail}",
    },
    "print.no_qt": {
        "id": "Mencetak PDF memerlukan Qt (PySide6), yang tidak dapat dimuat: {detail}",
        "en": "Printing a PDF needs Qt (PySide6), which could not be loaded: {detail}",
    },
    "check.bad_input": {
        "id": "'{text}' bukan hash catatan (64 digit heksadesimal) maupun isi kode QR formulir (recap:1:…).",
        "en": "'{text}' is neither a record hash (64 hex digits) nor the text of a form's QR code (recap:1:…).",
    },
    "check.not_held": {
        "id": "Catatan {hash} tidak ada di data ini{where}. Formulir kertas ini TIDAK dapat dicocokkan; sinkronkan atau minta catatannya.",
        "en": "Record {hash} is not held here{where}. This paper form can NOT be checked; sync, or ask for the record.",
    },
    "check.signer_differs": {
        "id": "Kode QR menyebut penanda tangan {claimed}…, tetapi catatan {hash}… ditandatangani {signer}…: formulir ini TIDAK cocok.",
        "en": "The QR code names signer {claimed}…, but record {hash}… was signed by {signer}…: this form does NOT match.",
    },
    "check.no_decoder": {
        "id": "Membaca gambar kode QR memerlukan paket zxing-cpp (pip install 'recap-desktop[scan]'); atau ketik teks kode QR atau hash-nya.",
        "en": "Reading a QR code image needs the zxing-cpp package (pip install 'recap-desktop[scan]'); or type the QR code's text or its hash.",
    },
    "check.no_code": {
        "id": "Tidak ada kode QR formulir Recap yang terbaca di {path}.",
        "en": "No Recap form QR code could be read in {path}.",
    },
    "print.level.district": {
        "id": "MODEL D.HASIL KECAMATAN",
        "en": "FORM D.HASIL KECAMATAN (sub-district result)",
    },
    "print.level.regency": {
        "id": "MODEL D.HASIL KABUPATEN/KOTA",
        "en": "FORM D.HASIL KABUPATEN/KOTA (regency result)",
    },
    "print.level.province": {
        "id": "MODEL D.HASIL PROVINSI",
        "en": "FORM D.HASIL PROVINSI (province result)",
    },
    "print.level.station": {
        "id": "MODEL C.HASIL",
        "en": "FORM C.HASIL (polling station result)",
    },
    "print.total": {
        "id": "JUMLAH AKHIR",
        "en": "TOTAL",
    },
    "print.description": {
        "id": "URAIAN",
        "en": "DESCRIPTION",
    },
    "print.count": {
        "id": "JUMLAH",
        "en": "COUNT",
    },
    "print.children": {
        "id": "Rincian yang dihitung ({count})",
        "en": "Children counted ({count})",
    },
    "print.pending": {
        "id": "Belum dihitung ({count})",
        "en": "Not yet counted ({count})",
    },
    "print.objections": {
        "id": "Keberatan saksi dan kejadian khusus ({count})",
        "en": "Objections of witnesses, and incidents ({count})",
    },
    "print.open": {
        "id": "BELUM DIPUTUSKAN",
        "en": "NOT RULED ON",
    },
    "print.no_witness": {
        "id": "tanpa saksi",
        "en": "no witness",
    },
    "print.kind.objection": {
        "id": "Keberatan",
        "en": "Objection",
    },
    "print.kind.incident": {
        "id": "Kejadian khusus",
        "en": "Incident",
    },
    "print.decision.accepted": {
        "id": "DITERIMA",
        "en": "ACCEPTED",
    },
    "print.decision.rejected": {
        "id": "DITOLAK",
        "en": "REJECTED",
    },
    "print.decision.noted": {
        "id": "DICATAT",
        "en": "NOTED",
    },
    "print.correction": {
        "id": "Koreksi",
        "en": "Correction",
    },
    "print.supersedes": {
        "id": "Menggantikan catatan {hash}. Alasan: {reason}",
        "en": "Replaces record {hash}. Reason: {reason}",
    },
    "print.uncertified": {
        "id": "kunci belum disertifikasi",
        "en": "key not certified",
    },
    "print.key": {
        "id": "Kunci",
        "en": "Key",
    },
    "print.signed_at": {
        "id": "Ditandatangani (UTC)",
        "en": "Signed (UTC)",
    },
    "print.chair.district": {
        "id": "Ketua PPK",
        "en": "Chair of the PPK (sub-district)",
    },
    "print.chair.regency": {
        "id": "Ketua KPU Kabupaten/Kota",
        "en": "Chair of the regency KPU",
    },
    "print.chair.province": {
        "id": "Ketua KPU Provinsi",
        "en": "Chair of the province KPU",
    },
    "print.witness_box": {
        "id": "Saksi {n}: nama, partai/paslon, tanda tangan",
        "en": "Witness {n}: name, party/candidate, signature",
    },
    "print.entered_by": {
        "id": "Dimasukkan dan ditandatangani oleh",
        "en": "Entered and signed by",
    },
    "print.final": {
        "id": "FINAL",
        "en": "FINAL",
    },
    "print.interim": {
        "id": "SEMENTARA: rapat pleno belum ditutup",
        "en": "INTERIM: the plenary has not closed",
    },
    "print.not_latest": {
        "id": "bukan versi yang dihitung",
        "en": "not the version counted",
    },
    "print.warnings_reason": {
        "id": "Alasan petugas: {reason}",
        "en": "The officer's reason: {reason}",
    },
    "print.typing": {"id": "Pengetikan", "en": "Typing"},
    "sheet.double_entered": {
        "id": "diketik dua kali (entri ganda)",
        "en": "typed twice (double entry)",
    },
    "print.warnings": {
        "id": "Peringatan yang telah diperiksa petugas",
        "en": "Warnings the officer checked",
    },
    "print.registered": {
        "id": "Pemilih terdaftar",
        "en": "Registered voters",
    },
    "print.check": {
        "id": "Periksa lembar ini terhadap catatan bertanda tangan: recap check-print {hash}",
        "en": "Check this page against the signed record: recap check-print {hash}",
    },
    "print.hash": {
        "id": "Hash catatan",
        "en": "Record hash",
    },
    "print.signer": {
        "id": "Penanda tangan",
        "en": "Signer",
    },
    "print.page": {
        "id": "Halaman {page} dari {pages}",
        "en": "Page {page} of {pages}",
    },
    "print.demo": {
        "id": "DEMO — BUKAN PEMILU SUNGGUHAN",
        "en": "DEMO — NOT A REAL ELECTION",
    },
    "print.signatures": {
        "id": "Tanda tangan",
        "en": "Signatures",
    },
    "print.digital": {
        "id": "ditandatangani secara digital (Ed25519)",
        "en": "signed digitally (Ed25519)",
    },
    "print.place.province": {
        "id": "Provinsi",
        "en": "Province",
    },
    "print.place.regency": {
        "id": "Kabupaten/Kota",
        "en": "Regency/City",
    },
    "print.place.district": {
        "id": "Kecamatan",
        "en": "Sub-district",
    },
    "print.place.village": {
        "id": "Desa/Kelurahan",
        "en": "Village",
    },
    "print.place.station": {
        "id": "TPS",
        "en": "Polling station",
    },
    "print.state.not_entered": {
        "id": "belum dimasukkan",
        "en": "not entered",
    },
    "print.state.uncounted": {
        "id": "tidak dihitung",
        "en": "not counted",
    },
    "print.state.signed": {
        "id": "ditandatangani",
        "en": "signed",
    },
    "print.state.corrected": {
        "id": "dikoreksi",
        "en": "corrected",
    },
    "print.state.approved": {
        "id": "disetujui",
        "en": "approved",
    },
    "print.state.rejected": {
        "id": "ditolak",
        "en": "rejected",
    },
    "print.state.disputed": {
        "id": "disengketakan",
        "en": "disputed",
    },
    "print.state.partial": {
        "id": "sebagian",
        "en": "partial",
    },
    "print.state.no_recap": {
        "id": "belum ada D.Hasil",
        "en": "no D.Hasil yet",
    },
    "print.state.interim": {
        "id": "D.Hasil sementara",
        "en": "interim D.Hasil",
    },
    "print.state.outdated": {
        "id": "D.Hasil usang",
        "en": "outdated D.Hasil",
    },
    "check.matches": {
        "id": "COCOK: catatan {type} {hash} ada dan terverifikasi. Bandingkan angka di bawah dengan kertas:",
        "en": "MATCHES: the {type} record {hash} is held and verifies. Compare the numbers below with the paper:",
    },
    "check.fails": {
        "id": "TIDAK TERVERIFIKASI: catatan {hash} ada, tetapi {problems}. Jangan percayai kertas ini.",
        "en": "DOES NOT VERIFY: record {hash} is held, but {problems}. Do not trust this paper.",
    },
    "check.superseded": {
        "id": "PERHATIAN: catatan ini telah digantikan oleh versi lebih baru {newer}. Kertas ini bukan versi yang berlaku.",
        "en": "NOTE: this record was replaced by a newer version {newer}. This paper is not the version in force.",
    },
    "check.not_counting": {
        "id": "PERHATIAN: lembar ini tidak dihitung sekarang (keadaan TPS: {state}). Tanda tangannya sah, tetapi hasil tidak bertumpu pada kertas ini.",
        "en": "NOTE: this sheet does not count now (the station's state: {state}). Its signature is valid, but the count does not rest on this paper.",
    },
    "check.not_in_force": {
        "id": "PERHATIAN: D.Hasil ini tidak berlaku ({state}). Tanda tangannya sah, tetapi kertas ini bukan hasil wilayahnya.",
        "en": "NOTE: this D.Hasil is not in force ({state}). Its signature is valid, but this paper is not the region's result.",
    },
    "check.outdated": {
        "id": "PERHATIAN: D.Hasil ini usang: tidak lagi sesuai dengan yang dihitung (lembar yang dinamainya tidak lagi dihitung, TPS yang ditundanya kini dihitung, atau keberatan tidak dicantumkan). Ketuanya harus menandatangani versi baru.",
        "en": "NOTE: this D.Hasil is outdated: it no longer says what is counted (a sheet it names no longer counts, a station it left pending counts now, or an objection is left out). Its chair must sign a new version.",
    },
    "check.signed_by": {
        "id": "Ditandatangani oleh {name} ({role}, {region}), kunci {keyid}…, pada {time}",
        "en": "Signed by {name} ({role}, {region}), key {keyid}…, at {time}",
    },
    "check.signed_by_unknown": {
        "id": "Ditandatangani oleh kunci {keyid}… tanpa sertifikat yang dikenal, pada {time}",
        "en": "Signed by key {keyid}… with no known certificate, at {time}",
    },
    "check.from_server": {
        "id": "Catatan diambil dari server {server} (posisi log {index}).",
        "en": "Record fetched from the server {server} (log position {index}).",
    },
    "check.server_failed": {
        "id": "Server {server} tidak dapat ditanya: {detail}",
        "en": "The server {server} could not be asked: {detail}",
    },
    "sheet.supersedes_other": {
        "id": "Lembar {hash} milik petugas lain: koreksi hanya mengganti lembar Anda sendiri. Masukkan lembar Anda sendiri; bila angkanya berbeda, pengawas memutuskan sengketa.",
        "en": "Sheet {hash} is another officer's: a correction replaces only your own sheet. Enter your own sheet; if the numbers differ, a supervisor decides the dispute.",
    },
    "record.refused": {
        "id": "Catatan ditolak oleh aturan penerimaan ({reason}): {detail}. Tidak ada yang disimpan.",
        "en": "The record was refused by the admission rule ({reason}): {detail}. Nothing was saved.",
    },
    "store.truncated": {
        "id": "{count} catatan yang sudah dikonfirmasi server hilang dari penyimpanan ini (pertama {first}). Menandatangani sekarang akan terlihat seperti cabang rantai Anda. Pulihkan dari cadangan atau tarik dari server ('recap sync'), lalu jalankan 'recap verify'.",
        "en": "{count} records the server confirmed holding are gone from this store (first {first}). Signing now would look like a fork of your own chain. Restore from a backup or pull them from the server ('recap sync'), then run 'recap verify'.",
    },
    "review.role": {
        "id": "Hanya supervisor yang dapat menyetujui atau menolak lembar.",
        "en": "Only a supervisor can approve or reject a sheet.",
    },
    "sheet.show_what": {
        "id": "Sebutkan lembar yang ditampilkan: --station dan --contest, atau --hash dari salah satu versinya.",
        "en": "Say which sheet to show: --station and --contest, or --hash of one of its versions.",
    },
    "dispute.none": {
        "id": "Tidak ada sengketa di TPS {station} untuk {contest}: sudah diputuskan, atau hanya satu versi yang ditandatangani. Muat ulang papan.",
        "en": "There is no dispute at polling station {station} for {contest}: it was decided already, or only one version is signed. Reload the board.",
    },
    "dispute.not_a_version": {
        "id": "Lembar {hash} bukan salah satu versi yang disengketakan di TPS {station}; pilih salah satu versi yang ditampilkan.",
        "en": "Sheet {hash} is not one of the versions in dispute at polling station {station}; choose one of the versions shown.",
    },
    "recap.not_counted": {
        "id": "! {count} TPS memiliki lembar yang tidak dihitung (sengketa, ditolak, diubah, penanda tangan dicabut): lihat 'recap verify' dan meja pengawas.",
        "en": "! {count} station(s) hold sheets that do not count (disputed, rejected, tampered, signer revoked): see 'recap verify' and the supervisor's desk.",
    },
    "hash.bad_prefix": {
        "id": "'{text}' bukan awal hash catatan: tulis paling sedikit {min} angka heksadesimal (0-9, a-f), misalnya 16 karakter pertama yang dicetak 'recap sheet show'.",
        "en": "'{text}' is not the start of a record hash: give at least {min} hexadecimal digits (0-9, a-f), for example the first 16 characters 'recap sheet show' prints.",
    },
    "hash.unknown": {
        "id": "Tidak ada catatan di penyimpanan ini yang hash-nya diawali {prefix}. Periksa ketikan, atau tarik catatan dari server dulu.",
        "en": "No record in this store has a hash starting with {prefix}. Check the typing, or pull the records from the server first.",
    },
    "hash.ambiguous": {
        "id": "Awalan {prefix} cocok dengan lebih dari satu catatan ({matches}); tulis lebih banyak karakter.",
        "en": "The prefix {prefix} matches more than one record ({matches}); give more characters.",
    },
    "review.unknown_sheet": {
        "id": "Lembar {hash} tidak ada di penyimpanan ini.",
        "en": "Sheet {hash} is not in this store.",
    },
    "review.reason_needed": {
        "id": "Penolakan memerlukan alasan.",
        "en": "A rejection needs a reason.",
    },
    # storage
    "store.error": {
        "id": "Penyimpanan tidak dapat ditulis: {detail}. Tidak ada yang setengah tersimpan; perbaiki lalu ulangi.",
        "en": "The store cannot be written: {detail}. Nothing is half-saved; fix this and try again.",
    },
    "store.full": {
        "id": "Disk penuh: tidak ada yang tersimpan, dan tidak ada yang setengah tersimpan ({detail}). Kosongkan ruang disk, lalu simpan lagi.",
        "en": "The disk is full: nothing was saved, and nothing is half-saved ({detail}). Free some disk space, then save again.",
    },
    "store.readonly": {
        "id": "Penyimpanan hanya dapat dibaca: berkas atau foldernya tidak dapat ditulis ({detail}). Tidak ada yang setengah tersimpan; jadikan folder data dan berkasnya dapat ditulis, lalu ulangi.",
        "en": "The store is read-only: the file or its folder cannot be written ({detail}). Nothing is half-saved; make the data folder and its files writable, then try again.",
    },
    "store.io": {
        "id": "Disk melaporkan galat baca/tulis ({detail}). Tidak ada yang setengah tersimpan; periksa disk atau pindahkan folder data ke disk lain, lalu ulangi.",
        "en": "The disk reported an input/output error ({detail}). Nothing is half-saved; check the disk or move the data folder to another disk, then try again.",
    },
    "store.tampered": {
        "id": "Penyimpanan telah diubah di luar program: {detail}. Jalankan 'recap verify'.",
        "en": "The store was changed outside the program: {detail}. Run 'recap verify'.",
    },
    # photos of the paper (services/photos.py, sync/photos.py)
    "photo.not_image": {
        "id": "Berkas {path} bukan foto PNG atau JPEG. Lampirkan foto atau pindaian halaman C.Hasil (PNG/JPEG).",
        "en": "The file {path} is not a PNG or JPEG image. Attach a photo or scan of the C.Hasil page (PNG/JPEG).",
    },
    "photo.too_big": {
        "id": "Berkas {path} lebih dari {limit} MiB. Kecilkan resolusinya atau pindai ulang, lalu lampirkan lagi.",
        "en": "The file {path} is larger than {limit} MiB. Lower its resolution or scan again, then attach it again.",
    },
    "photo.empty": {
        "id": "Berkas {path} kosong. Pilih foto halaman C.Hasil.",
        "en": "The file {path} is empty. Choose a photo of the C.Hasil page.",
    },
    "photo.too_many": {
        "id": "Satu lembar memuat paling banyak {limit} foto. Lepaskan foto yang tidak perlu.",
        "en": "A sheet holds at most {limit} photos. Remove the ones not needed.",
    },
    "photo.not_named": {
        "id": "Foto {sha} tidak disebut oleh lembar yang dikoreksi; lampirkan berkasnya.",
        "en": "Photo {sha} is not named by the sheet being corrected; attach its file.",
    },
    "photo.state.ok": {"id": "foto tersimpan", "en": "photo kept"},
    "photo.state.missing": {
        "id": "FOTO HILANG: belum ada di folder ini (sinkronkan untuk mengambilnya)",
        "en": "PHOTO MISSING: not in this folder yet (sync to fetch it)",
    },
    "photo.state.altered": {
        "id": "FOTO DIUBAH: berkas di folder ini bukan foto yang ditandatangani",
        "en": "PHOTO ALTERED: the file in this folder is not the photo that was signed",
    },
    "verify.photos": {
        "id": "{missing} foto hilang, {altered} foto diubah (disebut oleh lembar yang ditandatangani):",
        "en": "{missing} photo(s) missing, {altered} photo(s) altered (named by signed sheets):",
    },
    "sync.photos": {
        "id": "Foto: {sent} dikirim, {fetched} diambil, {missing} belum ada di server.",
        "en": "Photos: {sent} sent, {fetched} fetched, {missing} not on the server yet.",
    },
    "sync.photo_refused": {
        "id": "Server menolak foto {sha}: {detail}",
        "en": "The server refused photo {sha}: {detail}",
    },
    "sync.photo_bad": {
        "id": "Server mengirim byte yang bukan foto {sha}; tidak disimpan. Coba lagi nanti atau laporkan ke pengelola server.",
        "en": "The server sent bytes that are not photo {sha}; nothing was kept. Try again later or tell the server's operator.",
    },
    "file.unreadable": {
        "id": "Berkas {path} tidak dapat dibaca: {detail}",
        "en": "The file {path} cannot be read: {detail}",
    },
    # verify
    "verify.ok": {
        "id": "Terverifikasi: {records} catatan, semua tanda tangan, rantai, sertifikat, peran dan wilayah sah, dan semuanya dihitung.",
        "en": "Verified: {records} records; every signature, chain, certificate, role and region holds, and every record counts.",
    },
    "verify.ok_waiting": {
        "id": "Tanda tangan dan rantai {records} catatan sah, tetapi {count} catatan menunggu sertifikat dan belum dihitung:",
        "en": "The signatures and chains of {records} records hold, but {count} records await a certificate and do not count yet:",
    },
    "verify.attention": {
        "id": "{count} catatan sah tetapi tidak dihitung; pengawas perlu memeriksanya:",
        "en": "{count} records verify but do not count; a supervisor must look at them:",
    },
    "verify.problems": {
        "id": "Verifikasi menemukan {count} masalah pada {records} catatan:",
        "en": "Verification found {count} problems in {records} records:",
    },
    "verify.notices": {
        "id": "Catatan lain ({count}):",
        "en": "Other notices ({count}):",
    },
    "rebuild.done": {
        "id": "Proyeksi dibangun ulang dari {records} catatan.",
        "en": "Projections rebuilt from {records} records.",
    },
    "demo.init": {
        "id": "Pemilu DEMO siap: {stations} TPS. Petugas {officer_id} ({role}), frasa sandi demo: '{passphrase}'. Ini bukan pemilu sungguhan.",
        "en": "DEMO election ready: {stations} polling stations. Officer {officer_id} ({role}), demo passphrase: '{passphrase}'. This is not a real election.",
    },
    "demo.populated": {
        "id": "{sheets} lembar acak yang konsisten ditandatangani untuk {stations} TPS.",
        "en": "{sheets} consistent random sheets signed for {stations} polling stations.",
    },
    "demo.too_many": {
        "id": "Pemilu demo hanya punya {available} TPS; jalankan 'recap demo init --stations {wanted}' di folder data baru.",
        "en": "The demo election has only {available} polling stations; run 'recap demo init --stations {wanted}' in a new data folder.",
    },
    "usage.data_dir": {
        "id": "Folder data {path} tidak dapat dipakai: {detail}",
        "en": "The data folder {path} cannot be used: {detail}",
    },
    # sync
    "sync.no_server": {
        "id": "Alamat server belum diatur: gunakan --server URL (disimpan untuk berikutnya).",
        "en": "No server address is set: use --server URL (it is kept for next time).",
    },
    "sync.bad_url": {
        "id": "Alamat server '{url}' tidak sah: harus diawali http:// atau https://.",
        "en": "The server address '{url}' is not valid: it must start with http:// or https://.",
    },
    "sync.insecure": {
        "id": "Alamat server '{url}' memakai http:// biasa ke mesin lain: catatan dan token kirim akan melintasi jaringan tanpa perlindungan. Gunakan https:// (dengan --ca-file bila server memakai sertifikat sendiri), atau untuk jaringan uji saja izinkan dengan 'recap sync --allow-http'.",
        "en": "The server address '{url}' is plain http:// to another machine: records and the push token would cross the network unprotected. Use https:// (with --ca-file if the server has its own certificate), or, for a test network only, allow it with 'recap sync --allow-http'.",
    },
    "sync.redirected": {
        "id": "Server di {url} mengalihkan laptop ini ke {location}. Pengalihan tidak pernah diikuti: catatan dan token kirim akan pergi ke sana. Jika itu memang alamat server, atur dengan --server; jika bukan, beri tahu pengelola server.",
        "en": "The server at {url} sent this laptop to {location}. A redirect is never followed: the records and the push token would go there. If that is the server's own address, set it with --server; if not, tell the server's operator.",
    },
    "sync.bad_ca_file": {
        "id": "Berkas sertifikat CA '{path}' tidak ditemukan: berikan berkas PEM dari pengelola server.",
        "en": "The CA certificate file '{path}' was not found: give the PEM file from the server's operator.",
    },
    "sync.done": {
        "id": "Sinkron selesai: {sent} catatan dikirim, {held} sudah ada di server, {pulled} diterima. Belum terkirim: {unsent}.",
        "en": "Sync done: {sent} records sent, {held} already on the server, {pulled} received. Unsent: {unsent}.",
    },
    "sync.refused": {
        "id": "Server menolak {count} catatan (tetap tersimpan di laptop, belum terkirim):",
        "en": "The server refused {count} records (kept on this laptop, not sent):",
    },
    "sync.pull_refused": {
        "id": "{count} catatan dari server gagal verifikasi dan tidak disimpan:",
        "en": "{count} records from the server failed verification and were not stored:",
    },
    "sync.unreachable": {
        "id": "Server tidak dapat dihubungi ({detail}). Semua catatan tetap aman di laptop; coba lagi nanti.",
        "en": "The server could not be reached ({detail}). Every record stays safe on this laptop; try again later.",
    },
    "sync.clock": {
        "id": "Jam laptop ini berbeda {minutes} menit dari jam server. Catatan tetap dikirim, tetapi perbaiki jam (tanggal, waktu dan zona waktu) agar waktu pada lembar benar.",
        "en": "This laptop's clock is {minutes} minutes off the server's. Records are still sent, but set the clock right (date, time and time zone) so that sheets carry the right time.",
    },
    "sync.resent": {
        "id": "{count} catatan akan dikirim ulang: tanda terkirimnya bersandar pada kunci server yang tidak dipercaya lagi.",
        "en": "{count} records will be sent again: their sent marks rested on a server key no longer trusted.",
    },
    "sync.forks": {
        "id": "{count} bukti cabang rantai (dua catatan seorang petugas di tempat yang sama) disimpan; catatan petugas itu sejak cabang tidak dihitung.",
        "en": "{count} fork evidence kept (an officer's two records at one place of the chain); that officer's records from the fork on do not count.",
    },
    "sync.server_certificate_time": {
        "id": "Sertifikat server dari penyelenggara tidak berlaku menurut jam laptop ini. Periksa tanggal, waktu dan zona waktu laptop; jika sudah benar, minta penyelenggara memperbarui sertifikat server. Tidak ada yang dikirim.",
        "en": "The server's certificate from the election authority is not in force by this laptop's clock. Check the laptop's date, time and time zone; if they are right, ask the authority to renew the server's certificate. Nothing was sent.",
    },
    "sync.failed": {
        "id": "Sinkron gagal: {detail}",
        "en": "Sync failed: {detail}",
    },
    "sync.misbehaved": {
        "id": "Server melanggar janji yang ditandatanganinya sendiri ({kind}): {detail}. Tidak ada yang ditandai terkirim atas dasar jawabannya; bukti bertanda tangan disimpan di folder ini ('recap log'). Laporkan ke penyelenggara pemilu.",
        "en": "The server broke a promise its own signatures make ({kind}): {detail}. Nothing was marked sent on its word; the signed evidence is kept in this folder ('recap log'). Tell the election authority.",
    },
    "log.none": {
        "id": "Belum ada kepala pohon log server yang terverifikasi (belum pernah sinkron).",
        "en": "No tree head of the server's log verified yet (never synced).",
    },
    "log.head": {
        "id": "Log server: {size} entri, akar {root}, ditandatangani server {server} pada {time}.",
        "en": "The server's log: {size} entries, root {root}, signed by server {server} at {time}.",
    },
    "log.partitions": {
        "id": "Partisi yang sudah diperiksa lengkap: {names}",
        "en": "Partitions checked complete: {names}",
    },
    "log.authority": {"id": "(penyelenggara)", "en": "(authority)"},
    "log.gossip": {
        "id": "Kepala log dari laptop lain, menunggu diperiksa saat sinkron berikut: {count}",
        "en": "Heads shown by other laptops, to check at the next sync: {count}",
    },
    "log.clean": {
        "id": "Tidak ada bukti pelanggaran server.",
        "en": "No evidence of misbehaviour by the server.",
    },
    "log.evidence": {
        "id": "Bukti pelanggaran server: {count}. Serahkan folder ini atau 'recap log --json' ke penyelenggara.",
        "en": "Evidence of the server's misbehaviour: {count}. Give this folder or 'recap log --json' to the election authority.",
    },
    "audit.unreachable": {
        "id": "Server tidak dapat diaudit: {detail}",
        "en": "The server could not be audited: {detail}",
    },
    "audit.bad_answer": {
        "id": "Jawaban server tidak dapat diaudit: {detail}",
        "en": "The server's answer cannot be audited: {detail}",
    },
    "audit.summary": {
        "id": "Log server {server}: {size} entri, akar {root}. {records} catatan diunduh, {admitted} lolos aturan penerimaan, {partitions} partisi, {regions} total wilayah dibandingkan, {heads} kepala lain diperiksa, dalam {seconds} detik.",
        "en": "Server {server}'s log: {size} entries, root {root}. {records} records downloaded, {admitted} admitted by the rule, {partitions} partitions, {regions} region totals compared, {heads} other heads checked, in {seconds} s.",
    },
    "audit.ok": {
        "id": "Audit selesai: log, kepala bertanda tangan dan semua total yang diterbitkan server cocok.",
        "en": "Audit passed: the log, its signed head and every total the server publishes agree.",
    },
    "audit.found": {
        "id": "Audit menemukan {count} perbedaan:",
        "en": "The audit found {count} differences:",
    },
    "bundle.misbehaved": {
        "id": "Bundel ini menunjukkan server menyimpan dua riwayat berbeda: {detail}. Buktinya disimpan ('recap log').",
        "en": "This bundle shows the server kept two different histories: {detail}. The evidence is kept ('recap log').",
    },
    "bundle.exported": {
        "id": "{count} catatan ditulis ke {path}.",
        "en": "{count} records written to {path}.",
    },
    "bundle.imported": {
        "id": "Bundel diimpor: {added} catatan baru, {already} sudah ada, {refused} ditolak.",
        "en": "Bundle imported: {added} new records, {already} held already, {refused} refused.",
    },
    "bundle.photos_exported": {
        "id": "{count} foto ditulis ke {path}.",
        "en": "{count} photos written to {path}.",
    },
    "bundle.photos_not_held": {
        "id": "{count} foto yang disebut lembar tidak ada di laptop ini dan tidak disertakan; penerima tetap dapat mengambilnya dari server.",
        "en": "{count} photos the sheets name are not held on this laptop and were not included; the receiver can still fetch them from the server.",
    },
    "bundle.photos_imported": {
        "id": "Foto dari bundel: {kept} disimpan, {refused} ditolak.",
        "en": "Photos from the bundle: {kept} kept, {refused} refused.",
    },
    "bundle.no_room": {
        "id": "Tidak ada cukup ruang untuk bundel di {path} ({detail}). Tidak ada foto yang setengah tertulis dan berkas bundel tidak ditulis; kosongkan ruang atau gunakan USB lain, lalu ulangi.",
        "en": "There is no room for the bundle at {path} ({detail}). No photo is half-written and the bundle file was not written; free some space or use another USB stick, then try again.",
    },
    "bundle.photos_folder_bad": {
        "id": "{path} sudah ada tetapi bukan folder biasa (sebuah tautan atau berkas): foto bundel tidak ditulis ke sana dan berkas bundel tidak ditulis. Hapus atau ganti namanya, atau pilih nama bundel lain.",
        "en": "{path} exists but is not a plain folder (a link or a file): the bundle's photos are not written there and the bundle file was not written. Remove or rename it, or choose another bundle name.",
    },
    "bundle.photo_refused.link": {
        "id": "foto {sha}: sebuah tautan (link), bukan berkas; tidak dibaca dan tidak disimpan",
        "en": "photo {sha}: a link, not a file; not read and not kept",
    },
    "bundle.photo_refused.not_file": {
        "id": "foto {sha}: bukan berkas biasa; tidak dibaca dan tidak disimpan",
        "en": "photo {sha}: not a regular file; not read and not kept",
    },
    "bundle.photo_refused.too_big": {
        "id": "foto {sha}: berkas lebih besar dari foto yang disebut lembar; tidak dibaca dan tidak disimpan",
        "en": "photo {sha}: the file is larger than the photo the sheet names; not read and not kept",
    },
    "bundle.photo_refused.altered": {
        "id": "foto {sha}: isinya tidak cocok dengan SHA-256 namanya; tidak disimpan",
        "en": "photo {sha}: its bytes do not hash to its name; not kept",
    },
    "bundle.photo_refused.not_named": {
        "id": "foto {sha}: bukan gambar (jenis atau ukuran) yang disebut lembar; tidak disimpan",
        "en": "photo {sha}: not the image (type or size) the sheet names; not kept",
    },
    "bundle.photo_refused.unreadable": {
        "id": "foto {sha}: tidak dapat dibaca ({detail}); tidak disimpan",
        "en": "photo {sha}: cannot be read ({detail}); not kept",
    },
    "bundle.photo_refused.not_kept": {
        "id": "foto {sha}: laptop ini tidak dapat menyimpannya ({detail}); foto lainnya juga tidak diambil",
        "en": "photo {sha}: this laptop cannot keep it ({detail}); the photos after it were not taken either",
    },
    "bundle.unreadable": {
        "id": "Bundel {path} tidak dapat dibaca ({detail}); tidak ada yang diubah.",
        "en": "The bundle {path} cannot be read ({detail}); nothing was changed.",
    },
    "bundle.too_large": {
        "id": "Penyimpanan memuat {records} catatan, lebih dari yang dapat dibawa satu bundel ({limit}). Gunakan sinkron dengan server.",
        "en": "The store holds {records} records, more than one bundle carries ({limit}). Use sync with the server.",
    },
    "bundle.damaged_store": {
        "id": "Catatan {hash} di penyimpanan rusak ({detail}); jalankan 'recap verify'.",
        "en": "Record {hash} in the store is damaged ({detail}); run 'recap verify'.",
    },
    "file.unwritable": {
        "id": "Tidak dapat menulis {path}: {detail}",
        "en": "Cannot write {path}: {detail}",
    },
}

# What a laptop may find the server did (PROTOCOL §10.6), by the names of protocol/log.py.
MISBEHAVIOUR: dict[str, dict[str, str]] = {
    "uncertified_server": {
        "id": "kunci server tidak bersertifikat dari penyelenggara",
        "en": "server key not certified by the authority",
    },
    "bad_head": {"id": "kepala log tidak sah", "en": "an invalid tree head"},
    "forked": {
        "id": "dua log berbeda dengan ukuran sama (riwayat bercabang)",
        "en": "two different logs of one size (a forked history)",
    },
    "inconsistent": {
        "id": "log baru tidak melanjutkan log lama (riwayat ditulis ulang)",
        "en": "the new log does not extend the old one (history rewritten)",
    },
    "rolled_back": {"id": "log server memendek", "en": "the server's log shrank"},
    "bad_receipt": {
        "id": "tanda terima tanpa bukti catatan ada di log",
        "en": "a receipt without proof its records are in the log",
    },
    "withheld": {
        "id": "server menahan catatan yang ada di lognya",
        "en": "the server withheld records its log holds",
    },
    "misplaced": {"id": "entri log di tempat yang salah", "en": "a log entry out of place"},
    "unknown_signer_logged": {
        "id": "server mencatat catatan dari penanda tangan yang sertifikatnya tidak ada di lognya",
        "en": "the server logged a record whose signer's certificate its log does not hold",
    },
}


def misbehaviour_name(kind: str, lang: str | None = None) -> str:
    entry = MISBEHAVIOUR.get(kind)
    return entry[lang or language()] if entry else kind


# Names for the verifier's problem kinds, shown beside each record.
PROBLEMS: dict[str, dict[str, str]] = {
    "malformed": {"id": "catatan cacat", "en": "malformed record"},
    "bad_signature": {"id": "tanda tangan tidak sah", "en": "signature does not verify"},
    "unknown_signer": {"id": "penanda tangan tidak dikenal", "en": "unknown signer"},
    "awaiting_certificate": {"id": "menunggu sertifikat", "en": "awaiting certificate"},
    "revoked": {"id": "penanda tangan dicabut", "en": "signer revoked"},
    "certificate_expired": {
        "id": "di luar masa berlaku sertifikat",
        "en": "outside the certificate's validity",
    },
    "role": {"id": "peran tidak berwenang", "en": "role not allowed"},
    "jurisdiction": {"id": "di luar wilayah petugas", "en": "outside the officer's region"},
    "wrong_election": {"id": "pemilu lain", "en": "another election"},
    "no_election": {"id": "tidak ada paket pemilu", "en": "no election package"},
    "unknown_station": {"id": "TPS tidak dikenal", "en": "unknown polling station"},
    "unknown_contest": {"id": "pemilihan tidak dikenal", "en": "unknown contest"},
    "bad_values": {"id": "nilai tidak sah", "en": "invalid values"},
    "breaks_rule": {"id": "melanggar aturan formulir", "en": "breaks a form rule"},
    "unacknowledged_warning": {
        "id": "peringatan paket tanpa alasan",
        "en": "a package warning without a reason",
    },
    "chain_gap": {
        "id": "rantai terputus (catatan hilang)",
        "en": "chain gap (a record is missing)",
    },
    "time_order": {"id": "waktu mundur dalam rantai", "en": "time goes back along the chain"},
    "expired": {"id": "paket kedaluwarsa", "en": "package expired"},
    "forked": {"id": "setelah cabang rantai", "en": "after a chain fork"},
    "clock_skew": {"id": "jam penanda tangan maju", "en": "signer's clock ahead"},
    "review_conflict": {
        "id": "keputusan pengawas bertentangan",
        "en": "supervisors' decisions conflict",
    },
    "approvals_disagree": {
        "id": "persetujuan atas angka berbeda",
        "en": "approvals of different numbers",
    },
    "chain_prev": {"id": "urutan rantai salah", "en": "chain out of order"},
    "missing_record": {"id": "catatan hilang", "en": "record missing"},
    "equivocation": {
        "id": "dua catatan di tempat yang sama (cabang)",
        "en": "two records at one place (fork)",
    },
    "dangling": {"id": "merujuk catatan yang tidak ada", "en": "refers to a record that is absent"},
    "self_review": {
        "id": "memeriksa lembar yang ditandatangani kuncinya sendiri",
        "en": "reviews a sheet signed by its own key",
    },
    "unknown_region": {"id": "wilayah tidak dikenal", "en": "unknown region"},
    "bad_children": {
        "id": "rincian wilayah D.Hasil tidak lengkap atau salah",
        "en": "a D.Hasil's children are incomplete or wrong",
    },
    "bad_totals": {
        "id": "jumlah D.Hasil tidak sama dengan rinciannya",
        "en": "a D.Hasil's totals are not the sum of its children",
    },
    "not_closed": {
        "id": "D.Hasil final dengan hal yang belum selesai",
        "en": "a final D.Hasil with items not settled",
    },
    "bad_ruling": {
        "id": "putusan tidak sesuai jenisnya (keberatan atau kejadian khusus)",
        "en": "a ruling that does not fit what it rules on",
    },
}


_chosen: str | None = None  # the window's choice (its Language menu), when it runs


def use_language(lang: str | None) -> None:
    """Make ``lang`` the language of every message rendered without one (the window calls
    this when its language changes, so services and the window speak alike); None: back to
    the environment's."""
    global _chosen
    _chosen = lang if lang in ("id", "en") else None


def system_language() -> str:
    """Indonesian unless the system asks for English explicitly.

    A laptop installed with an English or C locale (the installers' default) is still an
    Indonesian officer's: only ``RECAP_LANG=en`` or an English first choice in ``LANGUAGE``
    (the user's own list of preferred languages, GNU gettext's) asks for English.
    """
    chosen = os.environ.get("RECAP_LANG")
    if chosen in ("id", "en"):
        return chosen
    preferred = os.environ.get("LANGUAGE", "").split(":")[0].strip().lower()
    return "en" if preferred.startswith("en") else "id"


def language() -> str:
    """'id' or 'en': the window's choice while it runs, else RECAP_LANG, else Indonesian
    unless the system asks for English explicitly (``system_language``)."""
    return _chosen or system_language()


def tr(key: str, lang: str | None = None, **params: object) -> str:
    entry = MESSAGES[key]
    return entry[lang or language()].format(**params)


def problem_name(kind: str, lang: str | None = None) -> str:
    entry = PROBLEMS.get(kind)
    return entry[lang or language()] if entry else kind


@dataclass(frozen=True)
class Message:
    """A message as data: a catalogue key and its parameters, rendered in a language only at
    the edge (the CLI's print, the window's label). A parameter that is itself a Message, or
    a mapping of language to text (an election package's bilingual label), is rendered in
    the same language."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        chosen = lang or language()
        return tr(self.key, chosen, **{k: _render(v, chosen) for k, v in self.params.items()})


def _render(value: object, lang: str) -> object:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Mapping) and ("id" in value or "en" in value):
        return value.get(lang) or value.get("id") or value.get("en") or ""
    return value


def render(message: Message | str, lang: str | None = None) -> str:
    """A detail line as a person reads it (a plain string is a literal: a hash, a path)."""
    return message.render(lang) if isinstance(message, Message) else message


# A network failure in plain words, by the sync client's kind of failure (sync/client.py);
# the raw library text goes to the log and `--json`, never to the officer.
NETWORK: dict[str, dict[str, str]] = {
    "connection": {
        "id": "server tidak dapat dihubungi: periksa jaringan dan alamat server",
        "en": "the server cannot be reached: check the network and the server address",
    },
    "timeout": {
        "id": "server tidak menjawab pada waktunya: jaringan lambat atau server sibuk",
        "en": "the server did not answer in time: the network is slow or the server busy",
    },
    "server": {
        "id": "server sedang bermasalah atau sibuk: dicoba lagi nanti",
        "en": "the server is having trouble or is busy: it will be tried again later",
    },
    "protocol": {
        "id": "server menolak permintaan: periksa alamat server (mungkin bukan server rekap)",
        "en": "the server refused the request: check the server address (it may not be a recap server)",
    },
    "bad_answer": {
        "id": "jawaban server tidak dapat dibaca: periksa alamat server",
        "en": "the server's answer cannot be read: check the server address",
    },
    "too_large": {
        "id": "jawaban server lebih besar dari yang dibaca program ini, jadi tidak dibaca lebih jauh: periksa alamat server, atau beri tahu pengelola server",
        "en": "the server's answer is larger than this program reads, so it was not read further: check the server address, or tell the server's operator",
    },
    "too_slow": {
        "id": "jawaban server tidak datang utuh dalam waktu yang boleh dipakai satu permintaan, jadi sambungan diputus: jaringan sangat lambat atau server bermasalah; dicoba lagi nanti",
        "en": "the server's answer did not come whole in the time a request may take, so the connection was cut: the network is very slow or the server misbehaves; it will be tried again later",
    },
    "redirect": {
        "id": "server mengalihkan laptop ini ke alamat lain, dan pengalihan tidak pernah diikuti: periksa alamat server (alamat server itu sendiri, dengan https://)",
        "en": "the server sent this laptop to another address, and a redirect is never followed: check the server address (the server's own address, with https://)",
    },
}


MESSAGES.update({f"net.{kind}": texts for kind, texts in NETWORK.items()})


def network_error(kind: str | None, lang: str | None = None) -> str:
    """What went wrong with the network, in plain words; any unknown kind reads as "cannot be
    reached", the one thing the officer can act on."""
    entry = NETWORK.get(kind or "", NETWORK["connection"])
    return entry[lang or language()]


def local_time(utc: str | None, *, seconds: bool = False) -> str:
    """A record's UTC time (2026-02-14T10:00:00Z) as the officer's clock reads it, with the
    zone (``2026-02-14 17:00 WIB``): records keep UTC, people read their own time. A time
    that does not parse is shown as it is, never hidden."""
    from datetime import datetime

    if not utc:
        return ""
    try:
        moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    except ValueError:
        return utc
    if moment.tzinfo is None:
        return utc
    local = moment.astimezone()
    zone = local.tzname() or ""
    if not zone or zone[0] in "+-":  # a zone without a name: say its offset from UTC
        zone = "UTC" + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " " + zone


# `recap --help` in Indonesian: each English help text of the parser (cli.py) and of
# argparse's own, by its English words (the parser is written in English, like the window's
# source strings; tests/test_cli_language.py checks that none is left without its Indonesian).
HELP_ID: dict[str, str] = {
    "usage: ": "penggunaan: ",
    # argparse's own sentences (cli.py hands argparse this catalogue): usage errors.
    "the following arguments are required: %s": "argumen berikut wajib diberikan: %s",
    "unrecognized arguments: %s": "argumen tidak dikenal: %s",
    "one of the arguments %s is required": "salah satu argumen %s wajib diberikan",
    "argument %(argument_name)s: %(message)s": "argumen %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "pilihan tidak sah: %(value)r (pilih dari %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "nilai %(type)s tidak sah: %(value)r",
    "expected one argument": "harus diikuti satu nilai",
    "expected at most one argument": "paling banyak diikuti satu nilai",
    "expected at least one argument": "paling sedikit diikuti satu nilai",
    "not allowed with argument %s": "tidak boleh bersama argumen %s",
    "ignored explicit argument %r": "nilai %r untuk opsi ini diabaikan",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opsi ambigu: %(option)s bisa berarti %(matches)s"
    ),
    "unexpected option string: %s": "opsi tak terduga: %s",
    "can't open '%(filename)s': %(error)s": "tidak dapat membuka '%(filename)s': %(error)s",
    "Recap Desktop: signed, offline-first election recapitulation.": "Recap Desktop: rekapitulasi pemilu bertanda tangan, tetap jalan tanpa jaringan.",
    "positional arguments": "argumen posisi",
    "options": "opsi",
    "show this help message and exit": "tampilkan bantuan ini lalu keluar",
    "show the version and exit": "tampilkan versi lalu keluar",
    "data folder (default: $RECAP_DATA_DIR or the user data folder)": "folder data (bawaan: $RECAP_DATA_DIR atau folder data pengguna)",
    "read the passphrase from this file (default: $RECAP_PASSPHRASE or a prompt)": "baca frasa sandi dari berkas ini (bawaan: $RECAP_PASSPHRASE atau ditanyakan)",
    "the built-in DEMO election": "pemilu DEMO bawaan",
    "the officer's key": "kunci petugas",
    "the election package": "paket pemilu",
    "polling station sheets (C.Hasil)": "formulir TPS (C.Hasil)",
    "the recapitulation of a region: sign its D.Hasil as chair, print it": "rekapitulasi suatu wilayah: tandatangani D.Hasil-nya sebagai ketua, cetak",
    "witnesses' objections and incidents, and the chair's rulings": "keberatan saksi dan kejadian khusus, serta putusan ketua",
    "check a printed D.Hasil or C.Hasil against its signed record": "cocokkan D.Hasil atau C.Hasil cetak dengan catatan bertanda tangannya",
    "totals for a region": "jumlah suara suatu wilayah",
    "verify every signature, chain, certificate, role and region": "verifikasi setiap tanda tangan, rantai, sertifikat, peran dan wilayah",
    "recreate every projection from the records": "bangun ulang semua tabel dari catatan",
    "send unsent records to the server, receive colleagues' ones": "kirim catatan yang belum terkirim ke server, terima catatan rekan",
    "audit a server: download its whole log, check it, recount every region": "audit server: unduh seluruh lognya, periksa, hitung ulang setiap wilayah",
    "the server's log as this laptop verified it, and evidence against it": "log server sebagaimana diverifikasi laptop ini, dan bukti pelanggarannya",
    "carry records by USB": "bawa catatan dengan USB",
    "import the demo election, make an identity certified by the demo authority": "impor pemilu DEMO, buat identitas yang disertifikasi otoritas DEMO",
    "sign consistent random sheets": "tandatangani formulir acak yang konsisten",
    "size of a synthetic demo election": "ukuran pemilu DEMO sintetis",
    "region code the certificate covers (default: 32; a chair: every DEMO sub-district)": "kode wilayah yang dicakup sertifikat (bawaan: 32; ketua: setiap kecamatan DEMO)",
    "write a certificate request file for the authority": "tulis berkas permintaan sertifikat untuk otoritas",
    "import the certificate file from the authority": "impor berkas sertifikat dari otoritas",
    "the authority key's published fingerprint, on first import": "sidik jari kunci otoritas yang diumumkan, pada impor pertama",
    "approve or reject a sheet (supervisors)": "setujui atau tolak formulir (pengawas)",
    "print a signed C.Hasil as a PDF on A4": "cetak C.Hasil bertanda tangan sebagai PDF A4",
    "JSON file: field id -> count": "berkas JSON: id kolom -> jumlah",
    "a sheet version (default: the one that counts)": "versi formulir (bawaan: yang dihitung)",
    "the PDF file to write": "berkas PDF yang ditulis",
    "the form's language (default: id)": "bahasa formulir (bawaan: id)",
    "a sub-district, regency or province code": "kode kecamatan, kabupaten/kota atau provinsi",
    "what it rests on (default: the D.Hasil below; a sub-district: its sheets)": "dasarnya (bawaan: D.Hasil di bawahnya; kecamatan: formulir TPS-nya)",
    "sign an interim D.Hasil while children or objections are pending": "tandatangani D.Hasil sementara selagi wilayah bawahan atau keberatan belum selesai",
    "why a new version replaces your earlier D.Hasil": "mengapa versi baru menggantikan D.Hasil Anda sebelumnya",
    "show the plenary (children, totals, blockers); sign nothing": "tampilkan pleno (wilayah bawahan, jumlah, penghambat); tidak menandatangani apa pun",
    "also print the D.Hasil to this PDF file (A4)": "cetak juga D.Hasil ke berkas PDF ini (A4)",
    "with --show --pdf: the D.Hasil version to print (default: the one shown)": "dengan --show --pdf: versi D.Hasil yang dicetak (bawaan: yang ditampilkan)",
    "record an objection or an incident (signed)": "catat keberatan atau kejadian khusus (bertanda tangan)",
    "the chair's signed ruling on an objection": "putusan ketua yang bertanda tangan atas keberatan",
    "objections filed inside a region, open ones first": "keberatan di dalam suatu wilayah, yang belum diputus lebih dulu",
    "a polling station or region code": "kode TPS atau wilayah",
    "what is contested, or what happened": "apa yang dipersoalkan, atau apa yang terjadi",
    "the witness's name": "nama saksi",
    "the party or candidate the witness represents": "partai atau calon yang diwakili saksi",
    "the paper form's reference (D.Kejadian Khusus No. ...)": "rujukan formulir kertas (D.Kejadian Khusus No. ...)",
    "the objection's hash": "hash keberatan",
    "the QR code's text (recap:1:...) or the record hash": "teks kode QR (recap:1:...) atau hash catatan",
    "a scan or photo of the page's QR code (PNG, JPEG)": "pindaian atau foto kode QR halaman (PNG, JPEG)",
    "fetch the record from this server if it is not held here": "ambil catatan dari server ini bila tidak ada di sini",
    "server address (kept once a sync with it went through)": "alamat server (disimpan setelah sinkron dengannya berhasil)",
    "seconds to wait for an answer": "detik menunggu jawaban",
    "tries before giving up": "jumlah percobaan sebelum menyerah",
    "the server's URL": "URL server",
    "the election authority's key fingerprint (16 or more hex digits)": "sidik jari kunci otoritas pemilu (16 digit heksadesimal atau lebih)",
    "a tree head to check too": "kepala pohon log yang ikut diperiksa",
    "keep the audited records in this new folder": "simpan catatan yang diaudit di folder baru ini",
    "write every record to a bundle file": "tulis semua catatan ke berkas bundel",
    "verify and import a bundle file": "verifikasi dan impor berkas bundel",
    "instead: any version's or review's hash, or its first 8+ digits": "sebagai gantinya: hash versi atau tinjauan mana pun, atau 8+ digit pertamanya",
    "the sheet version's hash, or its first 8+ digits": "hash versi formulir, atau 8+ digit pertamanya",
    "double entry: the same sheet typed a second time, blind; signed only if equal": "entri ganda: formulir yang sama diketik kedua kalinya tanpa melihat yang pertama; ditandatangani hanya bila sama",
    "double entry: the second operator's key id": "entri ganda: id kunci operator kedua",
    "lift your earlier requirement": "cabut persyaratan Anda sebelumnya",
    "sign despite the warnings listed, saying why (kept in the signed sheet)": "tandatangani walau ada peringatan yang tercantum, dengan alasannya (disimpan dalam formulir bertanda tangan)",
    "supervisors: sheets of a region must be typed twice before they are signed": "pengawas: formulir suatu wilayah harus diketik dua kali sebelum ditandatangani",
    "a photo or scan of the C.Hasil page (PNG/JPEG, at most 10 MiB); repeat for more": "foto atau pindaian halaman C.Hasil (PNG/JPEG, paling besar 10 MiB); ulangi untuk lebih dari satu",
    "allow plain http:// to another machine: a test network only (kept)": "izinkan http:// biasa ke mesin lain: hanya untuk jaringan uji (disimpan)",
    "trust this CA for the https:// server (kept; '' resets)": "percayai CA ini untuk server https:// (disimpan; '' mengatur ulang)",
}


def help_text(english: str, lang: str | None = None) -> str:
    """A help text of the command line in ``lang``; English where no Indonesian is known
    yet (the test lists any such)."""
    if (lang or language()) == "en":
        return english
    return HELP_ID.get(english, english)
