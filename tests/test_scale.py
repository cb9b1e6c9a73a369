"""What a reader is made for: a reading far beyond it is warned about in one line, and builds."""

from __future__ import annotations

from coursepack.clean import FAR_BEYOND_WORDS, size_warning

from .conftest import copy_project, doit

LONG_READING = """id: long
raw: long.txt
title: A whole book
authors: [A. Author]
venue: Somewhere
date: "2022"
url: https://example.org/book
permissions: Public domain.
rules: []
"""
READER = """id: long-reader
title: A Long Reader
editors: [Mary Somerville]
language: en
date: "2026-01-15"
readings: [../sources/long.yaml]
"""


def test_the_warning_starts_far_beyond_what_a_reader_is_made_for():
    assert size_warning(["word " * FAR_BEYOND_WORDS]) is None
    warning = size_warning(["word " * 100_000, "two more"])
    assert warning is not None and "\n" not in warning
    assert warning.startswith("the cleaned text has 100,002 words (about 166 A4 pages); a "
                              "reader is made for readings of up to about 20,000 words")


def test_a_reading_far_beyond_it_gets_one_warning_line_naming_its_file_and_builds(tmp_path):
    project = copy_project(tmp_path / "project")
    paragraph = ("The same long paragraph of an imagined book, repeated to make the reading "
                 "far longer than a course reader is made for, with words enough to fill it. ")
    words = len(paragraph.split())
    (project / "sources" / "long.txt").write_text(
        "\n\n".join([paragraph * 4] * (FAR_BEYOND_WORDS // (4 * words) + 10)), encoding="utf-8")
    (project / "sources" / "long.yaml").write_text(LONG_READING, encoding="utf-8")
    (project / "readers" / "long.yaml").write_text(READER, encoding="utf-8")
    result = doit(project, "reader=readers/long.yaml", "clean_text")
    [line] = result.stderr.splitlines()
    assert line.startswith("warning: sources/long.yaml: the cleaned text has 10")
    assert "keep only what the course reads" in line
    assert (project / "build" / "long-reader" / "clean" / "long.md").is_file()
    # The example readers are well within it: no warning.
    assert doit(project, "clean_text").stderr == ""
    assert doit(project, "reader=readers/war-and-the-state.yaml", "clean_text").stderr == ""
