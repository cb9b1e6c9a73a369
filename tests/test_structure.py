"""The reader's structure: the parts a reader file declares, the validation every reader gets
(all problems at once, naming the reader file and key), paths relative to the file that names
them, and a reader with only its metadata and readings built and checked end to end."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursepack.check.reader import chapter_phrase, plain_words
from coursepack.config import DEFAULT_CSL, load_reader
from coursepack.errors import ReaderError

from .conftest import REPO, copy_project, doit
from .test_build import epub_text, pdf_text

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "minimal"
MINIMAL_READING = "../sources/minimal/tasks.yaml"  # as readers/<x>.yaml names it


def add_minimal_reading(project: Path) -> None:
    """The test reading (tests/fixtures/minimal) in ``sources/minimal/`` of a project."""
    folder = project / "sources" / "minimal"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tasks.yaml", "tasks.txt"):
        shutil.copy(FIXTURES / name, folder / name)


def tiny_project(tmp_path: Path, reader: dict | str, where: str = "readers/r.yaml") -> Path:
    """A project with just what load_reader reads: dodo.py (the root), the test reading and a
    reader file at ``where``. Returns the reader file's path."""
    (tmp_path / "dodo.py").write_text("", encoding="utf-8")
    add_minimal_reading(tmp_path)
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    text = reader if isinstance(reader, str) else yaml.safe_dump(reader, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


METADATA = {"id": "r", "title": "A Reader", "editors": ["Ada Lovelace"], "language": "en",
            "date": "2026-01-15"}


def problems(path: Path) -> list[str]:
    with pytest.raises(ReaderError) as caught:
        load_reader(path)
    return [str(e) for e in getattr(caught.value, "errors", [caught.value])]


# --------------------------------------------------------------------------- the first reader


def test_the_first_reader_keeps_its_parts_and_order():
    reader = load_reader(REPO / "reader.yaml")
    assert [(p.generated or p.id, p.title) for p in reader.front_matter] == [
        ("contents", "Contents"), ("introduction", "Introduction")]
    assert [r.id for r in reader.readings] == ["greene", "freedman"]
    assert [(p.generated or p.id, p.title) for p in reader.back_matter] == [
        ("comparison", "Comparing the two positions"), ("questions", "Questions for discussion"),
        ("glossary", "Glossary"), ("bibliography", "Bibliography"),
        ("permissions", "Sources and permissions"), ("colophon", "Colophon")]


def test_no_chapter_title_is_written_in_the_template_or_the_code():
    from coursepack.config import GENERATED_TITLES

    template = (REPO / "templates" / "reader.md.j2").read_text(encoding="utf-8")
    code = {p: p.read_text(encoding="utf-8") for p in (REPO / "coursepack").rglob("*.py")}
    editors_titles = ["Introduction", "Comparing the two positions", "Questions for discussion"]
    assert not [t for t in [*editors_titles, *GENERATED_TITLES.values()] if t in template]
    assert not [(p.name, t) for p, text in code.items() for t in editors_titles
                if f'"{t}"' in text or f"# {t}" in text]
    # The generated parts' default titles are written once, where they are documented.
    assert [(p.name, t) for p, text in code.items() for t in GENERATED_TITLES.values()
            if f'"{t}"' in text] == [("config.py", t) for t in GENERATED_TITLES.values()]


# --------------------------------------------------------------------------- defaults


def test_a_reader_with_only_metadata_and_readings_gets_the_documented_defaults(tmp_path):
    reader = load_reader(tiny_project(tmp_path, {**METADATA, "readings": [MINIMAL_READING]}))
    assert reader.root == tmp_path.resolve()
    assert reader.front_matter == reader.back_matter == ()
    assert [(e.id, e.page_size, e.font_size_pt) for e in reader.editions] == [("a4", "A4", 10.5)]
    assert reader.version == "1.0"
    assert reader.description == reader.rights == reader.subtitle == ""
    assert reader.csl == (tmp_path / DEFAULT_CSL).resolve()  # only used with a bibliography
    assert reader.readings[0].date_display == "January 2026"  # from date: "2026-01"


def test_generated_parts_have_default_titles_and_ids(tmp_path):
    reader = load_reader(tiny_project(tmp_path, {
        **METADATA, "readings": [MINIMAL_READING],
        "front_matter": [{"generated": "contents", "title": "In this reader"}],
        "back_matter": [{"generated": "permissions"}, {"generated": "colophon"},
                        {"title": "Notes on the Text", "file": "../sources/minimal/tasks.txt"}]}))
    assert [(p.id, p.title) for p in reader.parts] == [
        ("contents", "In this reader"), ("permissions", "Sources and permissions"),
        ("colophon", "Colophon"), ("notes-on-the-text", "Notes on the Text")]


# --------------------------------------------------------------------------- paths


def test_a_reader_in_a_subfolder_names_its_readings_relative_to_itself(tmp_path):
    reader = load_reader(tiny_project(tmp_path, {**METADATA, "readings": [MINIMAL_READING]}))
    assert reader.readings[0].yaml_path == (tmp_path / "sources/minimal/tasks.yaml").resolve()
    assert reader.readings[0].raw_path == (tmp_path / "sources/minimal/tasks.txt").resolve()


def test_a_missing_path_says_what_it_is_relative_to(tmp_path):
    path = tiny_project(tmp_path, {**METADATA, "readings": ["sources/minimal/tasks.yaml"]})
    assert problems(path) == [
        "readers/r.yaml: readings[0]: 'sources/minimal/tasks.yaml' does not exist (looked for "
        "readers/sources/minimal/tasks.yaml; paths here are relative to readers/); check the "
        "path"]


def test_a_path_that_leaves_the_project_is_refused_from_a_subfolder_too(tmp_path):
    path = tiny_project(tmp_path, {**METADATA, "readings": [MINIMAL_READING],
                                   "editor_notes": "../../outside.yaml"})
    (tmp_path.parent / "outside.yaml").write_text("notes: []\n", encoding="utf-8")
    [line] = problems(path)
    assert line.startswith("readers/r.yaml: editor_notes: '../../outside.yaml' points outside "
                           "the "
                           "project (paths here are relative to readers/)")


def test_a_top_level_reader_says_paths_are_relative_to_the_project_folder(tmp_path):
    path = tiny_project(tmp_path, {**METADATA, "readings": ["sources/minimal/nope.yaml"]},
                        where="reader.yaml")
    [line] = problems(path)
    assert "relative to the project folder" in line


# --------------------------------------------------------------------------- validation


def test_every_problem_with_the_parts_is_reported_at_once_naming_file_and_key(tmp_path):
    path = tiny_project(tmp_path, {
        **METADATA, "date": "22 Nov 2026", "readings": [MINIMAL_READING], "editions": [],
        "front_matter": [{"title": "Intro", "file": "intro.md"}, {"generated": "contents"},
                         {"generated": "glosary"}],
        "back_matter": [{"generated": "glossary"}, {"generated": "glossary"},
                        {"title": "Tasks", "file": "../sources/minimal/tasks.txt"},
                        {"generated": "permissions", "file": "../sources/minimal/tasks.txt"}]})
    lines = problems(path)
    expected = [
        "front_matter[0].file: 'intro.md' does not exist",
        "front_matter[1]: the contents come first in the front matter",
        "front_matter[2].generated: unknown generated part 'glosary'; did you mean 'glossary'?",
        "back_matter[1]: a second glossary part (the first is back_matter[0])",
        "back_matter[0]: a generated glossary needs the terms file",
        "back_matter[2]: id 'tasks' clashes with the ids of reading 'tasks'",
        "back_matter[3].file: a generated permissions takes no file",
        "editions: empty",
        "date: '22 Nov 2026' is not a date",
    ]
    for fragment in expected:
        assert [line for line in lines if f"readers/r.yaml: {fragment}" in line], \
            (fragment, lines)
    assert len(lines) == len(expected), lines
    assert not [line for line in lines if "template" in line]


def test_a_glossary_or_bibliography_needs_a_part_to_appear_in(tmp_path):
    path = tiny_project(tmp_path, {**METADATA, "readings": [MINIMAL_READING],
                                   "glossary": "../sources/minimal/tasks.yaml",
                                   "bibliography": "../sources/minimal/tasks.yaml"})
    assert problems(path) == [
        "readers/r.yaml: glossary: the glossary needs a place in the reader: add "
        "'- {generated: glossary}' to back_matter (or front_matter)",
        "readers/r.yaml: bibliography: the bibliography needs a place in the reader: add "
        "'- {generated: bibliography}' to back_matter (or front_matter)",
        "readers/r.yaml: csl: missing, and the default style styles/chicago-author-date.csl is "
        "not in the project; name a CSL file or restore the default"]


def test_the_old_editorial_mapping_says_what_replaces_it(tmp_path):
    path = tiny_project(tmp_path, {**METADATA, "readings": [MINIMAL_READING], "editorial": {}})
    [line] = problems(path)
    assert line.startswith("readers/r.yaml: editorial: this mapping is gone: list the parts "
                           "under front_matter and back_matter")


def test_part_ids_never_clash_with_each_other_or_with_coursepack(tmp_path):
    path = tiny_project(tmp_path, {
        **METADATA, "readings": [MINIMAL_READING],
        "back_matter": [{"title": "Glossary", "file": "../sources/minimal/tasks.txt"},
                        {"generated": "glossary"},
                        {"title": "Refs", "file": "../sources/minimal/tasks.txt", "id": "refs"},
                        {"title": "Bad", "file": "../sources/minimal/tasks.txt", "id": "Bad!"}],
        "glossary": "../sources/minimal/tasks.yaml"})
    lines = problems(path)
    assert "readers/r.yaml: back_matter[1]: id 'glossary' is also the id of back_matter[0]; " \
           "give one of them its own id:" in lines
    assert "readers/r.yaml: back_matter[2]: id 'refs' is used by coursepack itself; give the " \
           "part another id:" in lines
    assert [line for line in lines if line.startswith("readers/r.yaml: back_matter[3].id: "
                                                      "'Bad!': use lowercase")]


# Any value where the reader file has a key: validation reports it or accepts it, never
# crashes (a crash would be a traceback, or an "internal error" line at build time).
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
    | st.sampled_from(["", " ", "x", "en", "2026-01-15", "../sources/minimal/tasks.yaml",
                       "contents", "glossary", "colophon", "../../etc/passwd", "A4"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["title", "file", "id", "generated", "short_title",
                                       "label", "page_size", "font_size_pt"]), inner,
                      max_size=4),
    max_leaves=8)
_KEYS = ["id", "title", "editors", "language", "date", "version", "readings", "front_matter",
         "back_matter", "editions", "csl", "glossary", "bibliography", "description",
         "rights", "keywords", "source_date_epoch", "subtitle", "editorial"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=4))
def test_any_reader_file_validates_or_gives_reader_errors_never_a_crash(tmp_path, changes):
    reader = {**METADATA, "readings": [MINIMAL_READING], **changes}
    path = tiny_project(tmp_path, reader, where=f"readers/r{abs(hash(repr(changes)))}.yaml")
    try:
        loaded = load_reader(path)
    except ReaderError as exc:
        assert all(line.startswith(f"readers/{path.name}: ")
                   for line in str(exc).splitlines()[1:] or [str(exc)]), str(exc)
    else:
        assert loaded.editions and loaded.readings and loaded.date
        assert loaded.title.strip() and loaded.language and all(loaded.editors)


# --------------------------------------------------------------------------- check's phrases


def test_a_short_first_paragraph_does_not_stop_the_check_from_finding_a_phrase():
    blocks = ["[]{#tasks-p1}I", "[]{#tasks-p2}H",
              "[]{#tasks-p3}ong Kong is burning, said the first line of the report."]
    assert plain_words(blocks[0]) is None  # the paragraph that crashed the check
    assert chapter_phrase(blocks, "Title") == "said the first line of the"


def test_chapter_phrases_look_further_then_shorter_then_take_the_title():
    assert chapter_phrase(["# Heading words that are not prose here", "I",
                           "Words of any script: Ça fait déjà très longtemps, voilà"],
                          "T") == "Ça fait déjà très longtemps"
    assert chapter_phrase(["1.", "Short line here.", "Two words"], "T") == "Short line here"
    assert chapter_phrase(["1.", "2.", "| a | table |"], "Numbers “only”") == "Numbers “only”"
    assert chapter_phrase([], "An empty part") == "An empty part"


# --------------------------------------------------------------------------- ids


def test_heading_ids_in_a_reading_are_unique_and_never_a_paragraphs():
    from coursepack.annotate import add_ids
    from coursepack.markdown import StageDoc

    doc, _ = add_ids("r", StageDoc({}, ["## Notes", "Text one.", "## Notes", "## P1",
                                        "## Глава"]))
    assert re.findall(r"\{#([^} ]+)[^}]*\}", "\n".join(doc.blocks)) == [
        "r-notes", "r-p1", "r-notes-2", "r-p1-heading", "r-section"]


def test_two_places_with_one_id_are_named_before_pandoc_sees_them():
    from coursepack.assemble import check_unique_ids

    check_unique_ids("# A {#a}\n\n[]{#a-p1}Text\n\n## B {#b}", "reader.yaml")
    with pytest.raises(ReaderError, match=r"^reader.yaml: two places in the reader get the id "
                                          r"'greene-p1'"):
        check_unique_ids("[]{#greene-p1}One\n\n## Notes {#greene-p1}", "reader.yaml")


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def minimal_project(tmp_path_factory) -> Path:
    """A copy of the project with the minimal reader at readers/minimal.yaml, built."""
    project = copy_project(tmp_path_factory.mktemp("minimal") / "project")
    add_minimal_reading(project)
    (project / "readers").mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "reader.yaml", project / "readers" / "minimal.yaml")
    (project / "tools").symlink_to(REPO / "tools")  # Ace, installed once for the repository
    doit(project, "reader=readers/minimal.yaml")
    return project


def test_a_minimal_reader_builds_a_pdf_and_an_epub(minimal_project):
    out = minimal_project / "build" / "minimal"
    for text in (pdf_text(out / "minimal-a4.pdf"), epub_text(out / "minimal.epub")):
        assert "A Minimal Reader" in text
        assert "Three tasks of a course reader" in text
        assert "the reader has to make them legible together" in text
        assert re.search(r"First published as “Three tasks of a course reader”, The "
                         r"coursepack test suite ?, January 2026", text)  # a date for people
    with zipfile.ZipFile(out / "minimal.epub") as book:
        opf = book.read("EPUB/content.opf").decode("utf-8")
    assert "<dc:description" not in opf and "<dc:rights" not in opf  # none given: none written
    assert not re.search(r"<dc:\w+[^>]*>\s*</dc:", opf)  # no empty element at all
    assert sorted(p.name for p in out.glob("*.pdf")) == ["minimal-a4.pdf"]  # default edition


def test_a_minimal_reader_passes_every_check(minimal_project):
    result = doit(minimal_project, "reader=readers/minimal.yaml", "check", check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "check: all checks passed on 2 artifacts" in output
    assert "Traceback" not in output


def test_a_reader_file_outside_the_project_or_missing_is_one_line(minimal_project, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(FIXTURES / "reader.yaml", outside)
    result = doit(minimal_project, f"reader={outside}", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().endswith("elsewhere.yaml: the reader file is outside this "
                                          "project; move it into the project folder (e.g. "
                                          "readers/) and build it from there")
    result = doit(minimal_project, "reader=readers/nope.yaml", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: readers/nope.yaml: no such reader file; check the "
                                     "name given as reader=...")


@pytest.fixture(scope="module")
def reshaped_project(tmp_path_factory) -> Path:
    """The first reader's texts in another shape: other titles and order, no short titles."""
    project = copy_project(tmp_path_factory.mktemp("reshaped") / "project")
    (project / "readers").mkdir(exist_ok=True)
    reader = yaml.safe_load((project / "reader.yaml").read_text(encoding="utf-8"))
    reader["id"] = "reshaped"
    reader["readings"] = [f"../{r}" for r in reversed(reader["readings"])]
    for key in ("csl", "bibliography", "glossary", "editor_notes"):
        reader[key] = f"../{reader[key]}"
    reader["front_matter"] = [{"generated": "contents", "title": "What is in it"},
                              {"title": "Before we begin", "id": "introduction",
                               "file": "../sources/editorial/introduction.md"}]
    reader["back_matter"] = [
        {"generated": "bibliography", "title": "Works cited"},
        {"title": "Questions", "file": "../sources/editorial/questions.md"},
        {"title": "The two positions side by side", "file": "../sources/editorial/comparison.md"},
        {"generated": "glossary", "title": "Terms"}]
    reader.pop("description"), reader.pop("rights")
    (project / "readers" / "reshaped.yaml").write_text(yaml.safe_dump(reader, sort_keys=False),
                                                       encoding="utf-8")
    doit(project, "reader=readers/reshaped.yaml", "epub")
    return project


@pytest.fixture(scope="module")
def reshaped(reshaped_project) -> Path:
    return reshaped_project / "build" / "reshaped"


def test_the_assembled_document_follows_the_reader_file(reshaped):
    text = (reshaped / "reader.md").read_text(encoding="utf-8")
    # An essay's heading carries its authors in a span hidden on the page (issue 11).
    headings = [(re.sub(r" \[— [^\]]*\]\{\.chapter-author\}", "", title), ident)
                for title, ident in re.findall(r"^# (.+?) \{#([a-z0-9-]+)", text, re.M)]
    assert headings == [
        ("Before we begin", "introduction"),
        ("What would it take to make Vladimir Putin feel secure?", "freedman"),
        ("Why Putin fights", "greene"), ("Works cited", "bibliography"),
        ("Questions", "questions"),
        ("The two positions side by side", "the-two-positions-side-by-side"),
        ("Terms", "glossary")]
    # Passage links and glossary marks work in any part; back-links name parts by title.
    assert "](#greene-p" in text.split("# The two positions side by side")[1]
    assert "{#use-regime-security-the-two-positions-side-by-side .glossref}" in text
    assert "[The two positions side by side](#use-" in text
    assert "toc-title: What is in it" in text
    assert "description:" not in text and "rights:" not in text


def test_the_epub_names_its_reference_landmarks_by_the_readers_titles(reshaped):
    with zipfile.ZipFile(reshaped / "reshaped.epub") as book:
        nav = book.read("EPUB/nav.xhtml").decode("utf-8")
    landmarks = nav[nav.index('epub:type="landmarks"'):]
    assert re.search(r'epub:type="glossary">Terms</a>', landmarks)
    assert re.search(r'epub:type="bibliography">Works cited</a>', landmarks)
    assert '<h1 id="toc-title">What is in it</h1>' in nav


def test_check_phrases_come_from_every_part_with_a_file(reshaped):
    from coursepack.check.reader import expected_texts

    reader = load_reader(reshaped.parent.parent / "readers" / "reshaped.yaml")
    phrases = expected_texts(reader)
    assert len(phrases) == 2 + 3  # two readings, three parts with a file
    text = epub_text(reshaped / "reshaped.epub")
    assert all(p in text for p in phrases)


def test_no_reader_build_prints_a_traceback_on_an_unreadable_part(reshaped_project):
    part = reshaped_project / "sources" / "editorial" / "questions.md"
    saved = part.read_bytes()
    part.write_bytes(b"\xff\xfe not UTF-8")
    try:
        result = doit(reshaped_project, "reader=readers/reshaped.yaml", "assemble",
                      check=False)
    finally:
        part.write_bytes(saved)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "sources/editorial/questions.md: not UTF-8" in result.stderr


def test_the_repository_reader_files_all_validate():
    for path in [REPO / "reader.yaml", *sorted((REPO / "readers").glob("*.yaml"))]:
        assert load_reader(path).readings, path
