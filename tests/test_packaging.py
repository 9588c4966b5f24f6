"""What the packaging promises and a quick test can check: one version everywhere, the
desktop files agree with the program, the icon exists at every size the window loads, and
no shipped module finds a file through the repository's layout (issue 15).

The wheel itself is installed and run in tests/test_wheel_install.py; the bundle is built by
`make dist` and checked by hand (docs/PACKAGING.md).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from recap_desktop import resources
from recap_desktop.cli import main as cli_main
from recap_desktop.version import version
from recap_server.__main__ import main as server_main

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "id.recap.RecapDesktop"


def test_the_installed_version_is_pyprojects() -> None:
    assert version() == VERSION


@pytest.mark.parametrize(
    ("prog", "main"),
    [("recap", cli_main), ("recap-server", server_main)],
)
def test_version_option(prog: str, main, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"{prog} {VERSION}\n"


def test_window_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    from recap_desktop.ui.app import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"recap-desktop {VERSION}\n"


def test_changelog_and_metainfo_name_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.MULTILINE)
    assert releases and releases[0] == VERSION, "add this version to CHANGELOG.md"
    meta = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    newest = meta.find("releases/release")
    assert newest is not None and newest.get("version") == VERSION, "and to the metainfo"


def test_desktop_entry_metainfo_and_window_share_one_id() -> None:
    from recap_desktop.ui.app import APP_ID as WINDOW_ID

    assert WINDOW_ID == APP_ID
    entry = (LINUX / f"{APP_ID}.desktop").read_text()
    assert f"\nIcon={APP_ID}\n" in entry and "\nExec=recap-desktop\n" in entry
    meta = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    assert f'APP_ID = "{APP_ID}"' in (ROOT / "packaging" / "build.py").read_text()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    assert scripts == {"recap-desktop": "recap_desktop.ui:start"}


def test_icon_pngs_have_the_sizes_the_window_loads() -> None:
    from recap_desktop.ui.app import ICON_SIZES

    for size in ICON_SIZES:
        png = resources.path("icons", f"recap-desktop-{size}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)
    assert resources.path("icons", "recap-desktop.svg").read_text().lstrip().startswith("<?xml")


def test_every_shipped_file_is_found_by_import_name() -> None:
    for parts in (
        ("demo", "election.json"),
        ("demo", "demo_authority_seed.hex"),
        ("translations", "recap_id.qm"),
        ("translations", "recap_en.qm"),
    ):
        assert resources.path(*parts).is_file()


def test_no_shipped_module_finds_files_through_the_repository_layout() -> None:
    """Installed, ``parents[...]`` of a module points into site-packages, not the checkout."""
    shipped = [*(ROOT / "recap_desktop").rglob("*.py"), *(ROOT / "recap_server").rglob("*.py")]
    for path in shipped:
        source = path.read_text(encoding="utf-8")
        assert ".parents[" not in source, f"{path.relative_to(ROOT)}: use recap_desktop.resources"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_entry_validates() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(LINUX / f"{APP_ID}.desktop")], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="apt-get install appstream")
def test_metainfo_validates() -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(LINUX / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_window_icon_loads_every_size(qapp) -> None:
    from recap_desktop.ui.app import ICON_SIZES, app_icon

    sizes = sorted(s.width() for s in app_icon().availableSizes())
    assert sizes == sorted(ICON_SIZES)
