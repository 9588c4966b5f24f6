"""``make dist``: the wheel, then the one-folder desktop bundle made from it; sizes reported.

1. ``pip wheel`` builds ``dist/recap_desktop-VERSION-py3-none-any.whl``.
2. A build environment (``build/bundle-venv``) gets that wheel, its run-time dependencies and
   PyInstaller, nothing else: the bundle holds exactly what the wheel ships.
3. PyInstaller runs ``packaging/recap-desktop.spec`` into ``dist/recap-desktop/``.
4. On Linux the folder gets its desktop entry, icons, AppStream metainfo and ``install.sh``,
   and is packed as ``dist/recap-desktop-VERSION-linux-ARCH.tar.gz`` (a zip on Windows).

Runs with the standard library only, on Linux and Windows (docs/PACKAGING.md).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUILD = ROOT / "build"
BUNDLE = DIST / "recap-desktop"
APP_ID = "id.recap.RecapDesktop"  # as recap_desktop/ui/app.py's APP_ID
WINDOWS = sys.platform == "win32"


def run(*cmd: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=cwd)


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def build_wheel() -> Path:
    for old in DIST.glob("recap_desktop-*.whl"):
        old.unlink()
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", DIST, ROOT)
    (wheel,) = DIST.glob("recap_desktop-*.whl")
    return wheel


def build_env(wheel: Path) -> Path:
    """A virtual environment with the wheel and PyInstaller only (kept between builds)."""
    env = BUILD / "bundle-venv"
    python = env / ("Scripts/python.exe" if WINDOWS else "bin/python")
    if not python.exists():
        venv.create(env, with_pip=True)
    run(python, "-m", "pip", "install", "--quiet", wheel, "pyinstaller>=6.10")
    # The same version number is rebuilt many times during development: take this build's.
    run(python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", wheel)
    return python


def version_of(python: Path) -> str:
    code = "from recap_desktop.version import version; print(version())"
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True, cwd=BUILD
    ).stdout.strip()


def freeze(python: Path) -> None:
    shutil.rmtree(BUNDLE, ignore_errors=True)
    run(
        python,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        DIST,
        "--workpath",
        BUILD / "pyinstaller",
        ROOT / "packaging" / "recap-desktop.spec",
        cwd=BUILD,  # not the checkout: its recap_desktop/ must not shadow the installed wheel
    )


def add_desktop_files() -> None:
    """The freedesktop.org files, laid out as under /usr so install.sh can copy them."""
    share = BUNDLE / "share"
    linux = ROOT / "packaging" / "linux"
    icons = ROOT / "resources" / "icons"
    (share / "applications").mkdir(parents=True)
    shutil.copy(linux / f"{APP_ID}.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy(linux / f"{APP_ID}.metainfo.xml", share / "metainfo")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(icons / "recap-desktop.svg", scalable / f"{APP_ID}.svg")
    for png in sorted(icons.glob("recap-desktop-*.png")):
        px = png.stem.rsplit("-", 1)[1]
        folder = share / "icons" / "hicolor" / f"{px}x{px}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy(png, folder / f"{APP_ID}.png")
    shutil.copy(linux / "install.sh", BUNDLE / "install.sh")


def pack(version: str) -> Path:
    arch = platform.machine().lower()
    if WINDOWS:
        archive = DIST / f"recap-desktop-{version}-windows-{arch}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(BUNDLE.rglob("*")):
                z.write(p, p.relative_to(DIST))
        return archive
    archive = DIST / f"recap-desktop-{version}-linux-{arch}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(BUNDLE, arcname=BUNDLE.name)
    return archive


def main() -> int:
    started = time.monotonic()
    DIST.mkdir(exist_ok=True)
    BUILD.mkdir(exist_ok=True)
    wheel = build_wheel()
    python = build_env(wheel)
    version = version_of(python)
    freeze(python)
    if not WINDOWS:
        add_desktop_files()
    for old in DIST.glob("recap-desktop-*-*.*"):
        old.unlink()
    archive = pack(version)
    print(f"\nRecap Desktop {version}, built in {time.monotonic() - started:.0f} s:")
    print(f"  {wheel.relative_to(ROOT)}: {mib(size(wheel))}")
    print(f"  {BUNDLE.relative_to(ROOT)}/: {mib(size(BUNDLE))} (the one-folder bundle)")
    print(f"  {archive.relative_to(ROOT)}: {mib(size(archive))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
