"""The national election the load run serves, built once and cached: a package of (by default)
820,000 polling stations in 7,000 districts, five contests each, signed by a bench authority;
one certified laptop per district; and a sample of each laptop's sheets, pre-signed and
already encoded as the push bodies a laptop sends (gzipped canonical batches).

All 4.1 million sheets would take an hour to sign here and several to push through one
server, so each laptop carries ``surge`` sheets for its first sync and ``steady`` more, one
per later sync: the run reports rates per sheet and says how far that sample is from the
whole count. Keys and values come from fixed seeds, so a cache can always be built again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import stores
from recap_desktop.crypto import authority
from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.domain.election import Election
from recap_desktop.protocol.wire import batch_bytes
from recap_desktop.services import demo as demo_service
from recap_desktop.services.election import package_file

FORMAT = 1  # bump when what a cached national election holds changes
ELECTION_ID = "bench-national"
ISSUED = "2026-01-15T00:00:00Z"
EXPIRES = "2031-12-31T23:59:59Z"
SIGNED_AT = "2026-02-14T10:00:00Z"  # every sheet's time: after the certificates' start
CONTESTS = ("ppwp", "dpr", "dpd", "dprd-prov", "dprd-kab")
PER_VILLAGE = 13  # stations per village (117 per district in 9 villages)


def authority_key() -> SigningKey:
    """The bench authority: a key from a published seed, like the DEMO authority's (a bench
    election proves nothing to anyone)."""
    return SigningKey.from_seed(hashlib.sha256(b"recap bench national authority").digest())


def laptop_key(index: int) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(f"recap bench laptop {index}".encode()).digest())


def district_code(index: int) -> str:
    """District ``index`` (from 0) of 35 provinces x 20 regencies x 10 districts."""
    province, rest = divmod(index, 200)
    regency, district = divmod(rest, 10)
    return f"{11 + province:02d}.{regency + 1:02d}.{district + 1:02d}"


def build_package(stations: int, districts: int) -> dict[str, Any]:
    """The package payload: the DEMO package's forms, five contests, ``stations`` stations
    spread evenly over ``districts`` districts."""
    if districts > 7_000 or stations < districts:
        raise ValueError("1 to 7,000 districts, each with at least one station")
    demo = demo_service.build_package(1)
    candidates, parties = demo["contests"]
    contests = []
    for cid in CONTESTS:
        base = candidates if cid in ("ppwp", "dpd") else parties
        contests.append({**base, "id": cid, "name": {"id": f"Bench {cid}", "en": f"Bench {cid}"}})
    rng = random.Random(2024)
    regions: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    base, extra = divmod(stations, districts)
    for d in range(districts):
        code = district_code(d)
        province, regency = code[:2], code[:5]
        for region, level, parent in (
            (province, "province", None),
            (regency, "regency", province),
            (code, "district", regency),
        ):
            if region not in seen:
                seen.add(region)
                regions.append(
                    {"code": region, "name": f"Bench {region}", "level": level, "parent": parent}
                )
        count = base + (1 if d < extra else 0)
        for v in range((count + PER_VILLAGE - 1) // PER_VILLAGE):
            village = f"{code}.{2001 + v}"
            regions.append(
                {"code": village, "name": f"Desa {village}", "level": "village", "parent": code}
            )
            for t in range(min(PER_VILLAGE, count - v * PER_VILLAGE)):
                rows.append(
                    {
                        "code": f"{village}.{t + 1:03d}",
                        "region": village,
                        "name": f"TPS {t + 1:03d}",
                        "registered": rng.randint(180, 300),
                        "contests": list(CONTESTS),
                    }
                )
    return {
        "type": "election",
        "election": ELECTION_ID,
        "version": 1,
        "name": {"id": "Pemilu bench nasional (bukan sungguhan)", "en": "Bench national election"},
        "demo": True,
        "issued": ISSUED,
        "expires": EXPIRES,
        "contests": contests,
        "regions": regions,
        "stations": rows,
    }


def certificate(index: int, jurisdiction: str) -> Record:
    key = laptop_key(index)
    return authority.certificate(
        authority_key(),
        election=ELECTION_ID,
        officer_id=f"ppk-{index:05d}",
        name=f"PPK {jurisdiction}",
        role="operator",
        jurisdiction=jurisdiction,
        public_key=key.public_key,
        valid_from=ISSUED,
        valid_until=EXPIRES,
        issued=ISSUED,
    )


def body(records: list[Record]) -> bytes:
    """A push body exactly as the laptop's client makes one (``sync.client.push_body``)."""
    return gzip.compress(batch_bytes([r.to_json() for r in records]), compresslevel=6)


@dataclass
class Laptop:
    """One district's laptop: its certificate and pre-encoded push bodies (offsets into the
    cache's bodies file) and the hashes of the sheets in them."""

    index: int
    jurisdiction: str
    cert_hash: str
    cert_body: tuple[int, int]
    surge: tuple[int, int]
    surge_hashes: list[str]
    steady: list[tuple[int, int]]
    steady_hashes: list[str]


@dataclass
class National:
    folder: Path
    stations: int
    laptops: list[Laptop]
    build_seconds: float | None
    package_bytes: int

    @property
    def package(self) -> Path:
        return self.folder / "package.json"

    @property
    def certificates(self) -> Path:
        return self.folder / "certificates.json"

    def read(self, span: tuple[int, int]) -> bytes:
        with (self.folder / "bodies.bin").open("rb") as f:
            f.seek(span[0])
            return f.read(span[1])

    def bodies(self) -> bytes:
        return (self.folder / "bodies.bin").read_bytes()


def _laptop_work(args: tuple[int, str, list[tuple[str, int]], int, int]) -> dict[str, Any]:
    """Sign one laptop's sample: ``surge`` sheets for its first sync, ``steady`` after."""
    index, jurisdiction, stations, surge, steady = args
    key = laptop_key(index)
    contest = _FORM_CONTESTS
    rng = random.Random(index)
    cert = certificate(index, jurisdiction)
    sheets: list[Record] = []
    prev: str | None = None
    wanted = surge + steady
    for code, registered in stations:
        for cid in CONTESTS:
            if len(sheets) >= wanted:
                break
            form = contest[cid]
            values = random_sheet(form, registered, rng)
            warnings = [
                v.rule
                for v in form.form.evaluate(values, {"registered": registered})
                if v.severity == "warning"
            ]
            record = sign(
                key,
                {
                    "type": "sheet",
                    "signer": key.key_id,
                    "seq": len(sheets) + 1,
                    "prev": prev,
                    "time": SIGNED_AT,
                    "election": ELECTION_ID,
                    "station": code,
                    "contest": cid,
                    "values": values,
                    "warnings": warnings,
                    "supersedes": None,
                    "reason": None,
                },
            )
            prev = record.hash
            sheets.append(record)
    if len(sheets) < wanted:
        raise ValueError(f"{jurisdiction} has too few stations for {wanted} sheets")
    return {
        "index": index,
        "jurisdiction": jurisdiction,
        "cert": cert.to_json(),
        "cert_body": body([cert]),
        "surge": body(sheets[:surge]),
        "surge_hashes": [r.hash for r in sheets[:surge]],
        "steady": [body([r]) for r in sheets[surge:]],
        "steady_hashes": [r.hash for r in sheets[surge:]],
    }


_FORM_CONTESTS: dict[str, Any] = {}


def _init_worker(package: dict[str, Any]) -> None:
    contests = Election.from_payload({**package, "regions": [], "stations": []}).contests
    _FORM_CONTESTS.update(contests)


def _folder(stations: int, laptops: int, surge: int, steady: int) -> Path:
    return stores.cache_root() / f"national-{stations}-{laptops}-{surge}-{steady}-f{FORMAT}"


def cached(stations: int, laptops: int, surge: int, steady: int, log: Any = print) -> National:
    """The cached national election of this shape, built first if it is not there."""
    target = _folder(stations, laptops, surge, steady)
    built: float | None = None
    if not (target / "laptops.json").exists():
        root = stores.cache_root_made()
        staging = Path(tempfile.mkdtemp(prefix="building-national-", dir=root))
        log(f"building the national election ({stations:,} stations, {laptops:,} laptops) ...")
        built = _build(staging, stations, laptops, surge, steady, log)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        log(f"built in {built:.0f} s under {target}")
    meta = json.loads((target / "laptops.json").read_text())
    machines = [
        Laptop(
            m["index"],
            m["jurisdiction"],
            m["cert_hash"],
            tuple(m["cert_body"]),
            tuple(m["surge"]),
            m["surge_hashes"],
            [tuple(s) for s in m["steady"]],
            m["steady_hashes"],
        )
        for m in meta["laptops"]
    ]
    return National(
        target, meta["stations"], machines, built, (target / "package.json").stat().st_size
    )


def _build(folder: Path, stations: int, laptops: int, surge: int, steady: int, log: Any) -> float:
    start = time.perf_counter()
    key = authority_key()
    payload = build_package(stations, laptops)
    record = sign(key, payload)
    (folder / "package.json").write_bytes(
        canonical_bytes(package_file(key.public_key, [record])) + b"\n"
    )
    log(f"  package: {len(record.canonical) / 1e6:.0f} MB, {time.perf_counter() - start:.0f} s")
    by_district: dict[str, list[tuple[str, int]]] = {}
    for row in payload["stations"]:
        by_district.setdefault(row["code"][:8], []).append((row["code"], row["registered"]))
    work = [
        (i, district_code(i), by_district[district_code(i)], surge, steady) for i in range(laptops)
    ]
    contests_only = {**payload, "regions": [], "stations": []}
    del payload
    out: list[dict[str, Any]] = []
    certs: list[dict[str, Any]] = []
    offset = 0
    with (
        (folder / "bodies.bin").open("wb") as bodies,
        multiprocessing.get_context("fork").Pool(
            initializer=_init_worker, initargs=(contests_only,)
        ) as pool,
    ):

        def put(data: bytes) -> list[int]:
            nonlocal offset
            bodies.write(data)
            span = [offset, len(data)]
            offset += len(data)
            return span

        for done in pool.imap(_laptop_work, work, chunksize=20):
            certs.append(done["cert"])
            out.append(
                {
                    "index": done["index"],
                    "jurisdiction": done["jurisdiction"],
                    "cert_hash": done["cert"]["hash"],
                    "cert_body": put(done["cert_body"]),
                    "surge": put(done["surge"]),
                    "surge_hashes": done["surge_hashes"],
                    "steady": [put(b) for b in done["steady"]],
                    "steady_hashes": done["steady_hashes"],
                }
            )
    (folder / "certificates.json").write_text(json.dumps({"records": certs}))
    (folder / "laptops.json").write_text(json.dumps({"stations": stations, "laptops": out}))
    return time.perf_counter() - start
