"""Build the course reader: `doit` builds the PDF editions and the EPUB; `doit list` shows tasks.

This file only declares tasks; the work is done by the `coursepack` package. The reader file
is `reader.yaml` unless given as `doit reader=path/to/reader.yaml`.
"""

import os
from functools import cache
from pathlib import Path

from doit import get_var
from doit.tools import config_changed

from coursepack.assets import EPUB_TEMPLATES, PDF_TEMPLATES
from coursepack.build import (
    annotate_reading,
    annotated_path,
    assemble_reader,
    build_epub,
    build_pdf,
    build_tree,
    check_artifacts,
    clean_path,
    clean_reading,
    or_exit,
    page_map_path,
    paths,
    pdf_path,
    run_action,
)
from coursepack.buildlock import hold
from coursepack.dates import build_epoch, reader_inputs
from coursepack.dist import dist_targets, git_unchanged, make_dist
from coursepack.readercache import project_reader
from coursepack.report import BuildSummary
from coursepack.tools import (
    COLOPHON_TOOLS,
    EPUB_TOOLS,
    PDF_TOOLS,
    TREE_TOOLS,
    installed_versions,
)

# The PDF editions run in processes of their own, the EPUB once the page-list edition's page
# map is made: every core is used by default, up to four (each WeasyPrint layout holds its
# whole edition in memory); `-n 1` builds serially.
DOIT_CONFIG = {"default_tasks": ["pdf", "epub"], "verbosity": 1, "reporter": BuildSummary,
               "num_process": min(os.cpu_count() or 1, 4), "par_type": "process"}
READER_FILE = get_var("reader", "reader.yaml")
ROOT = Path(__file__).resolve().parent  # the project: nothing outside it is read
hold(ROOT)  # one build at a time in this checkout; sweeps what killed builds left
PKG = Path("coursepack")


def code(*modules: str) -> list[str]:
    """The package modules a stage runs: editing them re-runs the stage."""
    files = []
    # config reads the rules (rules, patterns, textshape, textnorm) of every reading, in every
    # task
    for m in ("config", "rules", "patterns", "textshape", "textnorm", "errors", "forms",
              "fsutil", "build", "report", "assets", "buildlock", *modules):
        package = PKG / m  # a stage split into a package: every module of it
        files += sorted(map(str, package.glob("*.py"))) if package.is_dir() else [f"{package}.py"]
    return files


def _reader():
    return or_exit(project_reader, ROOT, READER_FILE)  # validated, or as kept by the last run


@cache
def _inputs() -> list[Path]:
    """Every file that can change an artifact (coursepack.dates): the release's inputs."""
    return reader_inputs(_reader())


@cache
def _epoch() -> int:
    """SOURCE_DATE_EPOCH (coursepack.dates): when it changes, the artifacts are rendered again."""
    return or_exit(build_epoch, _reader(), _inputs())


@cache
def _tools(names: tuple[str, ...]) -> dict[str, str]:
    """The installed versions of the tools a task runs (coursepack.tools): not files, so a
    setting of the task; a new pandoc or WeasyPrint makes its outputs again."""
    return installed_versions(names)


def _group(creator) -> dict:
    """The group task of a task generator (`doit pdf` runs every edition). It has no actions
    of its own, so it is always up to date: else a no-op build starts a worker to run it."""
    return {"name": None, "doc": creator.__doc__.splitlines()[0], "uptodate": [True]}


APPARATUS_CODE = ("insert", "citations", "notes", "glossary")
# What importing coursepack.assemble runs (the EPUB's cover and the checks read its credits).
ASSEMBLE_CODE = ("assemble", "annotate", "markdown", "paragraphs", "citing", *APPARATUS_CODE)


def _apparatus_files(reader) -> list[str]:
    """The bibliography, glossary and editor's notes the reader names."""
    return [str(p) for p in (reader.bibliography, reader.glossary, reader.editor_notes) if p]


def task_clean_text():
    """Clean each reading's raw text into Markdown, with an audit of what was removed."""
    reader = _reader()
    yield _group(task_clean_text)
    for reading in reader.readings:
        md_out, audit_out = clean_path(reader, reading.id)
        yield {
            "name": reading.id,
            "doc": f"clean {reading.raw_path.name}",
            "actions": [(run_action, [clean_reading, READER_FILE, reading.id])],
            "file_dep": [str(reading.raw_path), str(reading.yaml_path),
                         *(str(s.path) for s in reading.rulesets),  # use: [gutenberg] …
                         *code("clean", "rules", "patterns", "textshape", "textnorm",
                               "markdown")],
            "targets": [str(md_out), str(audit_out)],
            "clean": True,
        }


def task_annotate():
    """Give each cleaned reading ids, citations, editor's notes and glossary links."""
    reader = _reader()
    yield _group(task_annotate)
    for reading in reader.readings:
        yield {
            "name": reading.id,
            "doc": f"annotate {reading.id}",
            "actions": [(run_action, [annotate_reading, READER_FILE, reading.id])],
            "file_dep": [str(clean_path(reader, reading.id)[0]), str(reading.yaml_path),
                         *_apparatus_files(reader),
                         *code("annotate", "markdown", "textnorm", "paragraphs",
                               *APPARATUS_CODE)],
            "targets": [str(p) for p in annotated_path(reader, reading.id)],
            "clean": True,
        }


def task_assemble():
    """Assemble the front matter, the readings and the back matter into one Markdown document."""
    reader = _reader()
    # The reader file (its parts, metadata), each part's Markdown, each reading's YAML (its
    # metadata goes into the source notes) and its annotated text.
    deps = [str(reader.path), *(str(p) for p in reader.part_files),
            str(paths(reader)["templates"] / "reader.md.j2")]
    for reading in reader.readings:
        deps += [str(reading.yaml_path), *(str(p) for p in annotated_path(reader, reading.id))]
    return {
        "actions": [(run_action, [assemble_reader, READER_FILE])],
        "file_dep": deps + _apparatus_files(reader)
        + code("assemble", "annotate", "markdown", "textnorm", "paragraphs", "citing",
               "safety", "pandoc",
               *APPARATUS_CODE),
        "targets": [str(paths(reader)["assembled"])],
        "uptodate": [config_changed({"tools": _tools(COLOPHON_TOOLS)})],  # the colophon's
        "clean": True,
    }


def task_tree():
    """Resolve the citations and check the assembled document once, for every output."""
    reader = _reader()
    deps = [str(paths(reader)["assembled"]), str(reader.path)]  # the language, bibliography
    if reader.bibliography:
        deps += [str(reader.csl), str(reader.bibliography)]
    return {
        "actions": [(run_action, [build_tree, READER_FILE])],
        "file_dep": deps + code("pandoc", "safety"),
        "targets": [str(paths(reader)["tree"])],
        "uptodate": [config_changed({"tools": _tools(TREE_TOOLS)})],
        "clean": True,
    }


def _render_deps(reader) -> list[str]:
    """What every writer reads: the checked document tree and the Lua filters."""
    deps = [str(paths(reader)["tree"]), "filters/notes.lua", "filters/foreign.lua",
            "filters/typography.lua"]
    if reader.bibliography:
        deps.append("filters/backlinks.lua")
    return deps + code("pandoc", "dates", "readercache", "safety")


def task_pdf():
    """Typeset each PDF edition (A4, US Letter, large print) with WeasyPrint."""
    reader = _reader()
    templates = paths(reader)["templates"]
    fonts = sorted(str(p) for p in Path("fonts").glob("*.ttf"))
    yield _group(task_pdf)
    for edition in reader.editions:
        yield {
            "name": edition.id,
            "doc": f"{edition.label} PDF",
            "actions": [(run_action, [build_pdf, READER_FILE, edition.id])],
            "file_dep": [*_render_deps(reader), *fonts, str(reader.path),
                         *(str(templates / t) for t in PDF_TEMPLATES),
                         *code("render_pdf", "weasyprint_rules", "syslibs", "pagemap", "textstream",
                               "paragraphs", "citing", "annotate", "markdown",
                               *APPARATUS_CODE)],
            # The page-list edition also writes the page map the EPUB's page list comes from.
            "targets": [str(p) for p in pdf_path(reader, edition.id)]
            + ([str(page_map_path(reader))] if edition.id == reader.page_list_edition else []),
            "uptodate": [config_changed({"edition": repr(edition), "epoch": _epoch(),
                                         "tools": _tools(PDF_TOOLS)})],
            "clean": True,
        }


def task_epub():
    """Convert the assembled document to EPUB 3 with pandoc, with the print edition's pages."""
    reader = _reader()
    templates = paths(reader)["templates"]
    p = paths(reader)
    return {
        "actions": [(run_action, [build_epub, READER_FILE])],
        # The page map (from pdf:<page_list_edition>): rebuilt only when the pages move.
        "file_dep": [*_render_deps(reader), str(reader.path), str(page_map_path(reader)),
                     *(str(templates / t) for t in EPUB_TEMPLATES),
                     *sorted(str(f) for f in Path("fonts").glob("*.ttf")),  # the cover's
                     *code("render_epub", "cover", "pagelist", "textstream", *ASSEMBLE_CODE)],
        "targets": [str(p["epub"]), str(p["epub_metadata"]), str(p["cover"])],
        "uptodate": [config_changed({"epoch": _epoch(), "tools": _tools(EPUB_TOOLS)})],
        "clean": True,
    }


def task_dist():
    """Write the release to dist/: versioned PDFs and EPUB, SHA256SUMS and a build manifest."""
    reader = _reader()
    built = [*(str(pdf_path(reader, e.id)[1]) for e in reader.editions), str(paths(reader)["epub"])]
    return {
        "actions": [(run_action, [make_dist, READER_FILE])],
        "file_dep": built + [str(p) for p in _inputs()],
        "targets": [str(p) for p in dist_targets(reader)],
        "uptodate": [config_changed({"epoch": _epoch()}), git_unchanged(reader)],
        "clean": True,
    }


def task_check():
    """Run every validator on every artifact: EPUBCheck, zip, links, Ace, calibre, PDF checks."""
    reader = _reader()
    artifacts = [str(paths(reader)["epub"]),
                 *(str(pdf_path(reader, e.id)[1]) for e in reader.editions)]
    return {
        "actions": [(run_action, [check_artifacts, READER_FILE])],
        # check/reader.py finds each part's words in the outputs (markdown, textnorm); the
        # credits and accessibility checks read the reader as render_pdf/epub and assemble do
        "file_dep": [*artifacts, str(page_map_path(reader)),
                     *code("check", "pagelist", "textstream", "render_pdf", "weasyprint_rules",
                           "render_epub", "pagemap", "pandoc", "safety", "dates", "readercache",
                           *ASSEMBLE_CODE)],
        "verbosity": 2,
    }
