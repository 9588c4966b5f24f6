"""The published admission vectors and problem names are what the program does.

tests/vectors/admission_vectors.json is committed: a change to a verdict, a state or a total
fails here instead of silently rewriting what other implementations are checked against.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from recap_desktop.protocol.problems import KINDS
from tests.vectors.make_admission_vectors import OUT, build

DOC = Path(__file__).resolve().parents[1] / "docs" / "PROTOCOL.md"


def test_the_committed_admission_vectors_are_what_the_program_decides() -> None:
    committed = json.loads(OUT.read_text())
    produced = json.loads(json.dumps(build(), sort_keys=True))
    assert produced["admission"]["cases"] == committed["admission"]["cases"]
    assert produced["holders"] == committed["holders"]
    assert produced == committed


def test_every_problem_name_is_in_the_protocol_with_its_severity_and_meaning() -> None:
    match = re.search(r"```problems\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/PROTOCOL.md lost its problems table"
    documented = {}
    for line in match.group(1).splitlines():
        name, severity, meaning = line.split(None, 2)
        documented[name] = (severity, meaning.strip())
    assert list(documented) == list(KINDS)
    for name, (severity, meaning) in KINDS.items():
        assert documented[name][0] == severity, name
        assert documented[name][1] == meaning, name


def test_the_vectors_cover_every_refusal_a_record_can_get() -> None:
    committed = json.loads(OUT.read_text())
    reasons = {c["expect"]["reason"] for c in committed["admission"]["cases"]}
    statuses = {c["expect"]["status"] for c in committed["admission"]["cases"]}
    holders = committed["holders"]
    findings = {k for h in holders for _, k in h["expect"]["findings"]}
    attention = {a for h in holders for s in h["expect"]["states"] for a in s["attention"]}
    states = {s["state"] for h in holders for s in h["expect"]["states"]}
    # A store's own checks (missing_record) need a store, not a set: tests/test_doors.py.
    refusals = {k for k, (severity, _) in KINDS.items() if severity == "error"}
    assert refusals - {"missing_record", "no_election"} | {"revoked"} <= reasons
    assert statuses == {"admitted", "held", "refused"}
    assert {"no_election", "revoked", "forked", "awaiting_certificate", "clock_skew"} <= findings
    assert {"review_conflict", "approvals_disagree", "revoked", "forked"} <= attention
    assert {"signed", "corrected", "approved", "rejected", "disputed", "uncounted"} <= states
