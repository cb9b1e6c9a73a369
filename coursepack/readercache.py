"""The validated reader, kept between builds: a no-op `doit` does not validate it again.

dodo.py needs the reader on every run to list the tasks. Validating it (coursepack.config)
imports PyYAML, parses every YAML file the reader names and compiles every cleaning rule:
a fifth of a no-op build. So the validated ``Reader`` is kept in ``build/.cache/`` with a
stamp of every path the validation read or looked for (the reader file, each reading's YAML,
the rule sets, the raw texts and parts it checked exist, the dodo.py files that place the
project) and of the code that validated it (every coursepack module loaded, PyYAML, RE2).
A stamp is a file's type, size, inode, and modification and change times, or its absence.

The kept reader is used only when it was made for the same reader file, by the same Python,
and every stamp is unchanged; anything else validates again and keeps the new result. A
reader with a problem is never kept, so its errors are reported on every run.

The cache file is a pickle, written only here, in the build folder the build owns: the same
trust as the code beside it (dodo.py). A file that cannot be read back is simply replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import time
from functools import cache
from pathlib import Path

from .config import Reader, check_in_project, load_reader_and_inputs
from .errors import ReaderError
from .fsutil import write_atomic

CACHE_DIR = Path("build") / ".cache"
FORMAT = 1  # the cache file's layout; a new one makes every kept reader stale
# The packages whose code the kept result depends on: ours, PyYAML's parser and RE2's.
PACKAGES = ("coursepack", "yaml", "re2")

FRESH_NS = 2_000_000_000  # files changed this recently (2 s) before a validation: not kept
Stamp = tuple[int, int, int, int, int] | None


def stamp(path: str) -> Stamp:
    """What identifies this version of a file (through symbolic links); None when absent."""
    try:
        s = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.S_IFMT(s.st_mode), s.st_size, s.st_ino, s.st_mtime_ns, s.st_ctime_ns


def cache_file(project: Path, reader_file: Path) -> Path:
    """Where the reader of ``reader_file`` (absolute) is kept: one file per reader file."""
    name = hashlib.sha256(str(reader_file).encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"reader-{name}.pickle"


def _code_files() -> list[str]:
    """The source of every module that may have run the validation (loaded by now)."""
    return sorted(module.__file__ for name, module in list(sys.modules.items())
                  if name.partition(".")[0] in PACKAGES and getattr(module, "__file__", None))


def _kept(file: Path, reader_file: Path) -> Reader | None:
    """The kept reader, if it is still what validating the reader file would give."""
    try:
        entry = pickle.loads(file.read_bytes())
    except Exception:  # absent, or not a cache file of this version: validate again
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT \
            or entry.get("python") != sys.version or entry.get("reader_file") != str(reader_file):
        return None
    stamps = entry.get("stamps")
    if not isinstance(stamps, dict) or any(stamp(p) != s for p, s in stamps.items()):
        return None
    reader = entry.get("reader")
    return reader if isinstance(reader, Reader) else None


@cache
def project_reader(project: Path, path: str | Path) -> Reader:
    """``config.load_project_reader``, from the cache while nothing it depends on changed."""
    check_in_project(project, path)
    reader_file = Path(path).resolve()
    file = cache_file(Path(project).resolve(), reader_file)
    if (reader := _kept(file, reader_file)) is not None:
        return reader
    started = time.time_ns()
    reader, looked_at = load_reader_and_inputs(path)
    paths = sorted({os.path.abspath(p) for p in looked_at} | set(_code_files()))
    stamps = {p: stamp(p) for p in paths}
    # A file changed while it was read, or so recently that another change could keep its
    # times and size (file times lag the clock by up to a tick): validate again next time.
    if all(s is None or s[4] < started - FRESH_NS for s in stamps.values()):
        entry = {"format": FORMAT, "python": sys.version, "reader_file": str(reader_file),
                 "stamps": stamps, "reader": reader}
        with contextlib.suppress(ReaderError):  # a read-only build folder: the stages say so
            write_atomic(file, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
    return reader
