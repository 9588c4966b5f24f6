"""The demo election: a package like the 2024 C.Hasil, signed by the published DEMO authority.

Run ``python -m recap_desktop.services.demo`` to rewrite resources/demo/election.json.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime
from typing import Any

from recap_desktop import resources
from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain import chasil
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import format_time
from recap_desktop.domain.warnings import local_hits
from recap_desktop.services import identity as identity_service
from recap_desktop.services.admission import admit_into
from recap_desktop.services.election import import_election, package_file
from recap_desktop.services.sheets import next_link
from recap_desktop.services.workspace import RecapError, Workspace

RESOURCES = resources.path("demo")  # the DEMO package and authority seed, wherever installed
DEFAULT_STATIONS = 60
ELECTION_ID = "demo-2024"
ISSUED = "2026-01-15T00:00:00Z"
EXPIRES = "2031-12-31T23:59:59Z"

PAIRS = [
    ("01", "Andi Pratama - Budi Santoso"),
    ("02", "Citra Lestari - Dimas Wibowo"),
    ("03", "Eko Saputra - Fitri Handayani"),
]
PARTIES = [
    ("Partai Nusantara Maju", ["Gilang Ramadhan", "Hana Puspita", "Irfan Hakim"]),
    ("Partai Karya Rakyat", ["Joko Susilo", "Kartika Sari", "Lukman Hidayat"]),
    ("Partai Amanat Bangsa", ["Maya Anggraini", "Nanda Prasetyo", "Oki Setiawan"]),
    ("Partai Harapan Baru", ["Putri Ayu", "Rudi Hartono", "Sinta Dewi"]),
    ("Partai Suara Desa", ["Taufik Rahman", "Umi Kalsum", "Wahyu Nugroho"]),
]
DISTRICTS = ["Sukamaju", "Mekarsari", "Cibeureum", "Sindangsari", "Margahayu", "Pasirjati"]
VILLAGES = [
    "Sukasari",
    "Mekarjaya",
    "Cijambu",
    "Sirnagalih",
    "Bojongsoang",
    "Jatisari",
    "Cikoneng",
    "Tanjungwangi",
    "Rancamulya",
    "Karangsari",
]


def demo_authority() -> SigningKey:
    """The DEMO authority's key, from a seed published in resources/demo (see its README)."""
    seed = (RESOURCES / "demo_authority_seed.hex").read_text().strip()
    return SigningKey.from_seed(bytes.fromhex(seed))


def _layout(stations: int) -> tuple[int, int, int, int]:
    """(regencies, districts per regency, villages per district, stations per village)."""
    if stations <= DEFAULT_STATIONS:
        return 1, 2, 3, 10
    per_regency = 20 * 40 * 25
    return math.ceil(stations / per_regency), 20, 40, 25


def build_package(stations: int = DEFAULT_STATIONS) -> dict[str, Any]:
    """The demo package payload, deterministic for a given size (so its signature is too)."""
    if not 1 <= stations <= 99 * 20 * 40 * 25:
        raise ValueError("the demo election has 1 to 1,980,000 polling stations")
    rng = random.Random(2024)
    pairs = [{"id": f"p{n}", "number": int(n), "name": name} for n, name in PAIRS]
    parties = [
        {
            "id": f"pt{i + 1:02d}",
            "number": i + 1,
            "name": name,
            "candidates": [
                {"id": f"pt{i + 1:02d}-{j + 1}", "number": j + 1, "name": c}
                for j, c in enumerate(cands)
            ],
        }
        for i, (name, cands) in enumerate(PARTIES)
    ]
    contests = [
        {
            "id": "ppwp",
            "name": {
                "id": "Pemilihan Presiden dan Wakil Presiden",
                "en": "Presidential and Vice-Presidential election",
            },
            "kind": "candidates",
            "choices": pairs,
            "form": chasil.candidates_form(pairs),
        },
        {
            "id": "dpr-jabar-1",
            "name": {
                "id": "DPR RI Dapil Jawa Barat I",
                "en": "House of Representatives, West Java I",
            },
            "kind": "parties",
            "choices": parties,
            "form": chasil.parties_form(parties),
        },
    ]
    regions: list[dict[str, Any]] = [
        {"code": "32", "name": "Jawa Barat", "level": "province", "parent": None}
    ]
    station_rows: list[dict[str, Any]] = []
    n_reg, n_dist, n_vil, n_tps = _layout(stations)
    left = stations
    for r in range(n_reg):
        regency = f"32.{r + 1:02d}"
        regency_name = "Kabupaten Sukamaju (DEMO)" if r == 0 else f"Kabupaten Demo {r + 1}"
        regions.append({"code": regency, "name": regency_name, "level": "regency", "parent": "32"})
        for d in range(n_dist):
            if left <= 0:
                break
            district = f"{regency}.{d + 1:02d}"
            regions.append(
                {
                    "code": district,
                    "name": f"Kecamatan {DISTRICTS[d % len(DISTRICTS)]}"
                    + (f" {d // len(DISTRICTS) + 1}" if d >= len(DISTRICTS) else ""),
                    "level": "district",
                    "parent": regency,
                }
            )
            for v in range(n_vil):
                if left <= 0:
                    break
                village = f"{district}.{2001 + v}"
                regions.append(
                    {
                        "code": village,
                        "name": f"Desa {VILLAGES[(v + d) % len(VILLAGES)]}"
                        + (f" {v // len(VILLAGES) + 1}" if v >= len(VILLAGES) else ""),
                        "level": "village",
                        "parent": district,
                    }
                )
                for t in range(min(n_tps, left)):
                    station_rows.append(
                        {
                            "code": f"{village}.{t + 1:03d}",
                            "region": village,
                            "name": f"TPS {t + 1:03d}",
                            "registered": rng.randint(180, 300),
                            "contests": ["ppwp", "dpr-jabar-1"],
                        }
                    )
                    left -= 1
    return {
        "type": "election",
        "election": ELECTION_ID,
        "version": 1,
        "name": {
            "id": "Pemilu DEMO 2024 (bukan pemilu sungguhan)",
            "en": "DEMO election 2024 (not a real election)",
        },
        "demo": True,
        "issued": ISSUED,
        "expires": EXPIRES,
        "contests": contests,
        "regions": regions,
        "stations": station_rows,
    }


def package_bytes(stations: int = DEFAULT_STATIONS) -> bytes:
    key = demo_authority()
    record = sign(key, build_package(stations))
    return canonical_bytes(package_file(key.public_key, [record])) + b"\n"


def demo_anchor() -> frozenset[str]:
    return frozenset({demo_authority().key_id})


def init_demo(
    ws: Workspace,
    *,
    officer_id: str = "demo-operator-1",
    role: str = "operator",
    name: str | None = None,
    passphrase: str | None = None,
    stations: int = DEFAULT_STATIONS,
    jurisdiction: str | None = None,
    kdf: dict[str, Any] | None = None,
) -> identity_service.Identity:
    """Import the demo election, make an identity and certify it with the demo authority.

    ``jurisdiction`` None: the whole DEMO province, except for a chair, who chairs every DEMO
    sub-district (one certificate each: a chair signs the D.Hasil of exactly its region)."""
    if ws.keystore_path.exists():
        raise RecapError("identity.exists", path=ws.keystore_path)
    data = (
        (RESOURCES / "election.json").read_bytes()
        if stations == DEFAULT_STATIONS
        else package_bytes(stations)
    )
    import_election(ws, data, "demo", demo=True)
    ident = identity_service.create_identity(
        ws,
        name=name or _DEMO_NAMES.get(role, "Petugas Demo"),
        officer_id=officer_id,
        role=role,
        passphrase=passphrase or identity_service.DEMO_PASSPHRASE,
        demo=True,
        kdf=kdf,
    )
    if jurisdiction is None and role == "chair":
        from recap_desktop.services.election import current_election

        election = current_election(ws)
        for code in sorted(election.regions):
            if election.regions[code].level == "district":
                certify(ws, ident, role=role, jurisdiction=code)
    else:
        certify(ws, ident, role=role, jurisdiction=jurisdiction or "32")
    return identity_service.show_identity(ws)


_DEMO_NAMES = {
    "operator": "Petugas Demo",
    "supervisor": "Pengawas Demo",
    "chair": "Ketua PPK Demo",
    "witness": "Saksi Demo",
}


def certify(
    ws: Workspace, ident: identity_service.Identity, *, role: str, jurisdiction: str
) -> Record:
    """The demo authority certifies ``ident``; a real authority does this on its own machine."""
    cert = authority.certificate(
        demo_authority(),
        election=ELECTION_ID,
        officer_id=ident.officer_id,
        name=ident.name,
        role=role,
        jurisdiction=jurisdiction,
        public_key=ident.public_key,
        valid_from=ISSUED,
        valid_until=EXPIRES,
        issued=format_time(datetime.now(UTC)),
    )
    _admit(ws, [cert], "import")
    return cert


def populate(
    ws: Workspace, key: SigningKey, *, stations: int | None = None, seed: int = 1, batch: int = 1000
) -> tuple[int, int]:
    """Sign consistent random sheets for stations not yet entered; returns (sheets, stations)."""
    from recap_desktop.services.election import current_election

    election = current_election(ws)
    mine = {s for (s, _c) in ws.store.sheets.states_within(None)}
    todo = [s for code, s in sorted(election.stations.items()) if code not in mine]
    if stations is not None:
        if stations > len(todo):
            raise RecapError("demo.too_many", available=len(todo), wanted=stations)
        todo = todo[:stations]
    rng = random.Random(seed)
    link = next_link(ws, key)  # the chain's next place, and a time not before its last
    seq, prev, now = link["seq"] - 1, link["prev"], link["time"]
    pending: list[Record] = []
    sheets = 0

    def flush() -> None:
        _admit(ws, pending, "local")
        pending.clear()

    for station in todo:
        for cid in station.contests:
            contest = election.contests[cid]
            values = random_sheet(contest, station.registered, rng)
            warnings = [
                v.rule
                for v in contest.form.evaluate(values, {"registered": station.registered})
                if v.severity == "warning"
            ]
            hits = local_hits(contest.form.bounds, values, station.registered)
            warnings += [h.name for h in hits]
            # A random sheet that fires a package warning is acknowledged as what it is.
            acknowledgement = {"warnings_reason": "DEMO"} if hits else {}
            seq += 1
            record = sign(
                key,
                {
                    **acknowledgement,
                    "type": "sheet",
                    "signer": key.key_id,
                    "seq": seq,
                    "prev": prev,
                    "time": now,
                    "election": election.id,
                    "station": station.code,
                    "contest": cid,
                    "values": values,
                    "warnings": warnings,
                    "supersedes": None,
                    "reason": None,
                },
            )
            prev = record.hash
            pending.append(record)
            sheets += 1
            if len(pending) >= batch:
                flush()
    if pending:
        flush()
    return sheets, len(todo)


def _admit(ws: Workspace, records: list[Record], origin: str) -> None:
    """Through the admission rule like every record: a demo that signed what the rule refuses
    would be a bug, and says so."""
    admission = admit_into(ws, records, origin)
    if admission.problems:
        first = admission.problems[0]
        raise RecapError("record.refused", reason=first.kind, detail=first.detail)


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped package
    (RESOURCES / "election.json").write_bytes(package_bytes())
    print(json.dumps({"written": str(RESOURCES / "election.json")}))
