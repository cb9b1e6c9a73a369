"""The one build date: every date written into an artifact derives from it.

SOURCE_DATE_EPOCH for a reader is the first of these that applies:

1. ``source_date_epoch`` in the reader's YAML (the editors pinned it);
2. ``SOURCE_DATE_EPOCH`` in the environment (an explicit override, e.g. rebuilding a release
   from a tarball without ``.git``: take the value from the release's manifest);
3. the committer time of the last git commit that touched any of the reader's inputs
   (``git log -1 --format=%ct -- <inputs>``, see ``reader_inputs``);
4. the reader's ``date`` at 00:00 UTC (no git: a tarball or a copied directory).

Rule 3 refuses to guess in a shallow clone whose oldest commit would be taken for the answer
(its real history is missing) and when git fails for any reason other than "not a repository".
Both are errors that say how to fix them, because a silent fallback would change the bytes.

Rule 3's answer is kept in ``build/.cache/`` (``kept_commit_time``) while the commit HEAD
names cannot have changed, so that a no-op build runs no git.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import time
from functools import cache
from pathlib import Path

from . import readercache
from .config import Reader
from .errors import ReaderError

PACKAGE = Path(__file__).resolve().parent
# Directories (relative to the project root) whose every file can change an artifact.
INPUT_DIRS = ("sources", "templates", "styles", "fonts", "filters")
INPUT_FILES = ("requirements.lock",)


def reader_inputs(reader: Reader) -> list[Path]:
    """Every file that affects the artifacts: the reader's files, its directories, the code."""
    root = reader.root
    files = {reader.path, *(root / f for f in INPUT_FILES if (root / f).is_file()),
             *package_files()}
    for name in INPUT_DIRS:
        files.update(_files_under(root / name))
    named = [reader.csl if reader.bibliography else None, reader.glossary,
             reader.bibliography, reader.editor_notes,
             *reader.part_files,
             *(p for r in reader.readings for p in (r.yaml_path, r.raw_path))]
    files.update(p for p in named if p is not None)
    return sorted(files, key=lambda p: label(p, root))


def package_files() -> list[Path]:
    """Every file of the package: its modules, its subpackages' (check/ …) and their data."""
    return _files_under(PACKAGE)


def label(path: Path, root: Path) -> str:
    """A path as the manifest names it: relative to the project root, POSIX separators.

    ``path`` and ``root`` are absolute and resolved (as ``reader_inputs`` and ``Reader`` give).
    """
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    if path.is_relative_to(PACKAGE):
        return f"coursepack/{path.relative_to(PACKAGE).as_posix()}"
    return path.name


def input_pathspecs(reader: Reader, inputs: list[Path] | None = None) -> tuple[str, ...]:
    """The inputs (``reader_inputs``, unless already listed) inside the project, as paths git
    understands from there."""
    return tuple(label(p, reader.root) for p in inputs or reader_inputs(reader)
                 if p.is_relative_to(reader.root))


def _files_under(folder: Path) -> list[Path]:
    """Every file under ``folder`` (or linked from it), leaving out hidden files and folders
    and __pycache__; linked folders are not entered."""
    found = []
    for top, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f != "__pycache__"]
        found += [path for f in files
                  if not f.startswith(".") and (path := Path(top, f)).is_file()]
    return found


def choose_epoch(configured: int | None, environment: str | None, git: int | None,
                 reader_date: str) -> tuple[int, str]:
    """Apply the rule above to values already read; return the epoch and where it came from."""
    if configured is not None:
        return configured, "reader.yaml source_date_epoch"
    if environment:
        try:
            return int(environment), "SOURCE_DATE_EPOCH environment variable"
        except ValueError:
            raise ReaderError("SOURCE_DATE_EPOCH", f"'{environment}' is not a whole number of "
                              "seconds; unset it or give e.g. 1795306205") from None
    if git is not None:
        return git, "last git commit touching the inputs"
    day = dt.date.fromisoformat(reader_date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()), \
        "reader date (no git history)"


def epoch_and_source(reader: Reader, inputs: list[Path] | None = None) -> tuple[int, str]:
    git = None
    if reader.source_date_epoch is None and not os.environ.get("SOURCE_DATE_EPOCH"):
        git = kept_commit_time(reader.root, input_pathspecs(reader, inputs))
    return choose_epoch(reader.source_date_epoch, os.environ.get("SOURCE_DATE_EPOCH"), git,
                        reader.date)


def build_epoch(reader: Reader, inputs: list[Path] | None = None) -> int:
    """SOURCE_DATE_EPOCH for this reader (see the module's rule); ``inputs``: its
    ``reader_inputs``, when already listed."""
    return epoch_and_source(reader, inputs)[0]


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run git in ``root``; None when git is not installed."""
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=60, check=False)
    except FileNotFoundError:
        return None


@cache
def git_commit_time(root: Path, pathspecs: tuple[str, ...]) -> int | None:
    """Committer time of the last commit touching ``pathspecs``; None outside a git work tree."""
    proc = git(root, "log", "-1", "--no-show-signature", "--format=%ct %P", "--",
               *(f":(literal){p}" for p in pathspecs))
    if proc is None or (proc.returncode != 0 and "not a git repository" in proc.stderr):
        return None
    if proc.returncode != 0:
        raise ReaderError(root, f"git log failed ({proc.stderr.strip()[:200]}); fix git here "
                          "or set SOURCE_DATE_EPOCH")
    if not proc.stdout.strip():
        return None  # a repository without a commit touching the inputs: as if no git
    stamp, *parents = proc.stdout.split()
    if not parents:
        shallow = git(root, "rev-parse", "--is-shallow-repository")
        if shallow is not None and shallow.stdout.strip() == "true":
            raise ReaderError(root, "a shallow git clone hides when the inputs last changed; "
                              "run `git fetch --unshallow` (CI: full history) or set "
                              "SOURCE_DATE_EPOCH")
    return int(stamp)


# In the git directories, what decides which commit HEAD names and what history `git log`
# walks from it: HEAD (per worktree), packed refs, a shallow clone's boundary, grafts,
# replace refs, and the configuration. The loose ref HEAD points to is added to these.
HEAD_FILES = ("HEAD",)
COMMON_FILES = ("packed-refs", "shallow", "info/grafts", "refs/replace", "config")
# Git settings in the environment that choose another repository or history: with any of
# them (or GIT_CONFIG…) set, git is asked every time.
GIT_REPOSITORY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
                      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_REPLACE_REF_BASE",
                      "GIT_NO_REPLACE_OBJECTS", "GIT_SHALLOW_FILE", "GIT_GRAFT_FILE",
                      "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
                      "GIT_NAMESPACE")


def _git_environment() -> bool:
    return any(name in GIT_REPOSITORY_ENV or name.startswith("GIT_CONFIG")
               for name in os.environ)


def git_state_files(root: Path) -> list[str] | None:
    """The files whose change can change ``git log``'s answer in ``root``, absolute; None
    outside a work tree, or with a ref storage (reftable) whose files say less."""
    proc = git(root, "rev-parse", "--absolute-git-dir", "--git-common-dir",
               "--symbolic-full-name", "HEAD")
    if proc is None or proc.returncode != 0 or len(proc.stdout.splitlines()) != 3:
        return None
    git_dir, common, head = proc.stdout.splitlines()
    common_dir = Path(root, common)  # relative to where git ran, when not absolute
    if (common_dir / "reftable").exists():
        return None
    files = [Path(git_dir, f) for f in HEAD_FILES] + [common_dir / f for f in COMMON_FILES]
    if head.startswith("refs/"):
        files.append(common_dir / head)  # the branch's loose ref (else in packed-refs)
    return [os.path.abspath(f) for f in files]


def kept_commit_time(root: Path, pathspecs: tuple[str, ...]) -> int | None:
    """``git_commit_time``, kept in ``build/.cache/`` with a stamp (readercache) of each of
    ``git_state_files``: used again while none has changed, for the same inputs."""
    if _git_environment():
        return git_commit_time(root, pathspecs)
    file = readercache.cache_file(root, "commit-time", "\0".join((str(root), *pathspecs)),
                                  ".json")
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        entry = json.loads(file.read_text(encoding="utf-8"))
        if entry["pathspecs"] == list(pathspecs) and type(entry["time"]) is int \
                and readercache.unchanged(entry["stamps"]):
            return entry["time"]
    started = time.time_ns()
    value = git_commit_time(root, pathspecs)
    # No git, or no commit touching the inputs: nothing to keep. A move of HEAD while git
    # ran changes a file after ``started``, and then nothing is kept either.
    if value is not None and (files := git_state_files(root)) is not None \
            and (stamps := readercache.settled_stamps(files, started)) is not None:
        readercache.keep(file, json.dumps({"pathspecs": list(pathspecs), "stamps": stamps,
                                           "time": value}))
    return value


def iso_timestamp(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
