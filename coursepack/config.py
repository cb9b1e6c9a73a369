"""Configuration: the reader's and each reading's YAML, read and validated once into typed objects.

Every problem found is collected and reported together (``file: key: what is wrong``), so a
person fixes a configuration in one pass rather than one error per run.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from . import forms
from .errors import ReaderError, ReaderErrors
from .fsutil import read_text
from .rules import (  # noqa: F401  (Rule, Attribution: part of this module's interface)
    Attribution,
    Problems,
    Rule,
    RuleSet,
    check_mapping,
    check_rule_list,
    close_match,
    merge_rules,
    parse_rule,
    parse_ruleset,
    shipped_ruleset,
    shipped_rulesets,
)
from .textshape import DELIMITERS, EM_DASH_FORMS, NOTE_FORMS, SHAPES, Markup


@dataclass(frozen=True)
class Repost:
    """The copy of an essay the raw text was taken from, when it is not the original."""

    title: str
    url: str
    date: str = ""


@dataclass(frozen=True)
class Citation:
    """A citation placed after an exact phrase of a reading."""

    phrase: str
    key: str
    locator: str = ""


@dataclass(frozen=True)
class Foreign:
    """Words in another language than the reader's, wherever they occur (WCAG 3.1.2)."""

    phrase: str
    lang: str  # a BCP 47 language tag: fr, de, la


@dataclass(frozen=True)
class Reading:
    """One reading (an essay, or chapters of a book): its raw text, metadata, how to clean it."""

    id: str
    yaml_path: Path
    raw_path: Path
    title: str
    short_title: str
    dek: str
    authors: tuple[str, ...]
    venue: str
    date: str
    date_display: str
    url: str
    permissions: str
    rules: tuple[Rule, ...]
    citations: tuple[Citation, ...] = ()
    repost: Repost | None = None
    key: str = ""
    shape: str = "lines"  # "lines": one paragraph per line; "paragraphs": hard-wrapped
    hyphenated: bool = False  # paragraphs: words are broken at line ends with a hyphen
    markup: Markup = field(default_factory=Markup)
    notes_label: str = ""  # the source's own [n] notes, labelled so; "" when not declared
    notes_form: str = NOTE_FORMS[0]  # how the source writes a note block
    rulesets: tuple[RuleSet, ...] = ()
    work: str = ""  # the book the reading is taken from
    translators: tuple[str, ...] = ()
    short_author: str = ""  # for running heads and back-links, when not the surnames
    paragraph_numbers: bool = True  # show ¶ numbers (coursepack.paragraphs)
    foreign: tuple[Foreign, ...] = ()  # phrases in another language, marked with their tag

    @property
    def author_surnames(self) -> str:
        if self.short_author:
            return self.short_author
        names = [a.split()[-1] for a in self.authors]
        return " and ".join(names)


@dataclass(frozen=True)
class Edition:
    """One PDF edition: page size and body text size."""

    id: str
    label: str
    page_size: str
    font_size_pt: float


# The parts coursepack writes itself, with the title each gets unless the reader gives one.
GENERATED_TITLES = {"contents": "Contents", "glossary": "Glossary",
                    "bibliography": "Bibliography", "permissions": "Sources and permissions",
                    "colophon": "Colophon"}
# The edition a reader gets when it lists none.
DEFAULT_EDITION = {"id": "a4", "label": "A4", "page_size": "A4", "font_size_pt": 10.5}
DEFAULT_VERSION = "1.0"
# The citation style used with a bibliography when the reader names none (project-relative).
DEFAULT_CSL = "styles/chicago-author-date.csl"


@dataclass(frozen=True)
class Part:
    """One part of the front or back matter, in the reader's order.

    ``generated`` is empty for the editors' own Markdown (``file``), else the kind of part
    coursepack writes (contents, glossary, bibliography, permissions, colophon); a colophon
    may also have a ``file`` shown above its table of tool versions. ``key`` is where the
    part is declared (``back_matter[2]``), for messages.
    """

    id: str
    title: str
    key: str
    file: Path | None = None
    generated: str = ""
    short_title: str = ""  # how the glossary's back-links name the part (default: the title)


@dataclass(frozen=True)
class Reader:
    """A whole course-pack reader: metadata, readings in order, front and back matter, editions.
    """

    path: Path
    root: Path
    id: str
    title: str
    subtitle: str
    editors: tuple[str, ...]
    language: str
    identifier: str
    date: str
    version: str
    description: str
    keywords: tuple[str, ...]
    rights: str
    readings: tuple[Reading, ...]
    front_matter: tuple[Part, ...]
    back_matter: tuple[Part, ...]
    editions: tuple[Edition, ...]
    csl: Path
    glossary: Path | None = None
    bibliography: Path | None = None
    editor_notes: Path | None = None
    source_date_epoch: int | None = None
    build_dir: Path = field(default=Path("build"))
    page_list_edition: str = ""  # the edition whose pages the EPUB's page list gives

    @property
    def page_source(self) -> Edition:
        """The PDF edition the EPUB's page-break markers and page list follow."""
        return next(e for e in self.editions if e.id == self.page_list_edition)
    # Words never hyphenated (names), and words hyphenated only where the hyphens say.
    never_hyphenate: tuple[str, ...] = ()
    hyphenation_exceptions: tuple[str, ...] = ()

    def reading(self, reading_id: str) -> Reading:
        for reading in self.readings:
            if reading.id == reading_id:
                return reading
        raise KeyError(reading_id)

    @property
    def parts(self) -> tuple[Part, ...]:
        """The front and back matter, in order."""
        return self.front_matter + self.back_matter

    def part(self, generated: str) -> Part | None:
        """The generated part of this kind, if the reader has one."""
        return next((p for p in self.parts if p.generated == generated), None)

    @property
    def part_files(self) -> list[Path]:
        """Every Markdown file the front and back matter name."""
        return [p.file for p in self.parts if p.file is not None]

    @property
    def out(self) -> Path:
        """Where this reader's build products go."""
        return self.root / self.build_dir / self.id


# English month names, fixed (not the machine's locale), so every build prints the same.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_ISO_DATE = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")


def display_date(date: str) -> str:
    """A date as precise as it is known, for readers: 2022-07-29 -> 29 July 2022, 2022-12 ->
    December 2022. Anything not an ISO date ("c. 500 BC") is shown as written."""
    match = _ISO_DATE.fullmatch(date.strip())
    if not match:
        return date
    year, month, day = match.groups()
    return " ".join(p for p in (str(int(day)) if day else "",
                                MONTHS[int(month) - 1] if month else "", year) if p)


# --- what the validation depends on ------------------------------------------------------

# Every path the validation reads or looks for, while ``load_reader_and_inputs`` listens: the
# reader kept between builds (coursepack.readercache) is used only while each is unchanged.
_looked_at: ContextVar[set[Path] | None] = ContextVar("looked_at", default=None)


def _look(path: Path) -> Path:
    """Note that the validation depends on ``path``: its contents, or whether it exists."""
    if (seen := _looked_at.get()) is not None:
        seen.add(Path(path))
    return path


def load_reader_and_inputs(path: str | Path) -> tuple[Reader, frozenset[Path]]:
    """``load_reader`` (validated afresh), with every path the validation read or looked for."""
    token = _looked_at.set(set())
    try:
        reader = load_reader.__wrapped__(path)
        return reader, frozenset(_looked_at.get() or ())
    finally:
        _looked_at.reset(token)


# --- YAML loading -------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no Python tags); syntax errors name file, line and column.

    PyYAML is imported here, not at the top: a no-op build reads the validated reader from
    its cache (coursepack.readercache) and parses no YAML. libyaml's parser is used when
    PyYAML was built with it (its wheels are): the pure-Python one is several times slower.
    """
    import yaml

    fast_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = read_text(_look(path))
    try:
        try:
            data = yaml.load(text, Loader=fast_loader)  # a safe loader: no Python tags
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # the error again, in PyYAML's own words
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ReaderError(where, f"{exc.problem}; only plain YAML data is allowed "
                          "(no !!python tags)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ReaderError(where, f"malformed YAML: {problem}; fix the syntax there") from None
    if found := forms.value_problem(data):
        raise ReaderError(path, f"{found[0]}: {found[1]}")
    return data


class _Collector:
    """Collects validation errors for one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[ReaderError] = []

    def add(self, key: str, message: str) -> None:
        prefix = f"{key}: " if key else ""
        self.errors.append(ReaderError(self.path, prefix + message))

    def mapping(self, data: Any, where: str, required: dict[str, type],
                optional: dict[str, type]) -> dict[str, Any]:
        """Check a mapping's keys and value types (rules.check_mapping); return its usable
        part ({} when it is not a mapping). A null is left out too: later checks and defaults
        see only values of the right type."""
        return {k: v for k, v in check_mapping(self, data, where, required, optional).items()
                if v is not None}

    def path_in_project(self, value: Any, where: str, root: Path, base: Path) -> Path | None:
        """Resolve a path named in YAML relative to ``base`` (the folder of the file that names
        it); it must stay inside the project (``root``) and name an existing file."""
        if not isinstance(value, str) or not value:
            return None
        relative_to = _folder(base, root)
        try:
            resolved = _look((base / value).resolve())
            _look(base / value)  # through a symbolic link, as written: its target may change
            resolved.is_file()  # a name too long for the file system, a NUL: not a path at all
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.add(where, f"'{value[:80]}' is not a usable path ({reason}); check the path")
            return None
        if not resolved.is_relative_to(root.resolve()):
            self.add(where, f"'{value}' points outside the project (paths here are relative to "
                     f"{relative_to}); keep every input inside the project folder")
            return None
        if not resolved.is_file():
            what = "is a folder, not a file" if resolved.is_dir() else "does not exist"
            self.add(where, f"'{value}' {what} (looked for {_rel(resolved, root)}; paths here "
                     f"are relative to {relative_to}); check the path")
            return None
        return resolved


def _list(value: Any) -> list:
    """A list-valued key's items; a value of another type (already reported) gives none."""
    return value if isinstance(value, list) else []


def _folder(base: Path, root: Path) -> str:
    """How a message names the folder paths are relative to: "readers/", "the project folder"."""
    rel = _rel(base, root)
    return "the project folder" if rel in ("", ".") else f"{rel}/"


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --- readings -----------------------------------------------------------------------------

_READING_REQUIRED = {"id": str, "raw": str, "title": str, "authors": list,
                     "permissions": str, "rules": list}
_READING_OPTIONAL = {"short_title": str, "dek": str, "venue": str, "date": (str, int),
                     "date_display": str, "url": str, "repost": dict, "citations": list,
                     "key": str, "use": list, "shape": str, "hyphenated": bool,
                     "markup": dict, "notes": dict, "work": str, "translators": list,
                     "short_author": str, "paragraph_numbers": bool, "foreign": list}


def _markup(c: _Collector, data: Any) -> Markup:
    d = c.mapping(data, "markup", {}, {"italic": str, "bold": str, "em_dash": str})
    for key in ("italic", "bold"):
        if d.get(key) is not None and d[key] not in DELIMITERS:
            c.add(f"markup.{key}", f"'{d[key]}' is not a delimiter this tool knows; use one "
                  f"of {' '.join(DELIMITERS)}")
    if d.get("italic") and d.get("italic") == d.get("bold"):
        c.add("markup", "italic and bold need different delimiters")
    if d.get("em_dash") is not None and d["em_dash"] not in EM_DASH_FORMS:
        c.add("markup.em_dash", f"use one of {', '.join(EM_DASH_FORMS)}")
    return Markup(d.get("italic"), d.get("bold"), d.get("em_dash"))


def _rulesets(c: _Collector, names: list, reading_path: Path, root: Path
              ) -> tuple[list[RuleSet], list[ReaderError]]:
    """The rule sets of ``use:``: shipped ones by name, others by path from the reading."""
    sets, errors = [], []
    for i, item in enumerate(names):
        name, skip = item, []
        if isinstance(item, dict):
            u = c.mapping(item, f"use[{i}]", {"set": str}, {"except": list})
            name, skip = u.get("set"), u.get("except") or []
        if not isinstance(name, str) or not name:
            c.add(f"use[{i}]", "expected a rule set's name (gutenberg), a path to one, or "
                  "{set: name, except: [rule names]}")
            continue
        path = shipped_ruleset(name)
        if path is None:  # a path of the user's own
            path = c.path_in_project(name, f"use[{i}]", root, reading_path.parent)
            if path is None:
                continue
        elif len(name) > 100 or not _look(path).is_file():
            c.add(f"use[{i}]", f"no rule set '{name[:100]}'; the shipped sets are "
                  f"{', '.join(shipped_rulesets())} (a path of your own needs a / or .yaml)")
            continue
        where = _relpath(path, root)
        p = Problems()
        try:
            ruleset = parse_ruleset(p, load_yaml(path), path.stem, path)
        except ReaderError as exc:
            errors.append(exc)
            continue
        errors += [ReaderError(where, f"{key}: {message}" if key else message)
                   for key, message in p.items]
        if ruleset and not p.items:
            names_in_set = {r.name for r in ruleset.rules}
            for rule_name in skip:
                if not isinstance(rule_name, str) or rule_name not in names_in_set:
                    c.add(f"use[{i}].except", f"rule set '{name}' has no rule '{rule_name}'; "
                          f"its rules are {', '.join(sorted(names_in_set))}")
            sets.append(replace(ruleset, rules=tuple(r for r in ruleset.rules
                                                     if r.name not in skip)))
    return sets, errors


def load_reading(path: Path, root: Path) -> tuple[Reading | None, list[ReaderError]]:
    """Read and validate one reading's YAML; return it with every problem found."""
    c = _Collector(_relpath(path, root))
    data = load_yaml(path)
    d = c.mapping(data, "", _READING_REQUIRED, _READING_OPTIONAL)
    raw = c.path_in_project(d.get("raw"), "raw", root, path.parent)
    p = Problems()
    own = [r for i, item in enumerate(_list(d.get("rules")))
           if (r := parse_rule(p, item, f"rules[{i}]")) is not None]
    sets, set_errors = _rulesets(c, d.get("use") or [], path, root)
    rules = tuple(merge_rules(sets, own))
    check_rule_list(p, list(rules))
    for key, message in p.items:
        c.add(key, message)
    shape = d.get("shape") or "lines"
    if shape not in SHAPES:
        c.add("shape", f"unknown shape '{shape}'; use lines (one paragraph per line) or "
              "paragraphs (hard-wrapped, a blank line between paragraphs)")
    for rule in rules:
        if rule.unit == "line" and shape != "paragraphs":
            c.add("rules", f"rule '{rule.name}': unit: line is for a hard-wrapped text "
                  "(shape: paragraphs); in a text of lines every unit is a line already")
    if d.get("hyphenated") and shape != "paragraphs":
        c.add("hyphenated", "only a hard-wrapped text (shape: paragraphs) breaks words at "
              "line ends")
    markup = _markup(c, d["markup"]) if d.get("markup") is not None else Markup()
    notes_label, notes_form = "", NOTE_FORMS[0]
    if d.get("notes") is not None:
        nd = c.mapping(d["notes"], "notes", {"label": str}, {"form": str})
        notes_label = (nd.get("label") or "").strip()
        notes_form = nd.get("form") or notes_form
        if notes_form not in NOTE_FORMS:
            c.add("notes.form", f"use one of {', '.join(repr(f) for f in NOTE_FORMS)}")
    if d.get("id") and not re.fullmatch(r"[a-z][a-z0-9-]*", str(d["id"])):
        c.add("id", "use lowercase letters, digits and hyphens, starting with a letter")
    citations = []
    for i, item in enumerate(_list(d.get("citations"))):
        cd = c.mapping(item, f"citations[{i}]", {"phrase": str, "key": str}, {"locator": str})
        if cd:
            citations.append(Citation(cd.get("phrase", ""), cd.get("key", ""),
                                      cd.get("locator", "")))
    foreign = []
    for i, item in enumerate(_list(d.get("foreign"))):
        fd = c.mapping(item, f"foreign[{i}]", {"phrase": str, "lang": str}, {})
        if not fd:
            continue
        if not fd.get("phrase", "").strip():
            c.add(f"foreign[{i}].phrase", "give the words in the other language")
        elif not _LANGUAGE.fullmatch(fd.get("lang", "")):
            c.add(f"foreign[{i}].lang", f"'{fd.get('lang', '')}' is not a language tag; "
                  "write e.g. fr, de or la")
        else:
            foreign.append(Foreign(" ".join(fd["phrase"].split()), fd["lang"]))
    repost = None
    if d.get("repost") is not None:
        rd = c.mapping(d["repost"], "repost", {"title": str, "url": str}, {"date": (str, int)})
        if rd:
            repost = Repost(rd.get("title", ""), rd.get("url", ""), str(rd.get("date", "")))
    authors = tuple(str(a) for a in _list(d.get("authors")))
    for key, problem in forms.reading_problems(d):  # urls, keys, locators: closed forms
        c.add(key, problem)
    if c.errors or set_errors or raw is None:
        return None, c.errors + set_errors
    title = d["title"]
    date = str(d.get("date") or "")
    return Reading(
        id=d["id"], yaml_path=path, raw_path=raw, title=title,
        short_title=d.get("short_title") or title, dek=d.get("dek", ""), authors=authors,
        venue=d.get("venue", ""), date=date,
        date_display=d.get("date_display") or (display_date(date) if date else ""),
        url=d.get("url", ""), permissions=d["permissions"].strip(), rules=rules,
        citations=tuple(citations), repost=repost, key=d.get("key", ""), shape=shape,
        hyphenated=bool(d.get("hyphenated")), markup=markup, notes_label=notes_label,
        notes_form=notes_form,
        rulesets=tuple(sets), work=d.get("work", ""),
        translators=tuple(str(t) for t in _list(d.get("translators"))),
        short_author=d.get("short_author", ""),
        paragraph_numbers=d.get("paragraph_numbers", True),
        foreign=tuple(foreign),
    ), []


def _relpath(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


# --- the reader ---------------------------------------------------------------------------

# What a name never is: a role or a stand-in ("The Course Reader Editors", "TBD", "A. Editor").
PLACEHOLDER_NAME = re.compile(
    r"\b(editors?|editorial team|tbd|todo|tba|your name|name here|placeholder|anonymous|"
    r"lorem|ipsum|xxx+)\b|^\s*(the\s+)?(course|reader|staff)\s*$", re.I)


def _edition(c: _Collector, e: dict[str, Any], where: str) -> Edition | None:
    """An edition whose every value has its closed form (coursepack.forms), or None."""
    size, size_problem = forms.page_size(e["page_size"]) if isinstance(e.get("page_size"), str) \
        else (None, None)
    problems = {"label": forms.plain_label(e["label"]) if isinstance(e.get("label"), str)
                else None,
                "page_size": size_problem,
                "font_size_pt": forms.font_size(e["font_size_pt"])
                if e.get("font_size_pt") is not None else None}
    for key, problem in problems.items():
        if problem:
            c.add(f"{where}.{key}", problem)
    if any(problems.values()) or size is None or not all(
            isinstance(e.get(k), str) for k in ("id", "label")):
        return None
    return Edition(e["id"], e["label"], size, float(e["font_size_pt"]))


_READER_REQUIRED = {"id": str, "title": str, "editors": list, "language": str,
                    "date": (str, dt.date), "readings": list}
_READER_OPTIONAL = {"subtitle": str, "version": (str, int, float), "identifier": str,
                    "description": str, "keywords": list, "rights": str,
                    "front_matter": list, "back_matter": list, "editions": list, "csl": str,
                    "glossary": str, "bibliography": str, "editor_notes": str,
                    "source_date_epoch": int, "page_list_edition": str, "hyphenation": dict}
_ID = re.compile(r"[a-z][a-z0-9-]*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# Ids the assembled document already uses, and the prefixes of ids it makes (glossary
# entries and uses, bibliography entries and citations, permissions notes, pandoc's own).
_RESERVED_IDS = {"refs", "toc", "landmarks", "footnotes", "contents-title",
                 "title-block-header", "cover"}
_RESERVED_ID = re.compile(r"(gloss|use|ref|cite|toc)(-.*)?|permissions-.*|fn(ref)?\d+")


def project_root(path: Path) -> Path:
    """The project a reader file belongs to: the nearest folder above it holding dodo.py (the
    folder doit runs in), else the reader file's own folder. Nothing outside it is read."""
    for folder in path.resolve().parents:
        if _look(folder / "dodo.py").is_file():
            return folder
    return path.resolve().parent


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _part(c: _Collector, item: Any, where: str, root: Path, base: Path,
          position: int) -> Part | None:
    """One front- or back-matter part: ``{title, file, id?, short_title?}`` or
    ``{generated, title?, file?}``."""
    if not isinstance(item, dict):
        c.add(where, "expected a part: {title: ..., file: ...} or {generated: ...}")
        return None
    if "generated" in item:
        d = c.mapping(item, where, {"generated": str}, {"title": str, "file": str})
        kind = d.get("generated")
        if not isinstance(kind, str) or not kind:
            return None
        if kind not in GENERATED_TITLES:
            close = close_match(kind, GENERATED_TITLES)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"use one of {', '.join(GENERATED_TITLES)}"
            c.add(f"{where}.generated", f"unknown generated part '{kind}'; {hint}")
            return None
        if d.get("file") and kind != "colophon":
            c.add(f"{where}.file", f"a generated {kind} takes no file (only a colophon does); "
                  "remove it, or make the Markdown a part of its own ({title, file})")
        title = d.get("title") if isinstance(d.get("title"), str) else ""
        if "title" in d and isinstance(d["title"], str) and not title.strip():
            c.add(f"{where}.title", "empty; give a title or leave the key out for "
                  f"'{GENERATED_TITLES[kind]}'")
        title = title.strip() or GENERATED_TITLES[kind]
        file = c.path_in_project(d.get("file"), f"{where}.file", root, base) \
            if kind == "colophon" else None
        return Part(id=kind, title=title, key=where, file=file, generated=kind)
    d = c.mapping(item, where, {"title": str, "file": str}, {"id": str, "short_title": str})
    title = d.get("title") if isinstance(d.get("title"), str) else ""
    if title and not title.strip():
        c.add(f"{where}.title", "empty; give the part a title")
    file = c.path_in_project(d.get("file"), f"{where}.file", root, base)
    part_id = d.get("id")
    if isinstance(part_id, str) and not _ID.fullmatch(part_id):
        c.add(f"{where}.id", f"'{part_id}': use lowercase letters, digits and hyphens, "
              "starting with a letter")
    if not isinstance(part_id, str) or not part_id:
        slug = _slug(title)  # the documented default: the title's slug
        part_id = slug if _ID.fullmatch(slug) else \
            f"part-{slug}" if slug else f"{where.split('[')[0].replace('_', '-')}-{position}"
    short = d.get("short_title") if isinstance(d.get("short_title"), str) else ""
    return Part(id=part_id, title=title.strip(), key=where, file=file,
                short_title=short.strip() or title.strip())


def _check_parts(c: _Collector, front: list[Part], back: list[Part], reading_ids: list[str],
                 d: dict[str, Any]) -> None:
    """Where parts may go, one of each generated kind, what they need, ids that never clash."""
    parts = front + back
    for part in parts:
        if part.generated == "contents" and part is not (front[0] if front else None):
            c.add(part.key, "the contents come first in the front matter (both the PDF and "
                  "the EPUB place them after the title page); move this part to "
                  "front_matter[0]")
    seen: dict[str, Part] = {}
    for part in parts:
        first = seen.setdefault(part.id, part)
        if first is part:
            continue
        if part.generated and part.generated == first.generated:
            c.add(part.key, f"a second {part.generated} part (the first is {first.key}); "
                  "keep one")
        else:
            c.add(part.key, f"id '{part.id}' is also the id of {first.key}; give one of them "
                  "its own id:")
    for part in parts:
        if part.id in reading_ids or any(part.id.startswith(f"{r}-") for r in reading_ids):
            reading = next(r for r in reading_ids if part.id == r or part.id.startswith(f"{r}-"))
            c.add(part.key, f"id '{part.id}' clashes with the ids of reading '{reading}' "
                  f"({reading}, {reading}-p1, …); give the part another id:")
        elif not part.generated and (part.id in _RESERVED_IDS
                                     or _RESERVED_ID.fullmatch(part.id)):
            c.add(part.key, f"id '{part.id}' is used by coursepack itself; give the part "
                  "another id:")
    for kind, needs in (("glossary", "the terms file"), ("bibliography", "the CSL-JSON file")):
        part = next((p for p in parts if p.generated == kind), None)
        if part and not d.get(kind):
            c.add(part.key, f"a generated {kind} needs {needs}: add '{kind}: path' to the "
                  "reader file, or remove the part")
        if d.get(kind) and not part:
            c.add(kind, f"the {kind} needs a place in the reader: add "
                  f"'- {{generated: {kind}}}' to back_matter (or front_matter)")


def _reader_date(c: _Collector, value: Any) -> str:
    """The reader's date as YYYY-MM-DD (YAML may have read it as a date already)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        c.add("date", f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. \"2026-11-22\"")
    return ""


def _editions(c: _Collector, d: dict[str, Any]) -> list[Edition]:
    """The PDF editions; without ``editions`` the reader gets one A4 edition."""
    items = d.get("editions")
    items = [DEFAULT_EDITION] if items is None else items  # left out, or left empty
    if isinstance(items, list) and not items:
        c.add("editions", "empty; list at least one edition, or leave the key out for one A4 "
              "edition")
    editions: list[Edition] = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        where = f"editions[{i}]"
        e = c.mapping(item, where, {"id": str, "label": str, "page_size": str,
                                    "font_size_pt": (int, float)}, {})
        if not all(isinstance(e.get(k), t) for k, t in
                   (("id", str), ("label", str), ("page_size", str),
                    ("font_size_pt", (int, float)))):
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", e["id"]):
            c.add(f"{where}.id", f"'{e['id']}': use lowercase letters, digits and hyphens (it "
                  "names the PDF file)")
        elif any(x.id == e["id"] for x in editions):
            c.add(f"{where}.id", f"two editions have the id '{e['id']}'; ids must be unique")
        if edition := _edition(c, e, where):  # page size, body size, label: closed forms
            editions.append(edition)
    return editions


@cache
def load_reader(path: str | Path = "reader.yaml") -> Reader:
    """Read and validate the reader file and every reading it names; raise all problems at once.

    Every path in the reader file is relative to the reader file's folder; the project root
    (``project_root``) bounds what may be read.
    """
    if not _look(Path(path)).is_file():
        raise ReaderError(path, "no such reader file; check the name given as reader=...")
    path = Path(path).resolve()
    root = project_root(path)
    base = path.parent
    c = _Collector(_relpath(path, root))
    data = load_yaml(path)
    if isinstance(data, dict) and "editorial" in data:
        data = {k: v for k, v in data.items() if k != "editorial"}
        c.add("editorial", "this mapping is gone: list the parts under front_matter and "
              "back_matter instead, e.g. '- {title: Introduction, file: intro.md}' "
              "(README.md, \"The reader file\")")
    d = c.mapping(data, "", _READER_REQUIRED, _READER_OPTIONAL)
    errors: list[ReaderError] = []
    readings: list[Reading] = []
    if isinstance(d.get("readings"), list) and not d["readings"]:
        c.add("readings", "empty; list the YAML file of at least one reading")
    for i, item in enumerate(_list(d.get("readings"))):
        reading_path = c.path_in_project(item, f"readings[{i}]", root, base)
        if reading_path is None:
            if not isinstance(item, str) or not item:
                c.add(f"readings[{i}]", "expected the path of a reading's YAML file")
            continue
        try:
            reading, problems = load_reading(reading_path, root)
        except ReaderError as exc:
            errors.append(exc)
            continue
        errors.extend(problems)
        if reading:
            readings.append(reading)
    ids = [r.id for r in readings]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        files = " and ".join(str(_relpath(r.yaml_path, root)) for r in readings if r.id == dup)
        c.add("readings", f"{files} have the same id '{dup}'; give each reading its own id")
    front, back = ([p for i, item in enumerate(_list(d.get(key)))
                    if (p := _part(c, item, f"{key}[{i}]", root, base, i + 1)) is not None]
                   for key in ("front_matter", "back_matter"))
    _check_parts(c, front, back, ids, d)
    editions = _editions(c, d)
    page_list_edition = d.get("page_list_edition") or (editions[0].id if editions else "")
    if editions and page_list_edition not in {e.id for e in editions}:
        c.add("page_list_edition", f"'{page_list_edition}' is not an edition; use one of "
              f"{', '.join(e.id for e in editions)}")
    files = {key: c.path_in_project(d[key], key, root, base)
             for key in ("glossary", "bibliography", "editor_notes", "csl") if d.get(key)}
    if d.get("bibliography") and not d.get("csl") and not _look(root / DEFAULT_CSL).is_file():
        c.add("csl", f"missing, and the default style {DEFAULT_CSL} is not in the project; "
              "name a CSL file or restore the default")
    if d.get("id") and not _ID.fullmatch(str(d["id"])):
        c.add("id", "use lowercase letters, digits and hyphens, starting with a letter")
    if isinstance(d.get("language"), str) and d["language"] \
            and not _LANGUAGE.fullmatch(d["language"]):
        c.add("language", f"'{d['language']}' is not a language tag; write e.g. en-GB, en or fr")
    editors = d.get("editors") if isinstance(d.get("editors"), list) else []
    if "editors" in d and (not editors or not all(isinstance(e, str) and e.strip()
                                                  for e in editors)):
        c.add("editors", "list the editors' names, e.g. [Ada Lovelace, Mary Somerville]")
    for name in editors:
        if isinstance(name, str) and PLACEHOLDER_NAME.search(name):
            c.add("editors", f"'{name.strip()}' is a placeholder, not a name: the title page, "
                  "the cover and the EPUB credit the editors by name; write yours")
    date = _reader_date(c, d.get("date")) if d.get("date") else ""
    for key, problem in forms.reader_problems(d):  # version, identifier
        c.add(key, problem)
    if isinstance(d.get("source_date_epoch"), bool) or (
            isinstance(d.get("source_date_epoch"), int) and d["source_date_epoch"] < 0):
        c.add("source_date_epoch", "a whole number of seconds since 1970, e.g. 1795306205")
    never, exceptions = _hyphenation(c, d.get("hyphenation"))
    errors = c.errors + errors
    if errors:
        raise ReaderErrors(errors)
    import uuid  # here: a no-op build with a cached reader (readercache) never needs it

    identifier = d.get("identifier") or \
        f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'coursepack:' + d['id'])}"
    return Reader(
        path=path, root=root, id=d["id"], title=d["title"].strip(),
        subtitle=(d.get("subtitle") or "").strip(),
        editors=tuple(e.strip() for e in editors), language=d["language"],
        identifier=identifier, date=date, version=str(d.get("version") or DEFAULT_VERSION),
        description=(d.get("description") or "").strip(),
        keywords=tuple(str(k) for k in _list(d.get("keywords"))),
        rights=(d.get("rights") or "").strip(),
        readings=tuple(readings), front_matter=tuple(front), back_matter=tuple(back),
        editions=tuple(editions),
        csl=files.get("csl") or _look(root / DEFAULT_CSL).resolve(),
        glossary=files.get("glossary"), bibliography=files.get("bibliography"),
        editor_notes=files.get("editor_notes"),
        source_date_epoch=d.get("source_date_epoch"), page_list_edition=page_list_edition,
        never_hyphenate=never, hyphenation_exceptions=exceptions,
    )


_WORD = re.compile(r"[^\W\d_]+(?:[’'][^\W\d_]+)?")


def _hyphenation(c: _Collector, value: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``hyphenation: {never: [Putin, Russia], exceptions: [nu-clear]}``, validated."""
    if value is None:
        return (), ()
    d = c.mapping(value, "hyphenation", {}, {"never": list, "exceptions": list})
    never, exceptions = [], []
    for i, word in enumerate(_list(d.get("never"))):
        if isinstance(word, str) and _WORD.fullmatch(word.strip()):
            never.append(word.strip())
        else:
            c.add(f"hyphenation.never[{i}]", "one word, letters only (e.g. Putin)")
    for i, word in enumerate(_list(d.get("exceptions"))):
        parts = word.strip().split("-") if isinstance(word, str) else []
        if len(parts) > 1 and all(_WORD.fullmatch(part) for part in parts):
            exceptions.append(word.strip())
        else:
            c.add(f"hyphenation.exceptions[{i}]", "a word with hyphens where it may break, "
                  "e.g. nu-clear")
    return tuple(never), tuple(exceptions)


def check_in_project(project: str | Path, path: str | Path) -> None:
    """For doit: the reader file must belong to this project (``project``, the folder of
    dodo.py), whose templates, fonts and build folder the tasks use."""
    if project_root(Path(path)) != Path(project).resolve():
        raise ReaderError(path, "the reader file is outside this project; move it into the "
                          "project folder (e.g. readers/) and build it from there")

