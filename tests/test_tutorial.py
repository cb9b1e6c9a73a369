"""docs/first-reader.md is real: its files, written into a fresh project, build a reader.

Each ```yaml block starts with a comment naming its file; each ```text block that is a file
is preceded by ``<!-- file: path -->``; each ```sh block preceded by ``<!-- test: run -->`` is
run as written. Then the reader is loaded, cleaned and built, and the error the tutorial
quotes is the error a person gets.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from coursepack.clean import clean_text
from coursepack.config import load_reader
from coursepack.fsutil import read_text

from .conftest import REPO, copy_project, doit

TUTORIAL = REPO / "docs" / "first-reader.md"
BLOCK = re.compile(r"(?:<!-- (?P<marker>[^>]*) -->\n)?```(?P<kind>\w+)\n(?P<body>.*?)```", re.S)
READER = "readers/my-first-reader.yaml"


def blocks() -> list[tuple[str, str, str]]:
    return [(m.group("marker") or "", m.group("kind"), m.group("body"))
            for m in BLOCK.finditer(TUTORIAL.read_text(encoding="utf-8"))]


def files() -> dict[str, str]:
    out = {}
    for marker, kind, body in blocks():
        if kind == "yaml":
            first = body.split("\n", 1)[0]
            assert first.startswith("# "), f"a YAML block must name its file: {first}"
            out[first[2:].strip()] = body
        elif marker.startswith("file: "):
            out[marker[len("file: "):].strip()] = body
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("tutorial") / "project")
    for marker, kind, body in blocks():
        if kind == "sh" and marker == "test: run":
            subprocess.run(["bash", "-euc", body], cwd=project, check=True, timeout=60)
    for name, body in files().items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return project


def test_every_yaml_block_is_a_whole_file_that_parses():
    yaml_blocks = [body for _, kind, body in blocks() if kind == "yaml"]
    assert len(yaml_blocks) == 3
    for body in yaml_blocks:
        assert isinstance(yaml.safe_load(body), dict)


def test_the_readme_links_the_tutorial():
    assert "(docs/first-reader.md)" in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_tutorial_reader_loads_and_cleans_as_described(project):
    reader = load_reader(project / READER)
    assert [r.id for r in reader.readings] == ["reading-slowly", "use-of-spies"]
    post = reader.reading("reading-slowly")
    result = clean_text(post, read_text(post.raw_path))
    assert result.doc.metadata["title"] == "Notes on reading slowly"
    assert result.doc.blocks[0].startswith("How long does it take to read a page?")
    assert "## Three habits that help" in result.doc.blocks
    assert not any("Liked by" in b or "Leave a Reply" in b or "Share this" in b
                   for b in result.doc.blocks)
    book = reader.reading("use-of-spies")
    chapter = clean_text(book, read_text(book.raw_path))
    text = chapter.doc.text()
    assert chapter.doc.blocks[0] == "## Chapter XIII. THE USE OF SPIES"
    assert text.count("^[[[Translator’s note:]") == 2
    assert "Gutenberg" not in text


def test_the_error_the_tutorial_quotes_is_the_real_one(project):
    quoted = next(line for _, kind, body in blocks() if kind == "text"
                  for line in body.splitlines() if line.startswith("error: "))
    raw = project / "sources" / "my-first-reader" / "reading-slowly.txt"
    original = raw.read_text(encoding="utf-8")
    raw.write_text(original.replace("Like Loading...\n", ""), encoding="utf-8")
    try:
        result = doit(project, f"reader={READER}", "clean_text", check=False)
    finally:
        raw.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert quoted in result.stderr.splitlines(), result.stderr


def test_the_tutorial_reader_builds(project):
    doit(project, f"reader={READER}")
    out = project / "build" / "my-first-reader"
    assert (out / "my-first-reader.epub").is_file()
    assert sorted(p.name for p in out.glob("*.pdf"))
