"""One build at a time in a checkout, and nothing left behind by one that was killed.

doit keeps its state in one file (``.doit.db``) and every stage writes fixed targets, so two
builds at once in one checkout would race. ``hold`` takes an exclusive lock on
``.doit.db.lock`` for the life of the doit process (the kernel drops it however the process
ends, even killed): a second build waits for the first, with one line saying so, and then
finds its work done. Holding the lock, it sweeps what killed builds left: temporary files
beside targets (``.<name>.<random>.part``) and the scratch folder ``build/.tmp``.

doit runs tasks in worker processes it forks (the default parallelism). A worker must not
outlive its build: killed with the build, an orphan worker would go on writing targets, or
wait for work that never comes while holding the lock, and the next build would wait for
ever. So a forked worker closes its copy of the lock (the build's process alone holds it)
and, on Linux, asks the kernel to kill it when the build's process ends (``prctl``
``PR_SET_PDEATHSIG``).

``scratch`` gives a stage a temporary folder under ``build/.tmp`` (WeasyPrint unpacks fonts
into one), so that a killed build's temporary files stay inside the project, where the next
build finds and removes them, and never touch another build's files in the machine's /tmp.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".doit.db.lock"
BUILD_DIRS = ("build", "dist")  # where targets and their temporary files are written
SCRATCH = Path("build") / ".tmp"
HOLDER = "COURSEPACK_BUILD_LOCK"  # set while held: processes the build starts do not wait
_held: list[int] = []  # the lock's file descriptor, open until the process ends
_forked_by: list[int] = []  # the pid of the process forking, set just before each fork
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def hold(root: Path) -> None:
    """Take the checkout's build lock (waiting for a running build), then sweep leftovers."""
    if _held or os.environ.get(HOLDER):
        return
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return  # a read-only checkout: nothing can be built, and the stages will say why
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("coursepack: another build is running in this checkout; waiting for it to "
              "finish", file=sys.stderr, flush=True)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except KeyboardInterrupt:
            raise SystemExit(130) from None
    _held.append(fd)
    os.environ[HOLDER] = str(os.getpid())
    os.register_at_fork(before=_before_fork, after_in_child=_in_worker)
    sweep(root)


def _before_fork() -> None:
    _forked_by[:] = [os.getpid()]


def _in_worker() -> None:
    """In a process forked by the build (a doit worker): the lock stays the build's, and the
    worker dies with the process that forked it."""
    while _held:
        os.close(_held.pop())
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != _forked_by[0]:  # it ended before the request was made
            os._exit(1)


def sweep(root: Path) -> list[Path]:
    """Remove what killed builds left (call only while holding the lock); return it."""
    removed = []
    for name in BUILD_DIRS:
        folder = root / name
        if folder.is_dir():
            for part in folder.rglob(".*.part"):
                if part.is_file():
                    part.unlink(missing_ok=True)
                    removed.append(part)
    scratch = root / SCRATCH
    if scratch.is_dir():
        for leftover in scratch.iterdir():
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


@contextlib.contextmanager
def scratch(root: Path) -> Iterator[Path]:
    """A temporary folder under build/.tmp, used by Python's tempfile while it is open and
    removed after; a killed build leaves it to the next build's sweep."""
    try:
        (root / SCRATCH).mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=root / SCRATCH))
    except OSError:
        yield Path(tempfile.gettempdir())  # build/ is not writable: the stage will say so
        return
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(folder, ignore_errors=True)
