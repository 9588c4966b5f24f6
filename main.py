"""Start Recap Desktop. The window comes with the desktop UI; until then, the `recap` command."""

from __future__ import annotations

import sys

from recap_desktop.cli import main as cli_main

if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(cli_main(sys.argv[1:]))
    print("Recap Desktop: the window is not built yet. Use the `recap` command:")
    print("  .venv/bin/recap demo init && .venv/bin/recap demo populate --stations 50")
    print("  .venv/bin/recap verify")
    sys.exit(cli_main(["--help"]))
