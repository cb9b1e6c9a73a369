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
reader with a problem is never kept, so its errors are reported on every run. The stamps,
the freshness rule and the cache folder serve coursepack.dates too, which keeps the build
date's commit time the same way.

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


def unchanged(stamps: object) -> bool:
    """Every file is still as stamped (a stamp read back from JSON is a list)."""
    return isinstance(stamps, dict) and bool(stamps) and all(
        stamp(p) == (tuple(s) if s else None) for p, s in stamps.items())


def settled_stamps(paths: list[str], started: int) -> dict[str, Stamp] | None:
    """Each path's stamp; None when one changed after ``started`` (``time.time_ns()`` before
    the answer was worked out) or in the FRESH_NS before it: file times lag the clock by up
    to a tick, so a second change in the same tick could keep its times and size."""
    stamps = {p: stamp(p) for p in paths}
    if all(s is None or s[4] < started - FRESH_NS for s in stamps.values()):
        return stamps
    return None


def cache_file(project: Path, kind: str, key: str, suffix: str) -> Path:
    """Where one kept answer lives: ``build/.cache/<kind>-<hash of key><suffix>``."""
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"{kind}-{name}{suffix}"


def keep(file: Path, data: str | bytes) -> None:
    """Write a cache file; in a read-only build folder, keep nothing (the stages say why)."""
    with contextlib.suppress(ReaderError):
        write_atomic(file, data)


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
    if not unchanged(entry.get("stamps")):
        return None
    reader = entry.get("reader")
    return reader if isinstance(reader, Reader) else None


@cache
def project_reader(project: Path, path: str | Path) -> Reader:
    """The validated reader of a reader file of this project (``config.check_in_project``),
    from the cache while nothing it depends on changed."""
    check_in_project(project, path)
    reader_file = Path(path).resolve()
    file = cache_file(Path(project).resolve(), "reader", str(reader_file), ".pickle")
    if (reader := _kept(file, reader_file)) is not None:
        return reader
    started = time.time_ns()
    reader, looked_at = load_reader_and_inputs(path)
    paths = sorted({os.path.abspath(p) for p in looked_at} | set(_code_files()))
    if (stamps := settled_stamps(paths, started)) is not None:
        keep(file, pickle.dumps({"format": FORMAT, "python": sys.version,
                                 "reader_file": str(reader_file), "stamps": stamps,
                                 "reader": reader}, protocol=pickle.HIGHEST_PROTOCOL))
    return reader
