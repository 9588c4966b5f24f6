"""Refresh the .ts files from the window's source, then compile them to .qm.

Run ``make translations-update`` after changing a string in ``recap_desktop/ui``; then give
every new Indonesian message its translation (``pyside6-linguist recap_id.ts`` or any editor)
and run ``make translations``. English is the source language, so ``recap_en.ts`` gets each
source text as its own translation here: a finished English catalogue means "checked, no
string was forgotten", which ``tests/test_ui_translations.py`` asserts for both files.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

from recap_desktop import resources

# Found by import name, as the program finds them: with the editable install of `make setup`
# these are the checkout's resources/translations and recap_desktop/ui folders.
HERE = resources.path("translations")
UI = Path(str(files("recap_desktop.ui")))
BIN = Path(sys.executable).parent


def lupdate(lang: str) -> Path:
    ts = HERE / f"recap_{lang}.ts"
    sources = sorted(str(p) for p in UI.glob("*.py"))
    subprocess.run(
        [
            str(BIN / "pyside6-lupdate"),
            *sources,
            "-source-language",
            "en",
            "-target-language",
            lang,
            "-no-obsolete",
            "-locations",
            "none",
            "-ts",
            str(ts),
        ],
        check=True,
    )
    return ts


def finish_english(ts: Path) -> None:
    tree = ET.parse(ts)
    for message in tree.iter("message"):
        translation = message.find("translation")
        source = message.find("source")
        if translation is None or source is None:
            continue
        if message.get("numerus") == "yes":
            # English's two plural forms: written by hand ("1 dispute", "2 disputes"), or
            # made from a "(s)" in the source ("%n record(s)": "%n record", "%n records").
            text = source.text or ""
            made = [re.sub(r"\((\w+)\)", "", text), re.sub(r"\((\w+)\)", r"\1", text)]
            forms = translation.findall("numerusform")
            while len(forms) < 2:
                forms.append(ET.SubElement(translation, "numerusform"))
            for form, default in zip(forms, made, strict=False):
                if not form.text or not form.text.strip():
                    form.text = default if "(" in text else source.text
            translation.attrib.pop("type", None)
        elif not translation.text or not translation.text.strip():
            translation.text = source.text
            translation.attrib.pop("type", None)
    tree.write(ts, encoding="utf-8", xml_declaration=True)


def lrelease() -> None:
    for ts in sorted(HERE.glob("recap_*.ts")):
        subprocess.run(
            [str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))],
            check=True,
        )


if __name__ == "__main__":
    if sys.argv[1:] != ["--compile-only"]:
        lupdate("id")
        finish_english(lupdate("en"))
    lrelease()
