<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id" sourcelanguage="en">
<context>
    <name></name>
    <message>
        <source>Recap Desktop</source>
        <translation>Recap Desktop</translation>
    </message>
    <message>
        <source>The DEMO is ready: start Recap Desktop again with --demo.</source>
        <translation>DEMO sudah siap: jalankan Recap Desktop lagi dengan --demo.</translation>
    </message>
    <message>
        <source>What</source>
        <translation>Apa</translation>
    </message>
    <message>
        <source>Signed by</source>
        <translation>Ditandatangani oleh</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>correction</source>
        <translation>koreksi</translation>
    </message>
    <message>
        <source>sheet</source>
        <translation>formulir</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>disetujui</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>ditolak</translation>
    </message>
    <message>
        <source>does not count: %1</source>
        <translation>tidak dihitung: %1</translation>
    </message>
    <message>
        <source>not entered</source>
        <translation>belum diisi</translation>
    </message>
    <message>
        <source>signed</source>
        <translation>ditandatangani</translation>
    </message>
    <message>
        <source>corrected</source>
        <translation>dikoreksi</translation>
    </message>
    <message>
        <source>disputed</source>
        <translation>diperselisihkan</translation>
    </message>
    <message>
        <source>not counted: needs attention</source>
        <translation>tidak dihitung: perlu diperiksa</translation>
    </message>
    <message>
        <source>partly entered</source>
        <translation>sebagian diisi</translation>
    </message>
    <message>
        <source>not yet sent</source>
        <translation>belum terkirim</translation>
    </message>
    <message>
        <source>no D.Hasil yet</source>
        <translation>belum ada D.Hasil</translation>
    </message>
    <message>
        <source>interim D.Hasil only</source>
        <translation>baru D.Hasil sementara</translation>
    </message>
    <message>
        <source>D.Hasil outdated: its chair signs a new version</source>
        <translation>D.Hasil usang: ketuanya menandatangani versi baru</translation>
    </message>
    <message>
        <source>key not yet certified</source>
        <translation>kunci belum disertifikasi</translation>
    </message>
    <message>
        <source>signer revoked</source>
        <translation>penanda tangan dicabut</translation>
    </message>
    <message>
        <source>role not allowed</source>
        <translation>peran tidak berwenang</translation>
    </message>
    <message>
        <source>outside the signer&apos;s region</source>
        <translation>di luar wilayah penanda tangan</translation>
    </message>
    <message>
        <source>after a chain fork</source>
        <translation>setelah cabang rantai</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>operator</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>pengawas</translation>
    </message>
    <message>
        <source>chair</source>
        <translation>ketua</translation>
    </message>
    <message>
        <source>witness</source>
        <translation>saksi</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>diterima</translation>
    </message>
    <message>
        <source>noted</source>
        <translation>dicatat</translation>
    </message>
    <message>
        <source>Unlock your key</source>
        <translation>Buka kunci Anda</translation>
    </message>
    <message>
        <source>Passphrase of your signing key:</source>
        <translation>Frasa sandi kunci tanda tangan Anda:</translation>
    </message>
    <message>
        <source>Unlocking the key</source>
        <translation>Membuka kunci</translation>
    </message>
    <message>
        <source>DEMO key: the passphrase is %1</source>
        <translation>Kunci DEMO: frasa sandinya %1</translation>
    </message>
    <message>
        <source>Sheet (C.Hasil)</source>
        <translation>Formulir (C.Hasil)</translation>
    </message>
    <message>
        <source>Recap</source>
        <translation>Rekapitulasi</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>Verifikasi</translation>
    </message>
    <message>
        <source>Plenary (D.Hasil)</source>
        <translation>Rapat pleno (D.Hasil)</translation>
    </message>
    <message>
        <source>Contest:</source>
        <translation>Pemilihan:</translation>
    </message>
    <message>
        <source>History of this sheet</source>
        <translation>Riwayat formulir ini</translation>
    </message>
    <message>
        <source>Save and sign</source>
        <translation>Simpan dan tanda tangani</translation>
    </message>
    <message>
        <source>Import election package…</source>
        <translation>Impor paket pemilu…</translation>
    </message>
    <message>
        <source>Import certificate…</source>
        <translation>Impor sertifikat…</translation>
    </message>
    <message>
        <source>Export certificate request…</source>
        <translation>Ekspor permintaan sertifikat…</translation>
    </message>
    <message>
        <source>Import a USB bundle…</source>
        <translation>Impor bundel USB…</translation>
    </message>
    <message>
        <source>Export a USB bundle…</source>
        <translation>Ekspor bundel USB…</translation>
    </message>
    <message>
        <source>Receipts from the server…</source>
        <translation>Tanda terima dari server…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Keluar</translation>
    </message>
    <message>
        <source>Verify every record</source>
        <translation>Verifikasi semua catatan</translation>
    </message>
    <message>
        <source>Rebuild tables from the records</source>
        <translation>Bangun ulang tabel dari catatan</translation>
    </message>
    <message>
        <source>Refresh states</source>
        <translation>Perbarui status</translation>
    </message>
    <message>
        <source>Lock the key now</source>
        <translation>Kunci sekarang</translation>
    </message>
    <message>
        <source>Double entry: type this sheet twice…</source>
        <translation>Entri ganda: ketik lembar ini dua kali…</translation>
    </message>
    <message>
        <source>Find a polling station</source>
        <translation>Cari TPS</translation>
    </message>
    <message>
        <source>Lock the key after idle time…</source>
        <translation>Kunci otomatis saat tidak aktif…</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sinkronkan sekarang</translation>
    </message>
    <message>
        <source>Central server address…</source>
        <translation>Alamat server pusat…</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>Sesuai sistem</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Berkas</translation>
    </message>
    <message>
        <source>&amp;Sheet</source>
        <translation>&amp;Formulir</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>&amp;Alat</translation>
    </message>
    <message>
        <source>S&amp;ettings</source>
        <translation>&amp;Pengaturan</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Bahasa</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ban&amp;tuan</translation>
    </message>
    <message>
        <source>About Recap Desktop</source>
        <translation>Tentang Recap Desktop</translation>
    </message>
    <message>
        <source>key not yet certified: sheets do not count yet</source>
        <translation>kunci belum disertifikasi: lembar belum dihitung</translation>
    </message>
    <message>
        <source>KEY REVOKED: it cannot sign</source>
        <translation>KUNCI DICABUT: tidak dapat menandatangani</translation>
    </message>
    <message>
        <source>certificate ended: it cannot sign</source>
        <translation>sertifikat berakhir: tidak dapat menandatangani</translation>
    </message>
    <message>
        <source>Recap Desktop %1</source>
        <translation>Recap Desktop %1</translation>
    </message>
    <message>
        <source>Offline-first recapitulation of hand-counted election results: every sheet is signed with the officer&apos;s key, kept on this laptop, and synced whenever the central server can be reached.</source>
        <translation>Rekapitulasi hasil penghitungan suara manual yang tidak bergantung pada jaringan: setiap lembar ditandatangani dengan kunci petugas, disimpan di laptop ini, dan disinkronkan setiap kali server pusat dapat dihubungi.</translation>
    </message>
    <message>
        <source>Qt %1, Python %2. Data folder: %3</source>
        <translation>Qt %1, Python %2. Folder data: %3</translation>
    </message>
    <message>
        <source>Central server address</source>
        <translation>Alamat server pusat</translation>
    </message>
    <message>
        <source>Address of the central server, for example https://recap.example.go.id/ (leave empty to work offline only):</source>
        <translation>Alamat server pusat, misalnya https://recap.example.go.id/ (kosongkan untuk bekerja luring saja):</translation>
    </message>
    <message>
        <source>Sync not configured: set the central server in Settings</source>
        <translation>Sinkronisasi belum diatur: isi server pusat di Pengaturan</translation>
    </message>
    <message numerus="yes">
        <source>%n unsent</source>
        <translation>
            <numerusform>%n belum terkirim</numerusform>
        </translation>
    </message>
    <message>
        <source>the server broke its own signed promises: nothing was marked sent on its word; the evidence is kept in this folder. Tell the election authority</source>
        <translation>server melanggar janji yang ditandatanganinya sendiri: tidak ada yang ditandai terkirim atas dasar jawabannya; buktinya disimpan di folder ini. Laporkan ke penyelenggara pemilu</translation>
    </message>
    <message>
        <source>this laptop&apos;s clock is %1 minutes off the server&apos;s: set it right</source>
        <translation>jam laptop ini selisih %1 menit dari jam server: betulkan jamnya</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) with problems: see the Verification tab.</source>
        <translation>
            <numerusform>%n catatan bermasalah: lihat tab Verifikasi.</numerusform>
        </translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <source>&lt; Back</source>
        <translation>&lt; Kembali</translation>
    </message>
    <message>
        <source>Next &gt;</source>
        <translation>Lanjut &gt;</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>Selesai</translation>
    </message>
    <message>
        <source>DEMO election: not a real election. Names and numbers are invented; the DEMO passphrase is %1. Data folder: %2</source>
        <translation>Pemilu DEMO: bukan pemilu sungguhan. Nama dan angka rekaan; frasa sandi DEMO adalah %1. Folder data: %2</translation>
    </message>
    <message>
        <source>Lock the key after idle time</source>
        <translation>Kunci otomatis saat tidak aktif</translation>
    </message>
    <message>
        <source>Minutes without a key press or click before the key locks:</source>
        <translation>Menit tanpa tombol ditekan atau klik sebelum kunci terkunci:</translation>
    </message>
    <message>
        <source>Opening the election</source>
        <translation>Membuka data pemilu</translation>
    </message>
    <message>
        <source>key locked</source>
        <translation>kunci terkunci</translation>
    </message>
    <message>
        <source>key unlocked</source>
        <translation>kunci terbuka</translation>
    </message>
    <message>
        <source>online</source>
        <translation>daring</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>luring</translation>
    </message>
    <message>
        <source>last sync %1</source>
        <translation>sinkronisasi terakhir %1</translation>
    </message>
    <message>
        <source>never</source>
        <translation>belum pernah</translation>
    </message>
    <message>
        <source>Import election package</source>
        <translation>Impor paket pemilu</translation>
    </message>
    <message>
        <source>Importing the election package</source>
        <translation>Mengimpor paket pemilu</translation>
    </message>
    <message>
        <source>Import certificate</source>
        <translation>Impor sertifikat</translation>
    </message>
    <message>
        <source>Importing the certificate</source>
        <translation>Mengimpor sertifikat</translation>
    </message>
    <message>
        <source>Export a USB bundle</source>
        <translation>Ekspor bundel USB</translation>
    </message>
    <message>
        <source>Writing the bundle</source>
        <translation>Menulis bundel</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) written beside it, in:</source>
        <translation>
            <numerusform>%n foto ditulis di sampingnya, di:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) the sheets name are not held here and were not included.</source>
        <translation>
            <numerusform>%n foto yang disebut lembar tidak ada di sini dan tidak disertakan.</numerusform>
        </translation>
    </message>
    <message>
        <source>Bundle written</source>
        <translation>Bundel ditulis</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) written to the bundle.</source>
        <translation>
            <numerusform>%n catatan ditulis ke bundel.</numerusform>
        </translation>
    </message>
    <message>
        <source>Import a USB bundle</source>
        <translation>Impor bundel USB</translation>
    </message>
    <message>
        <source>Importing the bundle</source>
        <translation>Mengimpor bundel</translation>
    </message>
    <message numerus="yes">
        <source>%n new record(s) imported.</source>
        <translation>
            <numerusform>%n catatan baru diimpor.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) held already.</source>
        <translation>
            <numerusform>%n catatan sudah ada.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) refused:</source>
        <translation>
            <numerusform>%n catatan ditolak:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) kept from the bundle.</source>
        <translation>
            <numerusform>%n foto dari bundel disimpan.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) refused:</source>
        <translation>
            <numerusform>%n foto ditolak:</numerusform>
        </translation>
    </message>
    <message>
        <source>Bundle imported</source>
        <translation>Bundel diimpor</translation>
    </message>
    <message>
        <source>Reading the receipts</source>
        <translation>Membaca tanda terima</translation>
    </message>
    <message>
        <source>Export certificate request</source>
        <translation>Ekspor permintaan sertifikat</translation>
    </message>
    <message>
        <source>Rebuilding tables from the records</source>
        <translation>Membangun ulang tabel dari catatan</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Ekspor CSV…</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Kode</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Record counted</source>
        <translation>Catatan yang dihitung</translation>
    </message>
    <message>
        <source>Line of the form</source>
        <translation>Baris formulir</translation>
    </message>
    <message>
        <source>Forming</source>
        <translation>Sementara terhitung</translation>
    </message>
    <message>
        <source>Signed D.Hasil</source>
        <translation>D.Hasil bertanda tangan</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Jenis</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>Tempat</translation>
    </message>
    <message>
        <source>Witness</source>
        <translation>Saksi</translation>
    </message>
    <message>
        <source>What is contested</source>
        <translation>Yang dipersoalkan</translation>
    </message>
    <message>
        <source>Ruling</source>
        <translation>Putusan</translation>
    </message>
    <message>
        <source>Witnesses&apos; objections and incidents</source>
        <translation>Keberatan saksi dan kejadian khusus</translation>
    </message>
    <message>
        <source>Witness&apos;s name</source>
        <translation>Nama saksi</translation>
    </message>
    <message>
        <source>Party or candidate</source>
        <translation>Partai atau pasangan calon</translation>
    </message>
    <message>
        <source>Paper form (D.Kejadian Khusus No.)</source>
        <translation>Formulir kertas (D.Kejadian Khusus No.)</translation>
    </message>
    <message>
        <source>Record and sign the objection</source>
        <translation>Catat dan tandatangani keberatan</translation>
    </message>
    <message>
        <source>Reason of the ruling</source>
        <translation>Alasan putusan</translation>
    </message>
    <message>
        <source>Sign the ruling on the chosen objection</source>
        <translation>Tandatangani putusan atas keberatan yang dipilih</translation>
    </message>
    <message>
        <source>Objection</source>
        <translation>Keberatan</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>Kejadian khusus</translation>
    </message>
    <message>
        <source>Accepted: the count is corrected</source>
        <translation>Diterima: hasil hitung dikoreksi</translation>
    </message>
    <message>
        <source>Rejected: the count stands</source>
        <translation>Ditolak: hasil hitung tetap</translation>
    </message>
    <message>
        <source>Noted</source>
        <translation>Dicatat</translation>
    </message>
    <message>
        <source>Default basis</source>
        <translation>Dasar bawaan</translation>
    </message>
    <message>
        <source>From the sheets (C.Hasil)</source>
        <translation>Dari C.Hasil TPS</translation>
    </message>
    <message>
        <source>From the D.Hasil below</source>
        <translation>Dari D.Hasil tingkat di bawah</translation>
    </message>
    <message>
        <source>Interim (the plenary stays open)</source>
        <translation>Sementara (rapat pleno tetap terbuka)</translation>
    </message>
    <message>
        <source>Reason, when it replaces your earlier D.Hasil</source>
        <translation>Alasan, bila menggantikan D.Hasil Anda sebelumnya</translation>
    </message>
    <message>
        <source>Sign the D.Hasil</source>
        <translation>Tandatangani D.Hasil</translation>
    </message>
    <message>
        <source>Print preview…</source>
        <translation>Pratinjau cetak…</translation>
    </message>
    <message>
        <source>Save as PDF…</source>
        <translation>Simpan sebagai PDF…</translation>
    </message>
    <message>
        <source>Choose a sub-district, regency or province in the tree.</source>
        <translation>Pilih kecamatan, kabupaten/kota atau provinsi di pohon wilayah.</translation>
    </message>
    <message>
        <source>Plenary of %1 (%2)</source>
        <translation>Rapat pleno %1 (%2)</translation>
    </message>
    <message>
        <source>No D.Hasil signed yet.</source>
        <translation>Belum ada D.Hasil yang ditandatangani.</translation>
    </message>
    <message>
        <source>Two chairs signed different D.Hasil: disputed.</source>
        <translation>Dua ketua menandatangani D.Hasil yang berbeda: disengketakan.</translation>
    </message>
    <message>
        <source>%1 D.Hasil in force, signed by several chairs: they agree.</source>
        <translation>%1 D.Hasil berlaku, ditandatangani beberapa ketua: isinya sama.</translation>
    </message>
    <message>
        <source>FINAL</source>
        <translation>FINAL</translation>
    </message>
    <message>
        <source>interim</source>
        <translation>sementara</translation>
    </message>
    <message>
        <source>D.Hasil %1 signed (%2) by %3 at %4</source>
        <translation>D.Hasil %1 ditandatangani (%2) oleh %3 pada %4</translation>
    </message>
    <message>
        <source>OUTDATED: the counts changed since; sign a new version.</source>
        <translation>USANG: hasil hitung telah berubah; tandatangani versi baru.</translation>
    </message>
    <message>
        <source>%1 of %2 counted.</source>
        <translation>%1 dari %2 dihitung.</translation>
    </message>
    <message>
        <source>Cannot close yet:</source>
        <translation>Belum dapat ditutup:</translation>
    </message>
    <message>
        <source>Nothing blocks closing: the D.Hasil can be signed.</source>
        <translation>Tidak ada yang menghalangi penutupan: D.Hasil dapat ditandatangani.</translation>
    </message>
    <message>
        <source>OPEN</source>
        <translation>TERBUKA</translation>
    </message>
    <message>
        <source>DISPUTED:</source>
        <translation>DISENGKETAKAN:</translation>
    </message>
    <message>
        <source>Nothing signed: the key stays locked.</source>
        <translation>Tidak ada yang ditandatangani: kunci tetap terkunci.</translation>
    </message>
    <message>
        <source>Objection recorded and signed: %1</source>
        <translation>Keberatan dicatat dan ditandatangani: %1</translation>
    </message>
    <message>
        <source>Signing the objection</source>
        <translation>Menandatangani keberatan</translation>
    </message>
    <message>
        <source>Choose an objection in the list first.</source>
        <translation>Pilih dulu keberatan di daftar.</translation>
    </message>
    <message>
        <source>Ruling signed: %1</source>
        <translation>Putusan ditandatangani: %1</translation>
    </message>
    <message>
        <source>Signing the ruling</source>
        <translation>Menandatangani putusan</translation>
    </message>
    <message>
        <source>D.Hasil signed: %1</source>
        <translation>D.Hasil ditandatangani: %1</translation>
    </message>
    <message>
        <source>Signing the D.Hasil</source>
        <translation>Menandatangani D.Hasil</translation>
    </message>
    <message>
        <source>Printed to %1 (%2 pages).</source>
        <translation>Dicetak ke %1 (%2 halaman).</translation>
    </message>
    <message>
        <source>Save the D.Hasil as PDF</source>
        <translation>Simpan D.Hasil sebagai PDF</translation>
    </message>
    <message>
        <source>Print preview</source>
        <translation>Pratinjau cetak</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Jumlah</translation>
    </message>
    <message>
        <source>Choose a region in the tree to see its totals.</source>
        <translation>Pilih wilayah di pohon untuk melihat jumlahnya.</translation>
    </message>
    <message>
        <source>Totals for %1 (computing…)</source>
        <translation>Jumlah untuk %1 (menghitung…)</translation>
    </message>
    <message>
        <source>Adding up %1</source>
        <translation>Menjumlahkan %1</translation>
    </message>
    <message>
        <source>Totals for %1 could not be computed: %2</source>
        <translation>Jumlah untuk %1 tidak dapat dihitung: %2</translation>
    </message>
    <message>
        <source>Totals for %1</source>
        <translation>Jumlah untuk %1</translation>
    </message>
    <message>
        <source>Open objections in this region: %1</source>
        <translation>Keberatan terbuka di wilayah ini: %1</translation>
    </message>
    <message>
        <source>%1 of %2 polling stations entered</source>
        <translation>%1 dari %2 TPS sudah diisi</translation>
    </message>
    <message>
        <source>Export the totals</source>
        <translation>Ekspor jumlah</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Berkas CSV (*.csv)</translation>
    </message>
    <message>
        <source>All polling stations</source>
        <translation>Semua TPS</translation>
    </message>
    <message>
        <source>Needs attention</source>
        <translation>Perlu perhatian</translation>
    </message>
    <message>
        <source>Not entered yet</source>
        <translation>Belum diisi</translation>
    </message>
    <message>
        <source>Entered</source>
        <translation>Sudah diisi</translation>
    </message>
    <message>
        <source>Disputed</source>
        <translation>Diperselisihkan</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Ditolak</translation>
    </message>
    <message>
        <source>Find a polling station (code or name)</source>
        <translation>Cari TPS (kode atau nama)</translation>
    </message>
    <message>
        <source>Region / polling station</source>
        <translation>Wilayah / TPS</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Loading the election…</source>
        <translation>Memuat data pemilu…</translation>
    </message>
    <message>
        <source>Looking for the polling stations in this state…</source>
        <translation>Mencari TPS dengan status ini…</translation>
    </message>
    <message>
        <source>Polling stations in this state: %1.</source>
        <translation>TPS dengan status ini: %1.</translation>
    </message>
    <message>
        <source>The first %1 are opened in the tree.</source>
        <translation>%1 yang pertama dibuka di pohon.</translation>
    </message>
    <message>
        <source>Reason for the correction</source>
        <translation>Alasan koreksi</translation>
    </message>
    <message>
        <source>Why does this sheet replace the one signed before? (required)</source>
        <translation>Mengapa formulir ini menggantikan yang ditandatangani sebelumnya? (wajib)</translation>
    </message>
    <message>
        <source>Correct this sheet…</source>
        <translation>Koreksi formulir ini…</translation>
    </message>
    <message>
        <source>Save and sign (Ctrl+S)</source>
        <translation>Simpan dan tanda tangani (Ctrl+S)</translation>
    </message>
    <message>
        <source>Choose a polling station in the tree.</source>
        <translation>Pilih TPS di pohon wilayah.</translation>
    </message>
    <message>
        <source>Registered voters: %1 · State: %2</source>
        <translation>Pemilih terdaftar: %1 · Status: %2</translation>
    </message>
    <message>
        <source>Another officer has signed this sheet; yours will be compared.</source>
        <translation>Petugas lain sudah menandatangani formulir ini; formulir Anda akan dibandingkan.</translation>
    </message>
    <message numerus="yes">
        <source>%n rule(s) broken</source>
        <translation>
            <numerusform>%n aturan dilanggar</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s) to check against the paper</source>
        <translation>
            <numerusform>%n peringatan untuk dicocokkan dengan formulir kertas</numerusform>
        </translation>
    </message>
    <message>
        <source>I checked the paper form: %1</source>
        <translation>Saya sudah memeriksa formulir kertas: %1</translation>
    </message>
    <message>
        <source>Correcting: change the fields, then save; a reason will be asked.</source>
        <translation>Koreksi: ubah isian, lalu simpan; alasan akan ditanyakan.</translation>
    </message>
    <message>
        <source>Double entry is for a new sheet or a correction: open one.</source>
        <translation>Entri ganda untuk lembar baru atau koreksi: buka salah satunya.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Tidak disimpan: %1</translation>
    </message>
    <message>
        <source>Not saved: tick each warning after checking the paper form.</source>
        <translation>Tidak disimpan: centang setiap peringatan setelah memeriksa formulir kertas.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n field(s) still empty or wrong, marked below.</source>
        <translation>
            <numerusform>Tidak disimpan: %n kolom masih kosong atau salah, ditandai di bawah.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n rule(s) broken, listed below and beside their fields.</source>
        <translation>
            <numerusform>Tidak disimpan: %n aturan dilanggar, tercantum di bawah dan di samping kolomnya.</numerusform>
        </translation>
    </message>
    <message>
        <source>Not saved: signing despite warnings needs a reason.</source>
        <translation>Tidak disimpan: menandatangani meski ada peringatan memerlukan alasan.</translation>
    </message>
    <message>
        <source>Not saved: the key stays locked.</source>
        <translation>Tidak disimpan: kunci tetap terkunci.</translation>
    </message>
    <message>
        <source>Signing and storing the sheet…</source>
        <translation>Menandatangani dan menyimpan formulir…</translation>
    </message>
    <message>
        <source>Signing and storing the sheet</source>
        <translation>Menandatangani dan menyimpan formulir</translation>
    </message>
    <message>
        <source>Saved and signed. Record %1</source>
        <translation>Tersimpan dan ditandatangani. Catatan %1</translation>
    </message>
    <message>
        <source>Reason (required for a rejection):</source>
        <translation>Alasan (wajib untuk penolakan):</translation>
    </message>
    <message>
        <source>Note (optional):</source>
        <translation>Catatan (tidak wajib):</translation>
    </message>
    <message>
        <source>Polling station</source>
        <translation>TPS</translation>
    </message>
    <message>
        <source>Contest</source>
        <translation>Pemilihan</translation>
    </message>
    <message>
        <source>Officer</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>Tanda tangan</translation>
    </message>
    <message>
        <source>Chain</source>
        <translation>Rantai</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>Sertifikat</translation>
    </message>
    <message>
        <source>Role and region</source>
        <translation>Peran dan wilayah</translation>
    </message>
    <message>
        <source>Form rules</source>
        <translation>Aturan formulir</translation>
    </message>
    <message>
        <source>approval</source>
        <translation>persetujuan</translation>
    </message>
    <message>
        <source>rejection</source>
        <translation>penolakan</translation>
    </message>
    <message>
        <source>damaged row</source>
        <translation>baris rusak</translation>
    </message>
    <message>
        <source>Only records with problems</source>
        <translation>Hanya catatan bermasalah</translation>
    </message>
    <message>
        <source>Polling station code</source>
        <translation>Kode TPS</translation>
    </message>
    <message>
        <source>Approve sheet…</source>
        <translation>Setujui formulir…</translation>
    </message>
    <message>
        <source>Reject sheet…</source>
        <translation>Tolak formulir…</translation>
    </message>
    <message>
        <source>Open problems</source>
        <translation>Masalah terbuka</translation>
    </message>
    <message>
        <source>Not verified yet in this session.</source>
        <translation>Belum diverifikasi dalam sesi ini.</translation>
    </message>
    <message>
        <source>Verifying every record…</source>
        <translation>Memverifikasi semua catatan…</translation>
    </message>
    <message>
        <source>Verifying every record</source>
        <translation>Memverifikasi semua catatan</translation>
    </message>
    <message>
        <source>Verification failed: %1</source>
        <translation>Verifikasi gagal: %1</translation>
    </message>
    <message>
        <source>Verification cancelled.</source>
        <translation>Verifikasi dibatalkan.</translation>
    </message>
    <message>
        <source>Open objection at %1%2: %3</source>
        <translation>Keberatan terbuka di %1%2: %3</translation>
    </message>
    <message>
        <source>Tampered or missing record</source>
        <translation>Catatan diubah atau hilang</translation>
    </message>
    <message>
        <source>Record does not verify</source>
        <translation>Catatan tidak lolos verifikasi</translation>
    </message>
    <message>
        <source>Dispute: officers signed different sheets</source>
        <translation>Perselisihan: petugas menandatangani formulir yang berbeda</translation>
    </message>
    <message>
        <source>Sheet rejected, waiting for a correction</source>
        <translation>Formulir ditolak, menunggu koreksi</translation>
    </message>
    <message>
        <source>Warning acknowledged by the officer</source>
        <translation>Peringatan yang sudah dikonfirmasi petugas</translation>
    </message>
    <message>
        <source>Not counted: needs attention</source>
        <translation>Tidak dihitung: perlu diperiksa</translation>
    </message>
    <message>
        <source>Signer revoked: record does not count</source>
        <translation>Penanda tangan dicabut: catatan tidak dihitung</translation>
    </message>
    <message>
        <source>Signer forked its chain: record does not count</source>
        <translation>Penanda tangan membuat cabang rantai: catatan tidak dihitung</translation>
    </message>
    <message>
        <source>Approve sheet</source>
        <translation>Setujui formulir</translation>
    </message>
    <message>
        <source>Reject sheet</source>
        <translation>Tolak formulir</translation>
    </message>
    <message>
        <source>Too short: at least 8 characters.</source>
        <translation>Terlalu pendek: minimal 8 karakter.</translation>
    </message>
    <message>
        <source>Weak: a longer passphrase of several words is safer.</source>
        <translation>Lemah: frasa sandi yang lebih panjang dari beberapa kata lebih aman.</translation>
    </message>
    <message>
        <source>Fair: add a word or two.</source>
        <translation>Cukup: tambahkan satu atau dua kata.</translation>
    </message>
    <message>
        <source>Good.</source>
        <translation>Baik.</translation>
    </message>
    <message>
        <source>Strong.</source>
        <translation>Kuat.</translation>
    </message>
    <message>
        <source>Welcome to Recap Desktop</source>
        <translation>Selamat datang di Recap Desktop</translation>
    </message>
    <message>
        <source>This laptop has no election yet. Try the program with the DEMO election (invented names and numbers, not a real election), or set it up for a real election with the package and certificate from your election authority.</source>
        <translation>Laptop ini belum memiliki data pemilu. Coba program dengan pemilu DEMO (nama dan angka rekaan, bukan pemilu sungguhan), atau siapkan untuk pemilu sungguhan dengan paket dan sertifikat dari penyelenggara pemilu Anda.</translation>
    </message>
    <message>
        <source>Try the DEMO election</source>
        <translation>Coba pemilu DEMO</translation>
    </message>
    <message>
        <source>Set up for a real election</source>
        <translation>Siapkan untuk pemilu sungguhan</translation>
    </message>
    <message>
        <source>Your signing key</source>
        <translation>Kunci tanda tangan Anda</translation>
    </message>
    <message>
        <source>The key signs every sheet you save. It is sealed with your passphrase.</source>
        <translation>Kunci ini menandatangani setiap formulir yang Anda simpan. Kunci disegel dengan frasa sandi Anda.</translation>
    </message>
    <message>
        <source>Full name:</source>
        <translation>Nama lengkap:</translation>
    </message>
    <message>
        <source>Officer id:</source>
        <translation>ID petugas:</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>Peran:</translation>
    </message>
    <message>
        <source>Passphrase:</source>
        <translation>Frasa sandi:</translation>
    </message>
    <message>
        <source>Passphrase again:</source>
        <translation>Ulangi frasa sandi:</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>Kedua frasa sandi berbeda.</translation>
    </message>
    <message>
        <source>The election package</source>
        <translation>Paket pemilu</translation>
    </message>
    <message>
        <source>Choose the package file and type the authority&apos;s fingerprint printed with it.</source>
        <translation>Pilih berkas paket dan ketik sidik jari penyelenggara yang dicetak bersamanya.</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Pilih…</translation>
    </message>
    <message>
        <source>Package file:</source>
        <translation>Berkas paket:</translation>
    </message>
    <message>
        <source>Authority fingerprint:</source>
        <translation>Sidik jari penyelenggara:</translation>
    </message>
    <message>
        <source>Election package</source>
        <translation>Paket pemilu</translation>
    </message>
    <message>
        <source>Certificate request</source>
        <translation>Permintaan sertifikat</translation>
    </message>
    <message>
        <source>Read this fingerprint to the authority and send them the request file. They return a certificate file, which you import on the next page.</source>
        <translation>Bacakan sidik jari ini kepada penyelenggara dan kirimkan berkas permintaan. Mereka mengembalikan berkas sertifikat, yang Anda impor di halaman berikutnya.</translation>
    </message>
    <message>
        <source>Passphrase, to sign the request</source>
        <translation>Frasa sandi, untuk menandatangani permintaan</translation>
    </message>
    <message>
        <source>Request written to %1</source>
        <translation>Permintaan ditulis ke %1</translation>
    </message>
    <message>
        <source>Import the certificate file now, or later from the File menu.</source>
        <translation>Impor berkas sertifikat sekarang, atau nanti dari menu Berkas.</translation>
    </message>
    <message>
        <source>Certificate file:</source>
        <translation>Berkas sertifikat:</translation>
    </message>
    <message>
        <source>Recap Desktop: first start</source>
        <translation>Recap Desktop: mulai pertama</translation>
    </message>
    <message>
        <source>Votes per choice</source>
        <translation>Suara per pilihan</translation>
    </message>
    <message>
        <source>Stations counted: %1 of %2</source>
        <translation>TPS dihitung: %1 dari %2</translation>
    </message>
    <message>
        <source>not a PNG or JPEG image</source>
        <translation>bukan gambar PNG atau JPEG</translation>
    </message>
    <message>
        <source>Photos of the paper (zoom: + - 0)</source>
        <translation>Foto formulir kertas (perbesar: + - 0)</translation>
    </message>
    <message>
        <source>Attach photo… (Ctrl+Shift+P)</source>
        <translation>Lampirkan foto… (Ctrl+Shift+P)</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Lepaskan</translation>
    </message>
    <message>
        <source>+ and - zoom, 0 fits the page; drag to move</source>
        <translation>+ dan - memperbesar/memperkecil, 0 menyesuaikan halaman; seret untuk menggeser</translation>
    </message>
    <message>
        <source>to be signed with the sheet</source>
        <translation>akan ditandatangani bersama lembar</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>tersimpan</translation>
    </message>
    <message>
        <source>MISSING</source>
        <translation>HILANG</translation>
    </message>
    <message>
        <source>ALTERED</source>
        <translation>DIUBAH</translation>
    </message>
    <message>
        <source>photos missing: %1</source>
        <translation>foto hilang: %1</translation>
    </message>
    <message>
        <source>photos ALTERED: %1</source>
        <translation>foto DIUBAH: %1</translation>
    </message>
    <message>
        <source>No photo of the paper is attached.</source>
        <translation>Belum ada foto formulir kertas yang dilampirkan.</translation>
    </message>
    <message>
        <source>Attach photos of the C.Hasil pages</source>
        <translation>Lampirkan foto halaman C.Hasil</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG)</source>
        <translation>Gambar (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG)</translation>
    </message>
    <message>
        <source>The file %1 cannot be read as an image: %2</source>
        <translation>Berkas %1 tidak dapat dibaca sebagai gambar: %2</translation>
    </message>
    <message>
        <source>Supervisor&apos;s desk</source>
        <translation>Meja pengawas</translation>
    </message>
    <message>
        <source>Supervisor&apos;s desk: open problems</source>
        <translation>Meja pengawas: masalah terbuka</translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) hold sheets that do not count (disputed, rejected, tampered…): see the Supervisor&apos;s desk</source>
        <translation>
            <numerusform>%n TPS memiliki lembar yang tidak dihitung (sengketa, ditolak, diubah…): lihat Meja pengawas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) verified</source>
        <translation>
            <numerusform>%n catatan diverifikasi</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n with problems</source>
        <translation>
            <numerusform>%n bermasalah</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open problem(s).</source>
        <translation>
            <numerusform>%n masalah terbuka.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n dispute(s): officers signed different numbers</source>
        <translation>
            <numerusform>%n sengketa: petugas menandatangani angka yang berbeda</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) with a tampered or missing record</source>
        <translation>
            <numerusform>%n TPS dengan catatan yang diubah atau hilang</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) with a revoked or forked signer</source>
        <translation>
            <numerusform>%n TPS dengan penanda tangan yang dicabut atau bercabang</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rejected sheet(s) waiting for a correction</source>
        <translation>
            <numerusform>%n lembar ditolak, menunggu perbaikan</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n sheet(s) corrected after a supervisor&apos;s decision, not reviewed since</source>
        <translation>
            <numerusform>%n lembar dikoreksi setelah keputusan pengawas, belum diperiksa lagi</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open objection(s)</source>
        <translation>
            <numerusform>%n keberatan terbuka</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) not counted for another reason</source>
        <translation>
            <numerusform>%n TPS tidak dihitung karena alasan lain</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) not entered yet</source>
        <translation>
            <numerusform>%n TPS belum dimasukkan</numerusform>
        </translation>
    </message>
    <message>
        <source>Reload the board</source>
        <translation>Muat ulang papan</translation>
    </message>
    <message>
        <source>Polling station or place</source>
        <translation>TPS atau tempat</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Reading the board</source>
        <translation>Membaca papan</translation>
    </message>
    <message>
        <source>Choose a region in the tree to see its open problems.</source>
        <translation>Pilih wilayah di pohon untuk melihat masalah terbukanya.</translation>
    </message>
    <message numerus="yes">
        <source>Open problems in %1: %n</source>
        <translation>
            <numerusform>Masalah terbuka di %1: %n</numerusform>
        </translation>
    </message>
    <message>
        <source>No open problem in %1.</source>
        <translation>Tidak ada masalah terbuka di %1.</translation>
    </message>
    <message>
        <source>signed differently by %1</source>
        <translation>ditandatangani berbeda oleh %1</translation>
    </message>
    <message>
        <source>Signing the decision</source>
        <translation>Menandatangani keputusan</translation>
    </message>
    <message>
        <source>Signed: version of %1 approved, the other rejected. %2 is counted.</source>
        <translation>Ditandatangani: versi %1 disetujui, yang lain ditolak. %2 dihitung.</translation>
    </message>
    <message>
        <source>Dispute at %1 · %2</source>
        <translation>Sengketa di %1 · %2</translation>
    </message>
    <message numerus="yes">
        <source>%n field(s) differ (highlighted). Compare with the paper C.Hasil, then approve the version that matches it; the others are rejected with your reason.</source>
        <translation>
            <numerusform>%n isian berbeda (disorot). Bandingkan dengan C.Hasil kertas, lalu setujui versi yang sesuai; versi lainnya ditolak dengan alasan Anda.</numerusform>
        </translation>
    </message>
    <message>
        <source>The versions differ here</source>
        <translation>Versi-versi berbeda di sini</translation>
    </message>
    <message>
        <source>Version %1: %2 (%3)</source>
        <translation>Versi %1: %2 (%3)</translation>
    </message>
    <message>
        <source>unknown officer</source>
        <translation>petugas tidak dikenal</translation>
    </message>
    <message>
        <source>e.g. the paper shows 120 votes for 01, not 102</source>
        <translation>mis. kertas menunjukkan 120 suara untuk 01, bukan 102</translation>
    </message>
    <message>
        <source>&amp;Approve the version of:</source>
        <translation>&amp;Setujui versi dari:</translation>
    </message>
    <message>
        <source>&amp;Reason for rejecting the other(s):</source>
        <translation>&amp;Alasan menolak yang lain:</translation>
    </message>
    <message>
        <source>Approve and reject (signs)</source>
        <translation>Setujui dan tolak (menandatangani)</translation>
    </message>
    <message>
        <source>Only a supervisor decides a dispute.</source>
        <translation>Hanya pengawas yang memutuskan sengketa.</translation>
    </message>
    <message>
        <source>Version %1: %2</source>
        <translation>Versi %1: %2</translation>
    </message>
    <message>
        <source>officer id %1</source>
        <translation>id petugas %1</translation>
    </message>
    <message>
        <source>key %1</source>
        <translation>kunci %1</translation>
    </message>
    <message>
        <source>does not count</source>
        <translation>tidak dihitung</translation>
    </message>
    <message>
        <source>Give the reason for rejecting the other version(s).</source>
        <translation>Tuliskan alasan menolak versi lainnya.</translation>
    </message>
    <message>
        <source>Double entry — %1</source>
        <translation>Entri ganda — %1</translation>
    </message>
    <message>
        <source>Me again (the same operator)</source>
        <translation>Saya lagi (operator yang sama)</translation>
    </message>
    <message>
        <source>Second typing by:</source>
        <translation>Ketikan kedua oleh:</translation>
    </message>
    <message>
        <source>First typing</source>
        <translation>Ketikan pertama</translation>
    </message>
    <message>
        <source>Type the paper form. Enter goes to the next field.</source>
        <translation>Ketik formulir kertas. Enter pindah ke kolom berikutnya.</translation>
    </message>
    <message>
        <source>Second typing</source>
        <translation>Ketikan kedua</translation>
    </message>
    <message>
        <source>Type the paper form again. The first typing is hidden: do not look at it.</source>
        <translation>Ketik formulir kertas sekali lagi. Ketikan pertama disembunyikan: jangan melihatnya.</translation>
    </message>
    <message>
        <source>Look at the paper again</source>
        <translation>Lihat kertasnya sekali lagi</translation>
    </message>
    <message>
        <source>Fields where the two typings differ: %1. Type only these from the paper.</source>
        <translation>Kolom yang berbeda antara kedua ketikan: %1. Ketik hanya kolom ini dari kertas.</translation>
    </message>
    <message>
        <source>Warnings on this sheet</source>
        <translation>Peringatan pada lembar ini</translation>
    </message>
    <message>
        <source>The numbers are consistent, but unusual. Look at the paper form again. If it says the same, give the reason: it is signed with the sheet.</source>
        <translation>Angkanya konsisten, tetapi tidak biasa. Lihat formulir kertas sekali lagi. Bila isinya sama, tuliskan alasannya: alasan ditandatangani bersama lembar.</translation>
    </message>
    <message>
        <source>&amp;Reason (required):</source>
        <translation>&amp;Alasan (wajib):</translation>
    </message>
    <message>
        <source>e.g. the polling station did not open: flood</source>
        <translation>mis. TPS tidak dibuka: banjir</translation>
    </message>
    <message>
        <source>Sign with this reason</source>
        <translation>Tandatangani dengan alasan ini</translation>
    </message>
    <message>
        <source>Back to the form</source>
        <translation>Kembali ke formulir</translation>
    </message>
    <message>
        <source>Typing a sheet</source>
        <translation>Mengetik formulir</translation>
    </message>
    <message>
        <source>Choose the polling station in the tree (Ctrl+F finds it by name or code) and the contest above the form.</source>
        <translation>Pilih TPS di pohon wilayah (Ctrl+F mencarinya menurut nama atau kode) dan jenis pemilihan di atas formulir.</translation>
    </message>
    <message>
        <source>Type each number from the paper and press Enter: the next field follows, in the paper&apos;s order, and the form scrolls with you.</source>
        <translation>Ketik setiap angka dari formulir kertas lalu tekan Enter: kolom berikutnya menyusul, sesuai urutan kertas, dan formulir bergulir mengikuti Anda.</translation>
    </message>
    <message>
        <source>A broken rule shows at once beside the field it concerns and in the list at the top; it goes away as soon as the numbers agree.</source>
        <translation>Aturan yang dilanggar langsung tampil di samping kolomnya dan di daftar di atas; ia hilang begitu angkanya cocok.</translation>
    </message>
    <message>
        <source>Ctrl+S signs and stores the sheet. A warning must be ticked after checking the paper; an error must be fixed first.</source>
        <translation>Ctrl+S menandatangani dan menyimpan formulir. Peringatan harus dicentang setelah memeriksa kertas; kesalahan harus diperbaiki dulu.</translation>
    </message>
    <message>
        <source>Correcting a signed sheet</source>
        <translation>Mengoreksi formulir yang sudah ditandatangani</translation>
    </message>
    <message>
        <source>Open the sheet, choose “Correct this sheet…”, change the numbers and save: a reason is asked, and both versions stay in the history.</source>
        <translation>Buka formulirnya, pilih “Koreksi formulir ini…”, ubah angkanya lalu simpan: alasan akan ditanyakan, dan kedua versi tetap ada di riwayat.</translation>
    </message>
    <message>
        <source>The key</source>
        <translation>Kunci</translation>
    </message>
    <message>
        <source>Your passphrase unlocks your signing key once; the key locks itself after the idle time (Settings) or at once with Ctrl+L.</source>
        <translation>Frasa sandi membuka kunci tanda tangan Anda sekali; kunci terkunci sendiri setelah waktu diam (Pengaturan) atau seketika dengan Ctrl+L.</translation>
    </message>
    <message>
        <source>Sending the sheets</source>
        <translation>Mengirim formulir</translation>
    </message>
    <message>
        <source>Sheets are sent whenever the central server can be reached (F9 sends now); the status bar says how many are still unsent.</source>
        <translation>Formulir dikirim setiap kali server pusat dapat dihubungi (F9 mengirim sekarang); bilah status menyebut berapa yang belum terkirim.</translation>
    </message>
    <message>
        <source>Without a network, File &gt; Export a USB bundle writes every record to a file, and the photos of the forms to a folder beside it (copy both); the other laptop imports them with File &gt; Import a USB bundle.</source>
        <translation>Tanpa jaringan, Berkas &gt; Ekspor bundel USB menulis semua catatan ke sebuah berkas, dan foto formulir ke folder di sampingnya (salin keduanya); laptop lain mengimpornya dengan Berkas &gt; Impor bundel USB.</translation>
    </message>
    <message>
        <source>Tools &gt; Receipts from the server lists the server&apos;s signed receipts: its proof of what it took from this laptop, and when.</source>
        <translation>Alat &gt; Tanda terima dari server menampilkan tanda terima bertanda tangan dari server: buktinya atas apa yang diterimanya dari laptop ini, dan kapan.</translation>
    </message>
    <message>
        <source>Times</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>Times are shown in this laptop&apos;s time zone, named after each time; records keep them in UTC.</source>
        <translation>Waktu ditampilkan dalam zona waktu laptop ini, dengan nama zonanya; catatan menyimpannya dalam UTC.</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Bantuan</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <source>Receipts from the server</source>
        <translation>Tanda terima dari server</translation>
    </message>
    <message>
        <source>Reading the receipts…</source>
        <translation>Membaca tanda terima…</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>Disimpan</translation>
    </message>
    <message>
        <source>Held already</source>
        <translation>Sudah ada</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Ditolak</translation>
    </message>
    <message>
        <source>Server key</source>
        <translation>Kunci server</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>Tanda terima</translation>
    </message>
    <message numerus="yes">
        <source>%n receipt(s) kept</source>
        <translation>
            <numerusform>%n tanda terima disimpan</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) stored by the server</source>
        <translation>
            <numerusform>%n catatan disimpan server</numerusform>
        </translation>
    </message>
    <message>
        <source>No receipt yet: nothing has been sent to the server from this laptop.</source>
        <translation>Belum ada tanda terima: belum ada yang dikirim ke server dari laptop ini.</translation>
    </message>
</context>
</TS>
