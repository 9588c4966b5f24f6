"""No untranslated string: the .ts files hold exactly the window's strings, all translated.

``pyside6-lupdate`` reads the source as the release process does; a string added to the
window without a translation, or a translation left for a string that is gone, fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = i18n.TRANSLATIONS  # found as the window finds it
BIN = Path(sys.executable).parent


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            out[(name, message.findtext("source") or "")] = message
    return out


@pytest.fixture(scope="module")
def from_source(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    ts = tmp_path_factory.mktemp("lupdate") / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "recap_desktop" / "ui").glob("*.py"))
    subprocess.run(
        [str(BIN / "pyside6-lupdate"), *sources, "-locations", "none", "-ts", str(ts)],
        check=True,
        capture_output=True,
    )
    found = set(messages(ts))
    assert len(found) > 100
    return found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_window_string_is_translated(lang: str, from_source: set[tuple[str, str]]) -> None:
    held = messages(TRANSLATIONS / f"recap_{lang}.ts")
    assert from_source - set(held) == set(), "strings in the source missing from the .ts"
    assert set(held) - from_source == set(), "translations left for strings that are gone"
    for (context, source), message in held.items():
        assert context == "", f"{source!r}: tr() looks up the empty context only"
        translation = message.find("translation")
        assert translation is not None, f"{source!r} is untranslated"
        assert translation.get("type") not in ("unfinished", "obsolete", "vanished"), source
        placeholders = sorted(re.findall(r"%\d", source))
        # A message with a count (%n) has one text per plural form of the language.
        forms = [f.text for f in translation.findall("numerusform")] or [translation.text]
        assert len(forms) == (1 if message.get("numerus") != "yes" or lang == "id" else 2)
        for form in forms:
            assert form and form.strip(), f"{source!r} is untranslated"
            assert sorted(re.findall(r"%\d", form)) == placeholders, source
            assert ("%n" in form) == ("%n" in source), source


def test_compiled_catalogues_match_their_sources(tmp_path: Path) -> None:
    for ts in sorted(TRANSLATIONS.glob("recap_*.ts")):
        fresh = tmp_path / ts.with_suffix(".qm").name
        subprocess.run(
            [str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(fresh)],
            check=True,
            capture_output=True,
        )
        assert fresh.read_bytes() == ts.with_suffix(".qm").read_bytes(), "run make translations"


def test_indonesian_and_english_load(qapp) -> None:
    try:
        assert i18n.install("id")
        assert tr("Save and sign") == "Simpan dan tanda tangani"
        assert i18n.state_label("disputed") == "diperselisihkan"
        assert i18n.install("en")
        assert tr("Save and sign") == "Save and sign"
    finally:
        i18n.install("en")


def test_plural_forms_are_right_in_both_languages(qapp) -> None:
    """ "1 records" was wrong: a count picks its form (Qt's %n and the .ts numerus forms)."""
    try:
        assert i18n.install("en")
        assert tr("%n record(s) refused:", "", 1) == "1 record refused:"
        assert tr("%n record(s) refused:", "", 3) == "3 records refused:"
        assert tr("%n rule(s) broken", "", 1) == "1 rule broken"
        assert i18n.install("id")
        assert tr("%n record(s) refused:", "", 1) == "1 catatan ditolak:"
        assert tr("%n record(s) refused:", "", 3) == "3 catatan ditolak:"
    finally:
        i18n.install("en")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "id"),
        ({"LANG": "C"}, "id"),
        ({"LANG": "en_US.UTF-8"}, "id"),  # an installer's default is no explicit ask
        ({"LC_ALL": "en_GB.UTF-8"}, "id"),
        ({"LANG": "id_ID.UTF-8"}, "id"),
        ({"LANGUAGE": "en_US:en"}, "en"),  # the user's own list of preferred languages
        ({"RECAP_LANG": "en", "LANG": "id_ID.UTF-8"}, "en"),
        ({"RECAP_LANG": "id", "LANGUAGE": "en"}, "id"),
    ],
)
def test_indonesian_unless_the_system_asks_for_english_explicitly(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    """The window and the CLI choose alike (one rule): a C or English locale opened the
    window in English before."""
    from recap_desktop import messages

    for var in ("RECAP_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.system_language() == expected
    assert messages.system_language() == expected
