"""The validated reader kept between builds (coursepack.readercache) is never stale (issue 13).

A no-op `doit` takes the reader from ``build/.cache/`` instead of validating it again. These
tests edit, add and remove every kind of file the validation reads or looks for and check the
next reader says so; that a reader with a problem, or one whose files changed while it was
read, is never kept; and that every file the validation opens is among those it stamps. The
last test runs doit: its third listing of the tasks parses no YAML at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coursepack import readercache
from coursepack.config import load_reader
from coursepack.errors import ReaderError

from .conftest import REPO, copy_project, doit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "minimal"
TICK = 0.02  # longer than a file-time tick: an edit after it gets new file times


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny project: dodo.py, readers/minimal.yaml and its one reading. Files are kept as
    soon as they are validated (no 2 s freshness wait), as if written long before."""
    (tmp_path / "dodo.py").write_text("")
    (tmp_path / "readers").mkdir()
    shutil.copy(FIXTURES / "reader.yaml", tmp_path / "readers" / "minimal.yaml")
    (tmp_path / "sources" / "minimal").mkdir(parents=True)
    for name in ("tasks.yaml", "tasks.txt"):
        shutil.copy(FIXTURES / name, tmp_path / "sources" / "minimal" / name)
    monkeypatch.setattr(readercache, "FRESH_NS", 0)
    time.sleep(TICK)
    return tmp_path


def reader(project: Path, name: str = "readers/minimal.yaml"):
    """The reader as dodo.py gets it in a new doit run (no reader remembered in-process)."""
    return readercache.project_reader.__wrapped__(project, project / name)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def test_a_kept_reader_is_used_while_nothing_changed(project, monkeypatch):
    first = reader(project)
    assert list((project / "build" / ".cache").glob("reader-*.pickle"))

    def validate(*args):
        raise AssertionError("validated again, though nothing changed")

    monkeypatch.setattr(readercache, "load_reader_and_inputs", validate)
    assert reader(project) == first


# Each edit: the file, the text replaced, its replacement (same length where that matters:
# size alone must not decide), and what the next reader must show.
EDITS = {
    "reader file, same size": ("readers/minimal.yaml", "A Minimal Reader",
                               "A Maximal Reader", lambda r: r.title == "A Maximal Reader"),
    "reading's YAML": ("sources/minimal/tasks.yaml", "Three tasks of a course reader",
                       "Four tasks", lambda r: r.readings[0].title == "Four tasks"),
    "reading's rules": ("sources/minimal/tasks.yaml", "rules: []",
                        "rules: [{name: drop-x, reason: r, action: drop, line: x, optional: true}]",
                        lambda r: [x.name for x in r.readings[0].rules] == ["drop-x"]),
}


@pytest.mark.parametrize("case", EDITS)
def test_an_edit_of_a_file_it_read_is_seen(project, case):
    path, old, new, shows = EDITS[case]
    assert not shows(reader(project))
    time.sleep(TICK)
    edit(project / path, old, new)
    assert shows(reader(project))


def test_a_rule_set_it_read_is_followed(project):
    (project / "sources" / "minimal" / "mine.yaml").write_text(
        "rules:\n  - {name: drop-a, reason: r, action: drop, line: a, optional: true}\n")
    edit(project / "sources/minimal/tasks.yaml", "rules: []", "rules: []\nuse: [mine.yaml]")
    assert [r.name for r in reader(project).readings[0].rules] == ["drop-a"]
    time.sleep(TICK)
    edit(project / "sources/minimal/mine.yaml", "drop-a", "drop-b")
    assert [r.name for r in reader(project).readings[0].rules] == ["drop-b"]


def test_a_removed_file_it_looked_for_is_an_error_again(project):
    reader(project)
    (project / "sources" / "minimal" / "tasks.txt").unlink()
    with pytest.raises(ReaderError, match=r"raw: 'tasks\.txt' does not exist"):
        reader(project)


def test_a_part_file_written_then_removed_is_seen(project):
    """A part's file that does not exist is an error; once written, the reader is kept; once
    removed again, the error is back."""
    edit(project / "readers/minimal.yaml", "\nreadings:\n",
         "\nfront_matter:\n  - {title: Preface, file: preface.md}\nreadings:\n")
    with pytest.raises(ReaderError, match=r"preface\.md' does not exist"):
        reader(project)
    (project / "readers" / "preface.md").write_text("A preface.\n")
    assert [p.title for p in reader(project).front_matter] == ["Preface"]
    (project / "readers" / "preface.md").unlink()
    with pytest.raises(ReaderError, match=r"preface\.md' does not exist"):
        reader(project)


def test_a_linked_file_retargeted_is_seen(project):
    """The reading named through a symbolic link: pointing the link elsewhere is an edit."""
    folder = project / "sources" / "minimal"
    other = folder / "other.yaml"
    other.write_text((folder / "tasks.yaml").read_text().replace(
        "Three tasks of a course reader", "Other tasks"))
    (folder / "link.yaml").symlink_to("tasks.yaml")
    edit(project / "readers/minimal.yaml", "tasks.yaml", "link.yaml")
    assert reader(project).readings[0].title == "Three tasks of a course reader"
    (folder / "link.yaml").unlink()
    (folder / "link.yaml").symlink_to("other.yaml")
    assert reader(project).readings[0].title == "Other tasks"


def test_a_reader_with_a_problem_is_never_kept(project):
    edit(project / "readers/minimal.yaml", "language: en", "language: 12")
    for _ in range(2):
        with pytest.raises(ReaderError, match="language"):
            reader(project)
    assert not list((project / "build").glob(".cache/*"))


def test_files_changed_just_before_validation_are_not_kept(project, monkeypatch):
    """An edit in the same file-time tick as the validation could leave every stamp as it
    was: files changed in the 2 s before are validated again next time."""
    monkeypatch.setattr(readercache, "FRESH_NS", 2_000_000_000)
    (project / "readers" / "minimal.yaml").touch()
    reader(project)
    assert not list((project / "build").glob(".cache/*"))


def test_a_damaged_cache_file_is_replaced(project):
    first = reader(project)
    [kept] = (project / "build" / ".cache").glob("reader-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert reader(project) == first
    assert kept.read_bytes() != b"not a pickle"


def test_a_copied_project_is_validated_in_its_new_place(project, tmp_path_factory):
    reader(project)
    copy = tmp_path_factory.mktemp("copy") / "project"
    shutil.copytree(project, copy)  # the cache folder too, with the old times
    assert reader(copy).root == copy.resolve()


def test_a_change_of_its_code_is_seen(project, monkeypatch):
    """Every coursepack module loaded when it was kept is stamped: a new version of the code
    (here: of config.py) validates again."""
    reader(project)
    [kept] = (project / "build" / ".cache").glob("reader-*.pickle")
    stamps = readercache.pickle.loads(kept.read_bytes())["stamps"]
    config = str(Path(readercache.__file__).with_name("config.py"))
    assert config in stamps and any(p.endswith("yaml/__init__.py") for p in stamps)
    real = readercache.stamp
    monkeypatch.setattr(readercache, "stamp",
                        lambda p: None if p == config else real(p))
    validated = []
    monkeypatch.setattr(readercache, "load_reader_and_inputs",
                        lambda path: validated.append(path) or (load_reader(path), frozenset()))
    reader(project)
    assert validated


AUDIT = """
import json, os, sys
from coursepack.config import load_reader_and_inputs
opened = []
sys.addaudithook(lambda event, args: opened.append(args[0])
                 if event == "open" and isinstance(args[0], (str, os.PathLike)) else None)
reader, looked_at = load_reader_and_inputs(sys.argv[1])
print(json.dumps({"opened": sorted({os.path.abspath(p) for p in opened}),
                  "looked_at": sorted(os.path.abspath(p) for p in looked_at)}))
"""


@pytest.mark.parametrize("reader_file", ["reader.yaml", "readers/war-and-the-state.yaml"])
def test_every_file_the_validation_opens_is_stamped(reader_file):
    """A file read without being noted would let a kept reader go stale; code (.py) is
    stamped as code."""
    out = subprocess.run([sys.executable, "-c", AUDIT, reader_file], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    found = json.loads(out)
    data = [p for p in found["opened"] if not p.endswith((".py", ".pyc", ".so"))
            and not p.startswith(sys.base_prefix) and os.path.isfile(p)]
    assert data, "the audit saw no file opened"
    assert set(data) <= set(found["looked_at"]), set(data) - set(found["looked_at"])


def test_a_no_op_listing_parses_no_yaml(tmp_path):
    """The third run of doit in a project takes the reader from the cache: PyYAML is not
    even imported. (The first two validate: the copy's files are newer than 2 s.)"""
    project = copy_project(tmp_path / "project")
    time.sleep(2.1)
    doit(project, "list")
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "doit", "list"],
                         cwd=project, capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "coursepack.config" in imported and "yaml" not in imported
