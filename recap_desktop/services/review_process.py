"""``review_store`` in a child process, for the window.

Verifying the whole store parses every record, the national election package among them
(tens of MB, parsed in one call that holds the GIL for seconds), and keeps per-record state
for the chain checks: hundreds of MB at 1,000,000 records. In the window's own process that
froze its GUI thread and set its peak memory. In a child process (spawned: the window has
threads) neither touches the window; the child sends its progress, then the report in
chunks, so no single message takes long to unpickle on this side.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from recap_desktop.services.review import ReviewReport, review_store
from recap_desktop.services.verify import Progress
from recap_desktop.services.workspace import Workspace

CHUNK = 1000


def _watch_parent(parent: int) -> None:
    """End this process once the window's is gone (killed, or quit while verifying): an
    orphan would go on for minutes and hold the window's output pipes open."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _kill_group(0)


def _kill_group(pid: int) -> None:
    """Kill the child with verify_store's worker processes: they hold each other's queue
    pipes open, so a worker whose parent is gone would wait forever."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid or os.getpgid(0), signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    if pid == 0:
        os._exit(1)


def _child(data_dir: Path, conn: Connection, cancel: Any, parent: int) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a process group of its own: it and its workers end together
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    ws = Workspace(data_dir)
    try:

        def progress(done: int, total: int) -> bool:
            conn.send(("progress", done, total))
            return not cancel.is_set()

        report = review_store(ws, progress)
        conn.send(("report", report.verified, report.cancelled, report.problems))
        for at in range(0, len(report.records), CHUNK):
            conn.send(("records", report.records[at : at + CHUNK]))
        conn.send(("done",))
    except BaseException as exc:
        try:
            pickle.dumps(exc)
            conn.send(("error", exc))
        except Exception:
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        ws.close()
        conn.close()


def review_store_apart(
    data_dir: Path,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ReviewReport:
    """The same report as ``review_store(Workspace(data_dir), progress)``, computed in a
    child process; cancel (``progress`` returning False) reaches it as verify's own does.

    ``cancelled`` is asked between messages too: once it says so, the child has a second
    to stop on its own (it may be parsing the package, between two progress reports), then
    it is killed and the report says cancelled. Closing the window waits no longer.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    cancel = context.Event()
    # Not a daemon: verify_store starts worker processes of its own for big stores.
    child = context.Process(target=_child, args=(data_dir, send, cancel, os.getpid()), daemon=False)
    child.start()
    send.close()
    report = ReviewReport()
    deadline: float | None = None
    try:
        while True:
            if not receive.poll(0.1):
                if deadline is None and cancelled is not None and cancelled():
                    cancel.set()
                    deadline = time.monotonic() + 1.0
                if deadline is not None and time.monotonic() > deadline:
                    report.cancelled = True
                    return report
                continue
            try:
                message = receive.recv()
            except EOFError:
                raise RuntimeError("the verification process ended without a report") from None
            kind = message[0]
            if kind == "progress":
                if progress is not None and not progress(message[1], message[2]):
                    cancel.set()
            elif kind == "report":
                report.verified, report.cancelled, report.problems = message[1:]
            elif kind == "records":
                report.records.extend(message[1])
                # The records hold no reference cycles (refcounting frees them), but the
                # cyclic collector would walk every one of them in each full collection
                # while they keep arriving: 160 ms on 20,000 records, on whichever thread
                # allocates, the GUI thread included. Out of its sight they stay.
                gc.freeze()
            elif kind == "error":
                raise message[1]
            else:
                return report
    finally:
        receive.close()
        child.join(timeout=1 if deadline is not None else 30)
        if child.is_alive():
            if child.pid is not None:
                _kill_group(child.pid)
            child.kill()
            child.join()
