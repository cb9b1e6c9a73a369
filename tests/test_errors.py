"""Bad input gets one clear line naming the file and the fix, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursepack.config import load_reader
from coursepack.errors import ReaderError
from coursepack.fsutil import read_text, write_atomic

from .conftest import copy_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=project,
                          capture_output=True, text=True, timeout=600)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith("error:")]


def assert_clean_failure(result, *fragments: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    lines = error_lines(result)
    assert lines, output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in {output}"
    return output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_malformed_yaml_names_file_line_and_column(project):
    edit(project / "sources" / "why-putin-fights.yaml", "id: greene", "id: [greene")
    result = build(project)
    assert_clean_failure(result, "sources/why-putin-fights.yaml:", "malformed YAML")
    assert not (project / "build").exists()


def test_unknown_key_suggests_the_right_one(project):
    edit(project / "reader.yaml", "subtitle:", "subtitel:")
    assert_clean_failure(build(project), "reader.yaml: subtitel: unknown key; did you mean "
                         "'subtitle'?")


def test_configuration_problems_are_reported_together(project):
    edit(project / "reader.yaml", "language: en-GB", "langauge: en-GB")
    edit(project / "sources" / "why-putin-fights.yaml", "action: title", "action: titel")
    edit(project / "sources" / "what-would-it-take-to-make-putin-feel-secure.yaml",
         "raw: what-would", "raw: missing-what-would")
    output = assert_clean_failure(build(project), "3 configuration errors",
                                  "did you mean 'language'?", "did you mean 'title'?",
                                  "does not exist")
    assert output.count("\n") < 12


def test_a_missing_raw_file_is_named(project):
    (project / "sources" / "why-putin-fights.txt").unlink()
    assert_clean_failure(build(project), "raw: 'why-putin-fights.txt' does not exist")


def test_a_source_that_is_not_utf8_names_the_byte_offset(project):
    raw = project / "sources" / "why-putin-fights.txt"
    data = raw.read_bytes()
    raw.write_bytes(data[:100] + b"\xe9" + data[100:])
    assert_clean_failure(build(project), "why-putin-fights.txt: not UTF-8",
                         "byte offset 100", "re-save the file as UTF-8")
    assert not (project / "build" / "putin-security" / "clean" / "greene.md").exists()


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "text.txt"
    path.write_bytes(b"\xef\xbb\xbfOne\r\nTwo\r\n")
    assert read_text(path) == "One\nTwo\n"


def test_an_empty_source_is_refused(project):
    (project / "sources" / "why-putin-fights.txt").write_text("\n\n", encoding="utf-8")
    assert_clean_failure(build(project), "raw text is empty")


def test_a_rule_that_matches_nothing_fails_the_build(project):
    edit(project / "sources" / "why-putin-fights.yaml", "line: Why Putin fights",
         "line: Why Putin fought")
    assert_clean_failure(build(project), "rule 'title'", "matches nothing")


def test_a_rule_set_rule_that_no_longer_fits_fails_the_build(project):
    # The comments run until "Leave a Reply"; without it, the set's block has no end.
    edit(project / "sources" / "why-putin-fights.txt", "Leave a Reply", "Leave a Comment")
    assert_clean_failure(build(project), "rule 'reader-comments'", "'until' marker",
                         "matches nothing")


def test_a_template_error_names_template_and_line(project):
    edit(project / "templates" / "reader.md.j2", "{{ essay.byline }}", "{{ essay.bylnie }}")
    output = assert_clean_failure(build(project), "reader.md.j2:", "bylnie")
    assert "doit" not in error_lines(build(project))[0]
    assert "object' has no attribute 'bylnie'" in output


def test_python_tags_in_yaml_are_refused(project):
    edit(project / "reader.yaml", "title: Why Putin Fights",
         "title: !!python/object/apply:os.system ['echo pwned']")
    assert_clean_failure(build(project), "reader.yaml:", "no !!python tags")


def test_a_path_that_escapes_the_project_is_refused(project):
    edit(project / "sources" / "why-putin-fights.yaml", "raw: why-putin-fights.txt",
         "raw: ../../../etc/passwd")
    assert_clean_failure(build(project), "points outside the project")


def test_an_unwritable_output_directory_is_reported(project):
    (project / "build").write_text("a file where the build directory should be")
    assert_clean_failure(build(project), "cannot write here")


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF old and complete")

    def interrupted(_fd):
        raise KeyboardInterrupt  # a kill arriving mid-write

    monkeypatch.setattr("coursepack.fsutil.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"%PDF new but never finished")
    assert target.read_bytes() == b"%PDF old and complete"
    assert list(tmp_path.iterdir()) == [target]


def test_load_reader_collects_errors_as_one_exception(project):
    edit(project / "reader.yaml", "version:", "versoin:")
    with pytest.raises(ReaderError) as caught:
        load_reader(project / "reader.yaml")
    assert "versoin: unknown key; did you mean 'version'?" in str(caught.value)
    assert "version: missing" not in str(caught.value)  # the suggestion says it already


def test_a_killed_build_leaves_no_truncated_pdf_and_the_next_build_recovers(project):
    """Kill doit in the middle of typesetting; the target is absent or whole, never cut short."""
    import signal
    import time

    assert build(project, "assemble").returncode == 0
    target = project / "build" / "putin-security" / "putin-security-a4.pdf"
    child = subprocess.Popen([sys.executable, "-m", "doit", "pdf:a4"], cwd=project,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)  # pandoc has run; WeasyPrint is laying out pages
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert not target.exists() or target.read_bytes().rstrip().endswith(b"%%EOF")
    result = build(project, "pdf:a4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_bytes().rstrip().endswith(b"%%EOF")
    assert not list(target.parent.glob("*.part"))


def test_a_missing_font_file_is_named(project):
    (project / "fonts" / "CharisSIL-Bold.ttf").unlink()
    assert_clean_failure(build(project), "templates/print.css: font file "
                         "../fonts/CharisSIL-Bold.ttf not found")
    assert not (project / "build" / "putin-security" / "putin-security-a4.pdf").exists()


# --- a fault no check anticipated: one line naming the file, never a traceback ------------


def test_an_unexpected_exception_in_a_stage_is_one_line_naming_the_file(capsys, monkeypatch):
    from coursepack.build import run_action
    from coursepack.errors import working_on

    def stage(reader_file: str, reading_id: str) -> None:
        with working_on("sources/why-putin-fights.yaml"):
            raise ValueError("bad\x00value\nand a second line")

    monkeypatch.delenv("COURSEPACK_DEBUG", raising=False)
    failed = run_action(stage, "reader.yaml", "greene")
    assert failed is not None
    err = capsys.readouterr().err
    assert err == ("error: sources/why-putin-fights.yaml: internal error while stage "
                   "'greene': ValueError: bad\\x00value and a second line; please report it "
                   "with this file (set COURSEPACK_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv("COURSEPACK_DEBUG", "1")
    with pytest.raises(ValueError):
        run_action(stage, "reader.yaml", "greene")


def test_without_a_finer_file_the_fault_names_the_reader_file(capsys, monkeypatch):
    from coursepack.build import or_exit

    def load_reader(path: str) -> None:
        raise KeyError("x")

    monkeypatch.delenv("COURSEPACK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as caught:
        or_exit(load_reader, "readers/r.yaml")
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith(
        "error: readers/r.yaml: internal error while reading the configuration: KeyError: 'x'")


_FAULTY_ANNOTATE = """
import sys
import coursepack.annotate

def annotate(*args):
    raise RuntimeError("no such paragraph")  # a bug met on this input

coursepack.annotate.annotate = annotate
from doit.doit_cmd import DoitMain
sys.exit(DoitMain().run(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_fault_inside_a_build_is_one_line_without_a_traceback(project, debug):
    env = {**os.environ, "COURSEPACK_DEBUG": debug}
    result = subprocess.run([sys.executable, "-c", _FAULTY_ANNOTATE, "annotate:greene"],
                            cwd=project, capture_output=True, text=True, timeout=600, env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    if debug:  # the developer's switch: the traceback, for a bug report
        assert "Traceback" in output and "no such paragraph" in output
        return
    assert "Traceback" not in output, output
    assert error_lines(result) == [
        "error: sources/why-putin-fights.yaml: internal error while annotating 'greene': "
        "RuntimeError: no such paragraph; please report it with this file (set "
        "COURSEPACK_DEBUG=1 for the traceback)"]
