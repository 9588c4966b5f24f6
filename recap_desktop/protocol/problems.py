"""Every finding the protocol can report, by a stable name: one list for every door.

The server's refusals, a laptop's pull and bundle refusals, and `recap verify` all speak these
names, and docs/PROTOCOL.md §5.6 lists the same table (a test checks that the two agree). The
message catalogue (recap_desktop.messages) translates each name for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Severities. An error is something wrong with a record or with the store that holds it; the
# record is refused at a door, and `recap verify` fails. Attention is a record that verifies
# but may not count for a reason a supervisor must resolve (`recap verify` fails too: not
# everything held counts). A notice is a record that verifies and will count once the
# missing piece arrives (a certificate).
ERROR, ATTENTION, NOTICE = "error", "attention", "notice"

# name -> (severity, what it means). The order is the order of docs/PROTOCOL.md §5.6.
KINDS: dict[str, tuple[str, str]] = {
    "malformed": (ERROR, "not a record of this protocol: shape, members, encoding or time format"),
    "bad_signature": (ERROR, "the signature is not accepted under the signer's key (§2)"),
    "unknown_signer": (ERROR, "no certificate (nor the holder's own key) gives the signer's key"),
    "no_election": (ERROR, "no election package is in force to check the record against"),
    "wrong_election": (ERROR, "the record belongs to another election"),
    "expired": (ERROR, "an election package that had expired when it arrived"),
    "unknown_station": (ERROR, "the polling station is not in the election"),
    "unknown_contest": (
        ERROR,
        "the record's station, or no station inside its region, holds that contest",
    ),
    "unknown_region": (
        ERROR,
        "a D.Hasil's region is no level that signs one, or a place is no station or region",
    ),
    "bad_values": (
        ERROR,
        "a sheet's values or a D.Hasil's totals are not the form's fields as counts",
    ),
    "breaks_rule": (ERROR, "a sheet breaks an error rule of its form"),
    "unacknowledged_warning": (
        ERROR,
        "a sheet fires a warning bound of its package without listing it and giving a reason",
    ),
    "bad_children": (
        ERROR,
        "a D.Hasil does not name exactly its region's children, or rests on one not final",
    ),
    "bad_totals": (ERROR, "a D.Hasil's totals are not the sum of the children it names"),
    "not_closed": (ERROR, "a final D.Hasil with a child pending or an objection not ruled on"),
    "bad_ruling": (
        ERROR,
        "a ruling's decision does not fit what it rules on (an objection, or an incident)",
    ),
    "role": (ERROR, "no certificate of the signer has the role the record needs"),
    "jurisdiction": (
        ERROR,
        "the record's place lies outside every region the signer is certified for",
    ),
    "certificate_expired": (
        ERROR,
        "no certificate covers the record's time, or it was first seen after it ended",
    ),
    "revoked": (
        ATTENTION,
        "the signer's key is revoked and nothing but its claim puts the record before it",
    ),
    "time_order": (ERROR, "the record's time is earlier than its signer's previous record"),
    "chain_gap": (ERROR, "the signer's previous record is missing"),
    "chain_prev": (ERROR, "the record does not name its signer's previous record"),
    "equivocation": (ERROR, "the signer signed two different records at one place in its chain"),
    "dangling": (
        ERROR,
        "the record refers to a record not held, or to one that is not what it must be (§5.5)",
    ),
    "self_review": (ERROR, "a review decides a sheet signed by the review's own signer"),
    "missing_record": (ERROR, "a record this holder had (or was given a receipt for) is gone"),
    "forked": (ATTENTION, "a record signed at or after a proven fork of its signer's chain"),
    "awaiting_certificate": (NOTICE, "signed by the holder's own key, not yet certified"),
    "clock_skew": (NOTICE, "the record claims a time more than 10 minutes after it was first seen"),
    "review_conflict": (ATTENTION, "reviews in force on one sheet disagree (a station's state)"),
    "approvals_disagree": (ATTENTION, "approved sheets hold different values (a station's state)"),
}


@dataclass(frozen=True)
class Problem:
    """One finding: the record it is about (its hash, or None), a name of ``KINDS``, and a
    sentence for people. ``severity`` defaults to the name's."""

    record: str | None
    kind: str
    detail: str
    severity: str = ""

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", severity_of(self.kind))

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "kind": self.kind,
            "severity": self.severity,
            "detail": self.detail,
        }


def severity_of(kind: str) -> str:
    return KINDS[kind][0] if kind in KINDS else ERROR
