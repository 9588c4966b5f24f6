"""The election a package defines: contests, choices, regions, polling stations and forms.

``Election.from_payload`` is the one place an election package's contents are checked; it
refuses anything malformed with a message that names the offending path.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any, Protocol

from recap_desktop.domain.form import Form, FormError

LEVELS = ("province", "regency", "district", "village")
_CODE_RE = re.compile(r"^[0-9]{2}(\.[0-9]{2,4}){0,4}\Z")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")


class ElectionError(ValueError):
    """An election package whose contents do not make a usable election."""


Text = Mapping[str, str]  # {"id": "...", "en": "..."}


def text(value: Text, lang: str) -> str:
    return value.get(lang) or value.get("id") or next(iter(value.values()), "")


# The one time format of the protocol: UTC, to the second, exactly these characters. Python's
# fromisoformat also reads "20260115T100000Z" or "+07:00"; two verifiers would disagree on what
# such a text means, so anything else is refused, and times are compared parsed, never as text.
_TIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


def parse_time(value: Any, where: str) -> datetime:
    """A protocol time (``YYYY-MM-DDTHH:MM:SSZ``, UTC) as an aware datetime."""
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ElectionError(f"{where}: a UTC time like 2026-02-14T00:00:00Z is expected")
    try:
        return _instant(value)
    except ValueError as exc:
        raise ElectionError(f"{where}: {exc}") from exc


@lru_cache(maxsize=8192)
def _instant(value: str) -> datetime:
    """The fields of a text that matched the format, read by position: datetime checks the
    ranges (month, day of the month, no second 60) as strptime would, at a tenth of its cost
    (a verifier reads several times per record), and the records of a batch share times."""
    return datetime(
        int(value[0:4]),
        int(value[5:7]),
        int(value[8:10]),
        int(value[11:13]),
        int(value[14:16]),
        int(value[17:19]),
        tzinfo=UTC,
    )


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_region_code(value: Any) -> bool:
    """An official region or station code: 2 digits, then up to 4 dotted groups of 2 to 4."""
    return isinstance(value, str) and bool(_CODE_RE.match(value))


def in_region(code: str, prefix: str) -> bool:
    """True if ``code`` is region ``prefix`` or inside it (codes are dotted, fixed width)."""
    return code == prefix or code.startswith(prefix + ".")


@dataclass(frozen=True)
class Candidate:
    id: str
    number: int
    name: str


@dataclass(frozen=True)
class Choice:
    id: str
    number: int
    name: str
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Contest:
    id: str
    name: Text
    kind: str  # "candidates" (pairs) or "parties" (parties with their candidates)
    choices: tuple[Choice, ...]
    form: Form


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Station:
    code: str
    region: str
    name: str
    registered: int
    contests: tuple[str, ...]

    def __reduce__(self) -> tuple[type[Station], tuple[str, str, str, int, tuple[str, ...]]]:
        # Pickled as its fields: a national election has 500,000 stations, and each worker
        # process of a verification receives them (2.7 s to unpickle as plain dataclasses).
        return (Station, (self.code, self.region, self.name, self.registered, self.contests))


@dataclass(frozen=True)
class Election:
    id: str
    version: int
    name: Text
    issued: datetime
    expires: datetime
    contests: dict[str, Contest]
    regions: dict[str, Region]
    stations: dict[str, Station]
    _children: dict[str | None, tuple[str, ...]] = field(repr=False, compare=False)
    demo: bool = False  # an invented election, for training and trying the program

    def children(self, code: str | None) -> tuple[str, ...]:
        """Child region codes of ``code`` (None: the top regions), in code order."""
        return self._children.get(code, ())

    @cached_property
    def _stations_by_region(self) -> dict[str, tuple[str, ...]]:
        grouped: dict[str, list[str]] = {}
        for station in self.stations.values():
            grouped.setdefault(station.region, []).append(station.code)
        return {k: tuple(sorted(v)) for k, v in grouped.items()}

    def stations_of(self, region: str) -> tuple[str, ...]:
        """Polling stations directly in the village ``region``."""
        return self._stations_by_region.get(region, ())

    @cached_property
    def _codes(self) -> tuple[str, ...]:
        return tuple(sorted(self.stations))

    def stations_within(self, prefix: str) -> list[Station]:
        """The stations inside a region (any level), in code order: a range of the sorted
        codes (a recap checks its children against it; a national package has 500,000)."""
        codes = self._codes
        low = bisect_left(codes, prefix + ".")
        high = bisect_left(codes, prefix + "/")
        return [self.stations[c] for c in codes[low:high]]

    def station(self, code: str) -> Station | None:
        return self.stations.get(code)

    def region(self, code: str) -> Region | None:
        return self.regions.get(code)

    def child_regions(self, code: str) -> tuple[str, ...]:
        return self.children(code)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Election:
        try:
            return _parse(payload)
        except FormError as exc:
            raise ElectionError(str(exc)) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise ElectionError(f"the package is incomplete or has a wrong type: {exc!r}") from exc


def members(
    value: Any, where: str, required: set[str], optional: frozenset[str] | set[str] = frozenset()
) -> None:
    """An object of exactly these members: a package says one thing to every reader (one
    that ignored a member another refused would disagree with it)."""
    if not isinstance(value, dict):
        raise ElectionError(f"{where}: an object is expected")
    missing = sorted(required - set(value))
    extra = sorted(set(value) - required - optional)
    if missing:
        raise ElectionError(f"{where}: missing {', '.join(missing)}")
    if extra:
        raise ElectionError(f"{where}: no member {', '.join(extra)} is allowed here")


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ElectionError(f"{where}: an integer of at least {minimum} is expected")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ElectionError(f"{where}: a non-empty string is expected")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ElectionError(f"{where}: a list is expected")
    return value


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ElectionError(f"{where}: an object of texts per language is expected")
    if "id" not in value or "en" not in value:
        raise ElectionError(f"{where}: texts in Indonesian (id) and English (en) are expected")
    return dict(value)


def _ident(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ElectionError(f"{where}: an id of lowercase letters, digits, '-' or '_' is expected")
    return value


class ElectionView(Protocol):
    """What checking an officer's record needs of the election in force: its id, its contests
    (with their forms) and one station at a time. A whole ``Election`` is one; a laptop saving
    a sheet uses its store's view instead, without parsing a national package."""

    @property
    def id(self) -> str: ...

    @property
    def contests(self) -> Mapping[str, Contest]: ...

    def station(self, code: str) -> Station | None: ...

    def region(self, code: str) -> Region | None: ...

    def child_regions(self, code: str) -> Sequence[str]:
        """The codes of the regions whose parent is ``code``, in code order."""
        ...

    def stations_within(self, prefix: str) -> Sequence[Station]:
        """The stations inside a region, in code order."""
        ...


@dataclass(frozen=True)
class ElectionOutline:
    """An election without its regions and stations: what a window needs to show a sheet.

    The regions and stations of a national package (hundreds of thousands) stay in the
    store's projection tables; ``outline`` reads only the package's leading members.
    """

    id: str
    version: int
    name: Text
    issued: datetime
    expires: datetime
    contests: dict[str, Contest]

    @classmethod
    def from_members(cls, p: Mapping[str, Any], version: int) -> ElectionOutline:
        """From a package's members other than regions and stations (checked the same way
        ``Election.from_payload`` checks them)."""
        try:
            return cls(
                id=_ident(p["election"], "election"),
                version=_int(version, "version", 1),
                name=_text(p["name"], "name"),
                issued=parse_time(p["issued"], "issued"),
                expires=parse_time(p["expires"], "expires"),
                contests=_parse_contests(p),
            )
        except FormError as exc:
            raise ElectionError(str(exc)) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise ElectionError(f"the package is incomplete or has a wrong type: {exc!r}") from exc

    @classmethod
    def of(cls, election: Election) -> ElectionOutline:
        return cls(
            election.id,
            election.version,
            election.name,
            election.issued,
            election.expires,
            election.contests,
        )


def _parse(p: Mapping[str, Any]) -> Election:
    if p.get("type") != "election":
        raise ElectionError("this is not an election package (type must be 'election')")
    election_id = _ident(p["election"], "election")
    contests = _parse_contests(p)
    return _parse_rest(p, election_id, contests)


def _parse_contests(p: Mapping[str, Any]) -> dict[str, Contest]:
    contests: dict[str, Contest] = {}
    for i, c in enumerate(_list(p["contests"], "contests")):
        where = f"contests[{i}]"
        members(c, where, {"id", "name", "kind", "choices", "form"})
        cid = _ident(c["id"], f"{where}.id")
        if cid in contests:
            raise ElectionError(f"{where}.id: contest {cid} appears twice")
        kind = c["kind"]
        if kind not in ("candidates", "parties"):
            raise ElectionError(f"{where}.kind: 'candidates' or 'parties' is expected")
        choices = []
        for j, ch in enumerate(_list(c["choices"], f"{where}.choices")):
            members(ch, f"{where}.choices[{j}]", {"id", "number", "name"}, {"candidates"})
            for k, cd in enumerate(_list(ch.get("candidates", []), f"{where}.choices[{j}]")):
                members(cd, f"{where}.choices[{j}].candidates[{k}]", {"id", "number", "name"})
            cands = tuple(
                Candidate(
                    _ident(cd["id"], f"{where}.choices[{j}].candidates[{k}].id"),
                    _int(cd["number"], f"{where}.choices[{j}].candidates[{k}].number", 1),
                    _str(cd["name"], f"{where}.choices[{j}].candidates[{k}].name"),
                )
                for k, cd in enumerate(ch.get("candidates", []))
            )
            choices.append(
                Choice(
                    _ident(ch["id"], f"{where}.choices[{j}].id"),
                    _int(ch["number"], f"{where}.choices[{j}].number", 1),
                    _str(ch["name"], f"{where}.choices[{j}].name"),
                    cands,
                )
            )
        if not choices:
            raise ElectionError(f"{where}.choices: a contest needs at least one choice")
        if len({ch.id for ch in choices}) != len(choices):
            raise ElectionError(f"{where}.choices: a choice id appears twice")
        form = Form.from_data(c["form"], where=f"{where}.form")
        contests[cid] = Contest(cid, _text(c["name"], f"{where}.name"), kind, tuple(choices), form)
    return contests


def _parse_rest(p: Mapping[str, Any], election_id: str, contests: dict[str, Contest]) -> Election:
    regions: dict[str, Region] = {}
    for i, r in enumerate(_list(p["regions"], "regions")):
        where = f"regions[{i}]"
        members(r, where, {"code", "name", "level", "parent"})
        code = r["code"]
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ElectionError(f"{where}.code: an official code like 32.04.01.2001 is expected")
        if r["level"] not in LEVELS:
            raise ElectionError(f"{where}.level: one of {', '.join(LEVELS)} is expected")
        parent = r.get("parent")
        if parent is not None and parent not in regions:
            raise ElectionError(f"{where}.parent: region {parent} must be listed before {code}")
        if parent is not None and not in_region(code, parent):
            raise ElectionError(f"{where}.code: {code} does not lie inside its parent {parent}")
        if code in regions:
            raise ElectionError(f"{where}.code: region {code} appears twice")
        regions[code] = Region(code, _str(r["name"], f"{where}.name"), r["level"], parent)

    stations: dict[str, Station] = {}
    for i, s in enumerate(_list(p["stations"], "stations")):
        where = f"stations[{i}]"
        members(s, where, {"code", "region", "name", "registered", "contests"})
        code, region = s["code"], s["region"]
        if region not in regions or regions[region].level != "village":
            raise ElectionError(f"{where}.region: {region!r} is not a village of this election")
        if not isinstance(code, str) or not _CODE_RE.match(code) or not in_region(code, region):
            raise ElectionError(f"{where}.code: {code!r} must be a code inside {region}")
        if code in stations:
            raise ElectionError(f"{where}.code: station {code} appears twice")
        held = tuple(_list(s["contests"], f"{where}.contests"))
        if len(set(held)) != len(held):
            raise ElectionError(f"{where}.contests: a contest is listed twice")
        for cid in held:
            if cid not in contests:
                raise ElectionError(f"{where}.contests: contest {cid!r} is not defined")
        stations[code] = Station(
            code,
            region,
            _str(s["name"], f"{where}.name"),
            _int(s["registered"], f"{where}.registered"),
            held,
        )

    children: dict[str | None, list[str]] = {}
    for region_obj in regions.values():
        children.setdefault(region_obj.parent, []).append(region_obj.code)
    issued = parse_time(p["issued"], "issued")
    expires = parse_time(p["expires"], "expires")
    if expires <= issued:
        raise ElectionError("expires: the package expires before it is issued")
    return Election(
        id=election_id,
        version=_int(p["version"], "version", 1),
        name=_text(p["name"], "name"),
        issued=issued,
        expires=expires,
        contests=contests,
        regions=regions,
        stations=stations,
        _children={k: tuple(sorted(v)) for k, v in children.items()},
        demo=_demo(p.get("demo", False)),
    )


def _demo(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ElectionError("demo: true or false is expected")
    return value
