"""Start the Recap Desktop window (`make run` passes --demo). The command line is `recap`."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # Imported here, not above: a process the window spawns (verify_store's helpers, the
    # supervisor's review) runs this file again as `__mp_main__`, and must not load Qt and
    # the window (~0.16 s of CPU and 64 MB each) to check records.
    from recap_desktop.ui.app import main

    sys.exit(main(sys.argv[1:]))
