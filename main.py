"""Start the Recap Desktop window (`make run` passes --demo). The command line is `recap`."""

from __future__ import annotations

import sys

from recap_desktop.ui.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
