"""One cause, one line: a mistake is reported where it is made, not as the errors it causes
downstream (issue 14: `readings: []` gave twelve lines about editor's notes)."""

from __future__ import annotations

import pytest

from coursepack.config import load_yaml
from coursepack.errors import ReaderError, ReaderErrors
from coursepack.notes import check_readings, load_notes

from .conftest import REPO, copy_project, doit


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


def test_a_reader_without_readings_says_so_in_one_line(project):
    reader = project / "reader.yaml"
    text = reader.read_text(encoding="utf-8")
    start = text.index("\nreadings:\n")
    end = text.index("\n\n", start + 1)
    reader.write_text(text[:start] + "\nreadings: []" + text[end:], encoding="utf-8")
    result = doit(project, check=False)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "error: reader.yaml: readings: empty; list the YAML file of at least one reading"]
    assert not (project / "build").exists()


def test_a_reading_left_out_of_the_reader_is_one_line_for_all_its_notes():
    notes = load_notes(load_yaml(REPO / "sources" / "editor-notes.yaml"), "editor-notes.yaml")
    assert len([n for n in notes if n.reading == "freedman"]) > 3
    with pytest.raises(ReaderError) as caught:
        check_readings(notes, {"greene"}, "sources/editor-notes.yaml")
    [line] = str(caught.value).splitlines()
    assert line.startswith("sources/editor-notes.yaml: ")
    assert "for reading 'freedman', which the reader does not list (its readings: greene)" \
        in line


def test_collected_errors_are_one_line_each_and_never_nested():
    one = ReaderErrors([ReaderError("a.yaml", "x: wrong")])
    assert str(one) == "a.yaml: x: wrong"
    nested = ReaderErrors([ReaderError("r.yaml", "title: missing"),
                           ReaderErrors([ReaderError("s.yaml", "id: bad"),
                                         ReaderError("s.yaml", "raw: missing")])])
    assert str(nested).splitlines() == ["3 configuration errors:", "r.yaml: title: missing",
                                        "s.yaml: id: bad", "s.yaml: raw: missing"]
