"""Stale builds never: every input a task reads is a declared doit dependency (issue 14).

A private copy of the project (two editions, to keep it affordable) is built once. Each kind of
input is then edited in turn and doit itself says which tasks are out of date
(``doit list --status``); the edit is undone before the next one, so every case starts from a
built project. A few edits are built for real (``.  task`` lines are the tasks doit ran), and
one last build carries a marked edit of every kind at once and looks for each mark where a
reader would see it: the assembled Markdown, the text of every PDF (pypdfium2) and the EPUB.

A static check complements the edits: each task's file_dep holds every coursepack module its
action can import.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
import yaml

from .conftest import REPO, copy_project, doit

EDITIONS = ("a4", "letter")
PDFS = frozenset(f"pdf:{e}" for e in EDITIONS)
GREENE = frozenset({"clean_text:greene", "annotate:greene", "assemble"})
FREEDMAN = frozenset({"clean_text:freedman", "annotate:freedman", "assemble"})
ANNOTATE = frozenset({"annotate:greene", "annotate:freedman"})
CLEAN = frozenset({"clean_text:greene", "clean_text:freedman"})
EPUB = frozenset({"epub"})
RENDER = PDFS | EPUB
TREE = frozenset({"tree"})  # citations resolved and checked once, for every writer
BUILD_TASKS = CLEAN | ANNOTATE | {"assemble"} | TREE | RENDER

GREENE_YAML = "sources/why-putin-fights.yaml"
FREEDMAN_YAML = "sources/what-would-it-take-to-make-putin-feel-secure.yaml"


@dataclass(frozen=True)
class Edit:
    """One edit of one input: ``old`` replaced by ``new`` (or ``new`` appended when ``old`` is
    empty); ``stale``: the build tasks doit must then find out of date, and no others;
    ``reaches``: where ``mark`` must appear after a build ("reader.md", "pdf", "epub" for the
    EPUB's text, "epub-files" for any file in it)."""

    name: str
    path: str
    old: str
    new: str
    stale: frozenset[str]
    mark: str = ""
    reaches: tuple[str, ...] = ()

    def apply(self, project: Path) -> None:
        path = project / self.path
        data = path.read_bytes()
        if not self.old:
            path.write_bytes(data + self.new.encode())
            return
        old = self.old.encode()
        assert data.count(old) == 1, (self.path, self.old)
        path.write_bytes(data.replace(old, self.new.encode()))

    @property
    def ran(self) -> frozenset[str]:
        """The tasks a build runs: the stale ones, the tree when reader.md changes, and the
        writers when the tree does."""
        ran = set(self.stale) | (TREE if "reader.md" in self.reaches else set())
        if ran & TREE and {"pdf", "epub"} & set(self.reaches):
            ran |= RENDER
        return frozenset(ran)


SHOWN = ("reader.md", "pdf", "epub")  # a visible change in the text: everywhere a reader looks

EDITS = [
    # Each field group of a reading's YAML: its tasks, and through reader.md every output.
    Edit("reading-title", GREENE_YAML, "\ntitle: Why Putin fights\n",
         "\ntitle: Why Putin fights QX0101\n", GREENE, "QX0101", SHOWN),
    Edit("reading-venue", GREENE_YAML, "venue: TL;DRussia (", "venue: TL;DRussia QX0102 (",
         GREENE, "QX0102", SHOWN),
    Edit("reading-date", GREENE_YAML, "date_display: July 2022",
         "date_display: QX0103 July 2022", GREENE, "QX0103", SHOWN),
    Edit("reading-url", GREENE_YAML, "/p/why-putin-fights\n", "/p/why-putin-fights-qx0104\n",
         GREENE, "qx0104", SHOWN),
    Edit("reading-permissions", GREENE_YAML, "Samuel A. Greene. Reproduced",
         "Samuel A. Greene QX0105. Reproduced", GREENE, "QX0105", SHOWN),
    Edit("reading-authors", GREENE_YAML, "authors: [Samuel A. Greene]",
         "authors: [Samuel A. Greene, Anne QX0106]", GREENE, "QX0106", SHOWN),
    Edit("reading-rules", GREENE_YAML, "date: 27 July 2022", "date: 27 July 2022 QX0107",
         GREENE, "QX0107", SHOWN),
    Edit("reading-citations", GREENE_YAML,
         '"Indeed, Charap and Shapiro themselves acknowledge", key: charap2022talking}',
         '"Indeed, Charap and Shapiro themselves acknowledge", key: charap2022talking, '
         'locator: "QX0108"}', GREENE, "QX0108", SHOWN),
    Edit("other-reading", FREEDMAN_YAML, "venue: New Statesman", "venue: New Statesman QX0109",
         FREEDMAN, "QX0109", SHOWN),
    # A rule's reason reaches the audit only: the renders must not run again.
    Edit("rule-reason", GREENE_YAML, "reason: The essay's title,",
         "reason: The essay's QX0110 title,", GREENE, "QX0110", ("audit",)),
    # A rule set (use: [wordpress]): the readings that use it are cleaned again; the text
    # is the same, so nothing after the cleaning runs.
    Edit("rule-set", "coursepack/rulesets/wordpress.yaml", "The WordPress comment form and",
         "The WordPress QX0111 comment form and", frozenset({"clean_text:greene"}), "QX0111",
         ("audit",)),
    # The reader file: assembled into reader.md, and read by every render.
    Edit("reader-metadata", "reader.yaml", "subtitle: Regime security,",
         "subtitle: Regime QX0201 security,", {"assemble"} | TREE | RENDER, "QX0201", SHOWN),
    # The parts' Markdown.
    *(Edit(f"part-{name}", f"sources/editorial/{name}.md", "",
           f"\n\nQX02{i} closes this part.\n", frozenset({"assemble"}), f"QX02{i}", SHOWN)
      for i, name in enumerate(("introduction", "comparison", "questions", "colophon"), 11)),
    # The apparatus.
    Edit("bibliography", "sources/bibliography.json", "Catastrophe of Vladimir Putin: The",
         "Catastrophe QX0301 of Vladimir Putin: The", ANNOTATE | {"assemble"} | TREE,
         "QX0301", ("pdf", "epub")),
    Edit("glossary", "sources/glossary.yaml", "A formal commitment between states",
         "A formal QX0302 commitment between states", ANNOTATE | {"assemble"}, "QX0302",
         SHOWN),
    Edit("editor-notes", "sources/editor-notes.yaml", "In Greene's original post",
         "In Greene's original QX0303 post", ANNOTATE | {"assemble"}, "QX0303", SHOWN),
    # The citation style is read once, by the tree: a comment leaves the tree, and so every
    # output, as it was.
    Edit("csl", "styles/chicago-author-date.csl", "", "<!-- QX0304 -->\n", TREE),
    # Templates and stylesheets: each reaches the outputs made with it, and only those.
    Edit("reader-template", "templates/reader.md.j2", "**Source.**", "**Source QX0401.**",
         frozenset({"assemble"}), "QX0401", SHOWN),
    Edit("print-template", "templates/print.html", "$edition$ edition</p>",
         "$edition$ edition QX0402</p>", PDFS, "QX0402", ("pdf",)),
    Edit("print-css", "templates/print.css", "", '\n.editors::after { content: " QX0403"; }\n',
         PDFS, "QX0403", ("pdf",)),
    Edit("edition-css", "templates/edition.css.j2", "",
         '\n.titlepage .subtitle::after { content: " QX0404"; }\n', PDFS, "QX0404", ("pdf",)),
    Edit("apparatus-css", "templates/apparatus.css", "",
         '\n.source-note::after { content: " QX0405"; }\n', RENDER, "QX0405",
         ("pdf", "epub-files")),
    Edit("epub-css", "templates/epub.css", "", "\n/* QX0406 */\n", EPUB, "QX0406",
         ("epub-files",)),
    Edit("epub-metadata", "templates/epub-metadata.xml.j2", "{{ summary }}",
         "{{ summary }} QX0407", EPUB, "QX0407", ("epub-files",)),
    Edit("paragraph-numbers-css", "templates/paragraph-numbers.css", "",
         "\n/* QX0410 */\n", RENDER, "QX0410", ("epub-files",)),
    Edit("notes-filter", "filters/notes.lua", "", "\n-- QX0408\n", RENDER),
    Edit("foreign-filter", "filters/foreign.lua", "", "\n-- QX0412\n", RENDER),
    Edit("typography-filter", "filters/typography.lua", "", "\n-- QX0413\n", RENDER),
    Edit("epub-numbers-filter", "templates/epub-paragraph-numbers.lua", "", "\n-- QX0411\n",
         EPUB),
    Edit("backlinks-filter", "filters/backlinks.lua", "", "\n-- QX0409\n", RENDER),
]
# Edits checked for staleness only: they would break the build or change nothing visible.
STATUS_ONLY = [
    Edit("font", "fonts/CharisSIL-Italic.ttf", "", "\0\0\0\0", RENDER),  # and the EPUB's cover
    Edit("code-clean", "coursepack/clean.py", "", "\n# edited\n", CLEAN),
    Edit("code-textnorm", "coursepack/textnorm.py", "", "\n# edited\n", BUILD_TASKS),  # config
    Edit("code-render-pdf", "coursepack/render_pdf.py", "", "\n# edited\n", PDFS),
    Edit("code-cover", "coursepack/cover.py", "", "\n# edited\n", EPUB),
    Edit("code-check", "coursepack/check/pdf.py", "", "\n# edited\n", frozenset()),
]




def test_every_template_filter_and_style_has_an_edit_case():
    """A template, filter or citation style added later gets its own case here."""
    edited = {e.path for e in EDITS + STATUS_ONLY}
    files = {str(p.relative_to(REPO)) for folder in ("templates", "filters", "styles")
             for p in (REPO / folder).iterdir() if p.is_file()}
    assert files - edited == set()


# --------------------------------------------------------------------------- the project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A built copy of the project with two editions (A4 and US Letter)."""
    project = copy_project(tmp_path_factory.mktemp("deps") / "project")
    reader = project / "reader.yaml"
    data = yaml.safe_load(reader.read_text(encoding="utf-8"))
    kept = [e for e in data["editions"] if e["id"] in EDITIONS]
    text = reader.read_text(encoding="utf-8")
    text = text[:text.index("\neditions:")] + "\n" + yaml.safe_dump({"editions": kept})
    reader.write_text(text, encoding="utf-8")
    doit(project, "-n", "2")
    assert stale(project) == set()
    return project


def stale(project: Path) -> set[str]:
    """The build tasks doit finds out of date (R in ``doit list --status``)."""
    result = doit(project, "list", "--all", "--status", "--template", "{status} {name}")
    status = dict(reversed(line.split(" ", 1)) for line in result.stdout.splitlines())
    assert status.keys() >= BUILD_TASKS, result.stdout
    return {name for name in BUILD_TASKS if status[name] == "R"}


def ran(result) -> set[str]:
    """The tasks a doit run executed (``.  task``), not those it found up to date (``--``)."""
    return {line[3:].strip() for line in result.stdout.splitlines() if line.startswith(".  ")}


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def epub_members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as book:
        return {n: book.read(n).decode("utf-8") for n in book.namelist()
                if n.endswith((".xhtml", ".css", ".opf", ".ncx"))}


def compact(text: str) -> str:
    """Text without whitespace or soft hyphens: a mark is found however it was broken."""
    return re.sub(r"[\s\u00ad]+", "", text.replace("-\n", "").replace("-\r\n", ""))


def outputs(project: Path) -> dict[str, list[str]]:
    """What a reader sees, by kind of output: each text found there, compacted."""
    out = project / "build" / "putin-security"
    members = epub_members(out / "putin-security.epub")
    return {
        "reader.md": [compact((out / "reader.md").read_text(encoding="utf-8"))],
        "audit": [compact((out / "clean" / "greene.audit.md").read_text(encoding="utf-8"))],
        "pdf": [compact(pdf_text(out / f"putin-security-{e}.pdf")) for e in EDITIONS],
        "epub": [compact(re.sub(r"<[^>]+>", "", "".join(
            t for n, t in sorted(members.items()) if n.endswith("xhtml"))))],
        "epub-files": [compact("".join(members.values()))],
    }


def missing_marks(project: Path, edits: list[Edit]) -> list[str]:
    seen = outputs(project)
    return [f"{edit.name}: {edit.mark!r} not in {kind} #{i}"
            for edit in edits for kind in edit.reaches
            for i, text in enumerate(seen[kind]) if compact(edit.mark) not in text]


# --------------------------------------------------------------------------- each input


@pytest.mark.parametrize("edit", EDITS + STATUS_ONLY, ids=lambda e: e.name)
def test_an_edit_makes_exactly_the_tasks_that_read_it_out_of_date(project, edit):
    path = project / edit.path
    saved = path.read_bytes()
    edit.apply(project)
    try:
        assert stale(project) == edit.stale
    finally:
        path.write_bytes(saved)  # undone: the project is as built again (doit compares MD5s)


def test_a_built_project_has_not_even_a_group_task_to_run(project):
    """`pdf`, `clean_text` and `annotate` only gather their subtasks: up to date once those
    are, so that a no-op build starts no worker process to run an empty task (issue 13)."""
    result = doit(project, "list", "--status", "--template", "{status} {name}")
    status = dict(reversed(line.split(" ", 1)) for line in result.stdout.splitlines())
    assert {name: status[name] for name in ("pdf", "clean_text", "annotate")} == \
        {"pdf": "U", "clean_text": "U", "annotate": "U"}


def test_new_tool_versions_make_the_colophon_and_the_renders_out_of_date(project, tmp_path):
    """Tool versions are not files: the installed versions are a setting of the build."""
    fake = tmp_path / "weasyprint-99.0.dist-info"
    fake.mkdir()
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: weasyprint\nVersion: 99.0\n",
                                   encoding="utf-8")
    (fake / "RECORD").write_text("", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "doit", "list", "--all", "--status",
                             "--template", "{status} {name}"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    status = dict(reversed(line.split(" ", 1)) for line in result.stdout.splitlines())
    assert {n for n in BUILD_TASKS if status[n] == "R"} == {"assemble"} | PDFS


# --------------------------------------------------------------------------- built for real


@pytest.mark.parametrize("name", ["rule-reason", "rule-set", "epub-css", "csl"])
def test_an_edit_that_changes_one_output_runs_only_its_tasks(project, name):
    """A rule's reason changes the audit, not the text: the renders do not run (doit compares
    the cleaned text's and reader.md's MD5s); the EPUB's stylesheet runs the EPUB alone; a
    comment in the citation style remakes the tree, the same, and nothing after it."""
    edit = next(e for e in EDITS if e.name == name)
    path = project / edit.path
    saved = path.read_bytes()
    edit.apply(project)
    try:
        result = doit(project)
        assert ran(result) == edit.ran, result.stdout
        assert missing_marks(project, [edit]) == []
    finally:
        path.write_bytes(saved)
        doit(project)  # as built again, for the next test


def test_every_kind_of_edit_at_once_reaches_every_output_it_should(project):
    """One build for every edit: each mark is where a reader of that output looks (the issue's
    case: a reading's venue edited, then `doit`, left the PDFs and the EPUB unchanged)."""
    for edit in EDITS:
        edit.apply(project)
    result = doit(project, "-n", "2")
    assert ran(result) == set().union(*(e.ran for e in EDITS)), result.stdout
    assert missing_marks(project, EDITS) == []


# --------------------------------------------------------------------------- code


def _module_file(package: Path, module: str, level: int, here: Path) -> Path | None:
    """The file of a relative import (``from .x import`` in ``here``), inside ``package``."""
    base = here.parent
    for _ in range(level - 1):
        base = base.parent
    target = base.joinpath(*module.split(".")) if module else base
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.is_file() and candidate.is_relative_to(package):
            return candidate
    return None


def _imports(node: ast.AST, package: Path, here: Path) -> list[tuple[Path, set[str] | None]]:
    """The package modules ``node`` imports, each with the names taken from it (None: the
    whole module, as ``from . import forms`` takes it)."""
    found = []
    for item in ast.walk(node):
        if not isinstance(item, ast.ImportFrom):
            continue
        if item.level:
            module, level, origin = item.module, item.level, here
        elif (item.module or "").startswith("coursepack"):
            module, level = item.module.removeprefix("coursepack").lstrip("."), 1
            origin = package / "__init__.py"
        else:
            continue
        names = {a.name for a in item.names}
        if module is None:  # from . import forms, patterns
            found += [(f, None) for n in names if (f := _module_file(package, n, level, origin))]
        elif f := _module_file(package, module, level, origin):
            found.append((f, names))
    return found


def code_needed(package: Path, module: Path, names: set[str] | None = None,
                seen: set | None = None) -> set[Path]:
    """Every package module that using ``names`` of ``module`` (all of it when None) may
    import: its module-level imports, and the imports inside the functions those names call
    (a stage imports its modules inside the function that runs it)."""
    seen = set() if seen is None else seen
    key = (module, frozenset(names) if names is not None else None)
    if key in seen:
        return set()
    seen.add(key)
    tree = ast.parse(module.read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    roots = [n for n in tree.body if not isinstance(n, ast.FunctionDef)]  # classes too
    todo = list(functions) if names is None else [n for n in names if n in functions]
    reached: set[str] = set()
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        roots.append(functions[name])
        todo += [item.func.id for item in ast.walk(functions[name])
                 if isinstance(item, ast.Call) and isinstance(item.func, ast.Name)
                 and item.func.id in functions]
    needed = {module}
    for node in roots:
        for f, taken in _imports(node, package, module):
            needed |= code_needed(package, f, taken, seen)
    return needed


def task_actions(dodo: Path) -> dict[str, tuple[str, str]]:
    """task name -> (module, function) of the stage its action runs, read from dodo.py."""
    tree = ast.parse(dodo.read_text(encoding="utf-8"))
    where = {a.asname or a.name: node.module for node in tree.body
             if isinstance(node, ast.ImportFrom) for a in node.names}
    actions = {}
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)
               and n.name.startswith("task_")):
        for item in ast.walk(fn):
            if isinstance(item, ast.Tuple) and len(item.elts) == 2 \
                    and isinstance(item.elts[0], ast.Name) and item.elts[0].id == "run_action":
                stage = item.elts[1].elts[0].id
                actions[fn.name.removeprefix("task_")] = (where[stage], stage)
    return actions


def file_deps(project: Path) -> dict[str, set[str]]:
    """task -> its file_dep as paths relative to the project (``doit list --deps``)."""
    result = doit(project, "list", "--all", "--deps", "--template", "{name}")
    deps: dict[str, set[str]] = {}
    task = ""
    for line in result.stdout.splitlines():
        if line.startswith(" -  "):
            path = Path(line[4:].strip())
            deps[task].add(str(path.relative_to(project) if path.is_absolute() else path))
        elif line.strip():
            task = line.strip()
            deps[task] = set()
    return deps


def test_every_task_depends_on_all_the_code_its_action_can_run(tmp_path):
    project = copy_project(tmp_path / "project")
    package = project / "coursepack"
    deps = file_deps(project)
    actions = task_actions(project / "dodo.py")
    assert set(actions) >= {"clean_text", "annotate", "assemble", "pdf", "epub", "check",
                            "dist"}
    problems = []
    for task, (module, stage) in sorted(actions.items()):
        entry = package / f"{module.removeprefix('coursepack.').replace('.', '/')}.py"
        needed = {str(p.relative_to(project))
                  for p in code_needed(package, entry, {stage})}
        for name in [n for n in deps if n == task or n.startswith(f"{task}:")]:
            if not deps[name]:
                continue  # a group task: its subtasks carry the dependencies
            problems += [f"{name}: {m}" for m in sorted(needed - deps[name])]
    assert not problems, "missing from file_dep:\n" + "\n".join(problems)


def test_the_release_inputs_include_every_file_of_the_package():
    """dist's inputs (and the build date from git) cover the subpackages, not only
    coursepack/*.py."""
    from coursepack.config import load_reader
    from coursepack.dates import reader_inputs

    inputs = set(reader_inputs(load_reader(REPO / "reader.yaml")))
    package = REPO / "coursepack"
    files = {p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files - inputs == set()
    assert package / "check" / "pdf.py" in inputs
