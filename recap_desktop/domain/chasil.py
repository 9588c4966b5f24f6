"""The 2024 Indonesian C.Hasil as form data: what an election authority puts in its package.

Sections follow the paper: voters (DPT, DPTb, DPK), disabled voters, ballots, votes per
choice, valid and invalid. The rules are the paper's own consistency checks.
"""

from __future__ import annotations

from typing import Any


def _t(id_: str, en: str) -> dict[str, str]:
    return {"id": id_, "en": en}


def _rule(
    rid: str, severity: str, left: list[Any], op: str, right: list[Any], id_: str, en: str
) -> dict[str, Any]:
    return {
        "id": rid,
        "severity": severity,
        "left": left,
        "op": op,
        "right": right,
        "message": _t(id_, en),
    }


def _common_sections() -> list[dict[str, Any]]:
    return [
        {
            "id": "voters",
            "label": _t("A. Data Pemilih dan Pengguna Hak Pilih", "A. Voters and turnout"),
            "fields": [
                {"id": "dpt", "label": _t("Jumlah pemilih dalam DPT", "Voters on the DPT")},
                {"id": "dpt_voted", "label": _t("Pengguna hak pilih DPT", "DPT voters who voted")},
                {
                    "id": "dptb_voted",
                    "label": _t("Pengguna hak pilih DPTb", "DPTb voters who voted"),
                },
                {"id": "dpk_voted", "label": _t("Pengguna hak pilih DPK", "DPK voters who voted")},
                {
                    "id": "voted_total",
                    "label": _t("Jumlah seluruh pengguna hak pilih", "All voters who voted"),
                },
            ],
        },
        {
            "id": "disabled",
            "label": _t("B. Pemilih Disabilitas", "B. Voters with disabilities"),
            "fields": [
                {
                    "id": "disabled",
                    "label": _t("Jumlah seluruh pemilih disabilitas", "Voters with disabilities"),
                },
                {
                    "id": "disabled_voted",
                    "label": _t("Pemilih disabilitas yang memilih", "Of whom voted"),
                },
            ],
        },
        {
            "id": "ballots",
            "label": _t("C. Data Penggunaan Surat Suara", "C. Ballot papers"),
            "fields": [
                {"id": "ballots_received", "label": _t("Surat suara diterima", "Ballots received")},
                {
                    "id": "ballots_returned",
                    "label": _t(
                        "Surat suara dikembalikan, rusak atau keliru dicoblos",
                        "Ballots returned or spoiled",
                    ),
                },
                {
                    "id": "ballots_unused",
                    "label": _t("Surat suara tidak digunakan", "Ballots unused"),
                },
                {"id": "ballots_used", "label": _t("Surat suara digunakan", "Ballots used")},
            ],
        },
    ]


def _result_section() -> dict[str, Any]:
    return {
        "id": "result",
        "label": _t("E. Jumlah Suara", "E. Vote totals"),
        "fields": [
            {"id": "valid", "label": _t("Jumlah suara sah", "Valid votes")},
            {"id": "invalid", "label": _t("Jumlah suara tidak sah", "Invalid votes")},
            {
                "id": "total",
                "label": _t("Jumlah suara sah dan tidak sah", "Valid and invalid votes"),
            },
        ],
    }


def _common_rules() -> list[dict[str, Any]]:
    reg = {"station": "registered"}
    return [
        _rule(
            "voters_sum",
            "error",
            ["dpt_voted", "dptb_voted", "dpk_voted"],
            "eq",
            ["voted_total"],
            "Pengguna hak pilih DPT + DPTb + DPK = {left}, tetapi jumlah seluruhnya {right}.",
            "DPT + DPTb + DPK voters who voted = {left}, but the total says {right}.",
        ),
        _rule(
            "dpt_voted_max",
            "error",
            ["dpt_voted"],
            "le",
            ["dpt"],
            "Pengguna hak pilih DPT ({left}) melebihi jumlah pemilih DPT ({right}).",
            "DPT voters who voted ({left}) exceed the voters on the DPT ({right}).",
        ),
        _rule(
            "dpt_matches_package",
            "warning",
            ["dpt"],
            "eq",
            [reg],
            "Jumlah pemilih DPT ({left}) berbeda dari daftar resmi TPS ini ({right}).",
            "Voters on the DPT ({left}) differ from this station's official list ({right}).",
        ),
        _rule(
            "disabled_voted_max",
            "error",
            ["disabled_voted"],
            "le",
            ["disabled"],
            "Pemilih disabilitas yang memilih ({left}) melebihi jumlahnya ({right}).",
            "Voters with disabilities who voted ({left}) exceed their number ({right}).",
        ),
        _rule(
            "disabled_within_voters",
            "error",
            ["disabled_voted"],
            "le",
            ["voted_total"],
            "Pemilih disabilitas yang memilih ({left}) melebihi pengguna hak pilih ({right}).",
            "Voters with disabilities who voted ({left}) exceed all voters who voted ({right}).",
        ),
        _rule(
            "ballots_sum",
            "error",
            ["ballots_returned", "ballots_unused", "ballots_used"],
            "eq",
            ["ballots_received"],
            "Dikembalikan + tidak digunakan + digunakan = {left}, tetapi diterima {right}.",
            "Returned + unused + used ballots = {left}, but ballots received = {right}.",
        ),
        _rule(
            "ballots_used_voters",
            "error",
            ["ballots_used"],
            "eq",
            ["voted_total"],
            "Surat suara digunakan ({left}) harus sama dengan pengguna hak pilih ({right}).",
            "Ballots used ({left}) must equal the voters who voted ({right}).",
        ),
        _rule(
            "valid_invalid_sum",
            "error",
            ["valid", "invalid"],
            "eq",
            ["total"],
            "Suara sah + tidak sah = {left}, tetapi jumlahnya ditulis {right}.",
            "Valid + invalid votes = {left}, but the total says {right}.",
        ),
        _rule(
            "total_used",
            "error",
            ["total"],
            "eq",
            ["ballots_used"],
            "Jumlah suara ({left}) harus sama dengan surat suara digunakan ({right}).",
            "Total votes ({left}) must equal the ballots used ({right}).",
        ),
        _rule(
            "turnout_high",
            "warning",
            [{"field": "voted_total", "times": 100}],
            "le",
            [{"field": "dpt", "times": 95}],
            "Partisipasi di atas 95% dari DPT: periksa kembali formulir.",
            "Turnout above 95% of the DPT: check the paper form again.",
        ),
        _rule(
            "zero_votes",
            "warning",
            ["total"],
            "gt",
            [{"const": 0}],
            "TPS ini tidak mencatat satu suara pun: pastikan ini benar.",
            "This station records no votes at all: make sure that is right.",
        ),
    ]


def candidates_form(choices: list[dict[str, Any]]) -> dict[str, Any]:
    """The presidential form: one count per candidate pair."""
    fields = [
        {
            "id": f"v_{c['id']}",
            "label": _t(f"{c['number']:02d}. {c['name']}", f"{c['number']:02d}. {c['name']}"),
        }
        for c in choices
    ]
    rules = [
        *_common_rules(),
        _rule(
            "choices_sum",
            "error",
            [f["id"] for f in fields],
            "eq",
            ["valid"],
            "Jumlah suara pasangan calon = {left}, tetapi suara sah ditulis {right}.",
            "Votes for the candidate pairs add up to {left}, but valid votes say {right}.",
        ),
    ]
    sections = [
        *_common_sections(),
        {
            "id": "votes",
            "label": _t("D. Perolehan Suara", "D. Votes per candidate pair"),
            "fields": fields,
        },
        _result_section(),
    ]
    return {"sections": sections, "rules": rules}


def parties_form(parties: list[dict[str, Any]]) -> dict[str, Any]:
    """The DPR form: per party its own votes, each candidate's, and the party's total."""
    sections = [*_common_sections()]
    rules = _common_rules()
    totals = []
    for p in parties:
        pid, label = p["id"], f"{p['number']:02d}. {p['name']}"
        fields = [
            {"id": f"{pid}_party", "label": _t(f"Suara partai {label}", f"Party vote {label}")}
        ]
        for c in p["candidates"]:
            fields.append(
                {
                    "id": f"{pid}_c{c['number']}",
                    "label": _t(f"{c['number']}. {c['name']}", f"{c['number']}. {c['name']}"),
                }
            )
        fields.append(
            {"id": f"{pid}_total", "label": _t(f"Jumlah suara {label}", f"Total for {label}")}
        )
        totals.append(f"{pid}_total")
        sections.append(
            {"id": f"party_{pid}", "label": _t(f"D. {label}", f"D. {label}"), "fields": fields}
        )
        rules.append(
            _rule(
                f"{pid}_sum",
                "error",
                [f["id"] for f in fields[:-1]],
                "eq",
                [f"{pid}_total"],
                f"{label}: suara partai + calon = {{left}}, tetapi jumlahnya ditulis {{right}}.",
                f"{label}: party + candidate votes = {{left}}, but the total says {{right}}.",
            )
        )
    sections.append(_result_section())
    rules.append(
        _rule(
            "choices_sum",
            "error",
            totals,
            "eq",
            ["valid"],
            "Jumlah suara semua partai = {left}, tetapi suara sah ditulis {right}.",
            "The parties' totals add up to {left}, but valid votes say {right}.",
        )
    )
    return {"sections": sections, "rules": rules}
