"""The bundle's start script: what ``recap-desktop`` (and ``python main.py``) run, frozen.

``freeze_support`` comes first: the verifier spreads a large store over spawned processes,
and a frozen program's spawned child is this executable again, which must run the worker
instead of opening a second window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from recap_desktop.ui.app import main

    sys.exit(main())
