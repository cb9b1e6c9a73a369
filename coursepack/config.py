"""Configuration: the reader's and each reading's YAML, read and validated once into typed objects.

Every problem found is collected and reported together (``file: key: what is wrong``), so a
person fixes a configuration in one pass rather than one error per run.
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import forms, patterns
from .errors import ReaderError, ReaderErrors
from .fsutil import read_text

ACTIONS = ("drop", "title", "dek", "byline", "heading", "blockquote", "embedded_post",
           "source_note")
SELECTORS = ("line", "starts_with", "pattern", "from", "to")


@dataclass(frozen=True)
class Attribution:
    """Who posted an embedded social-media post, shown under the quotation."""

    author: str
    handle: str
    date: str
    platform: str = ""


@dataclass(frozen=True)
class Rule:
    """One named cleaning rule: which raw lines it selects and what it does with them."""

    name: str
    reason: str
    action: str
    line: str | None = None
    starts_with: str | None = None
    pattern: str | None = None
    start: str | None = None
    end: str | None = None
    count: int | None = None
    level: int = 2
    attribution: Attribution | None = None


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
class Reading:
    """One essay: its raw text, its metadata and how to clean it."""

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

    @property
    def author_surnames(self) -> str:
        names = [a.split()[-1] for a in self.authors]
        return " and ".join(names)


@dataclass(frozen=True)
class Edition:
    """One PDF edition: page size and body text size."""

    id: str
    label: str
    page_size: str
    font_size_pt: float


@dataclass(frozen=True)
class Reader:
    """A whole course-pack reader: metadata, readings in order, editorial parts, editions."""

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
    editorial: dict[str, Path]
    editions: tuple[Edition, ...]
    csl: Path
    glossary: Path | None = None
    bibliography: Path | None = None
    editor_notes: Path | None = None
    source_date_epoch: int | None = None
    build_dir: Path = field(default=Path("build"))

    def reading(self, reading_id: str) -> Reading:
        for reading in self.readings:
            if reading.id == reading_id:
                return reading
        raise KeyError(reading_id)

    @property
    def out(self) -> Path:
        """Where this reader's build products go."""
        return self.root / self.build_dir / self.id


# --- YAML loading -------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    """Parse a YAML file safely (no Python tags); syntax errors name file, line and column."""
    text = read_text(path)
    try:
        data = yaml.safe_load(text)
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
        """Check a mapping's keys and value types; return it (or {} when it is not a mapping)."""
        if not isinstance(data, dict):
            self.add(where, "expected a mapping of keys to values")
            return {}
        known = {**required, **optional}
        suggested = set()
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                suggested.update(close)
                hint = f"; did you mean '{close[0]}'?" if close else \
                    f"; known keys: {', '.join(sorted(known))}"
                self.add(_join(where, str(key)), f"unknown key{hint}")
        for key in required:
            if key in suggested:
                continue  # the misspelling above already says so
            if key not in data or data[key] in (None, ""):
                self.add(_join(where, key), "missing; add it")
        for key, kind in known.items():
            value = data.get(key)
            if value is not None and not isinstance(value, kind):
                self.add(_join(where, key), f"expected {_kind_name(kind)}, "
                         f"got {type(value).__name__}")
        return data

    def path_in_project(self, value: Any, where: str, root: Path, base: Path) -> Path | None:
        """Resolve a path named in YAML; it must stay inside the project and exist."""
        if not isinstance(value, str) or not value:
            return None
        resolved = (base / value).resolve()
        if not resolved.is_relative_to(root.resolve()):
            self.add(where, f"'{value}' points outside the project; keep every input inside it")
            return None
        if not resolved.is_file():
            self.add(where, f"'{value}' does not exist; check the path (relative to "
                     f"{_rel(base, root) or '.'})")
            return None
        return resolved


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list",
             dict: "a mapping", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --- readings -----------------------------------------------------------------------------

_RULE_OPTIONAL = {"line": str, "starts_with": str, "pattern": str, "from": str, "to": str,
                  "count": int, "level": int, "attribution": dict}


def _rule(c: _Collector, data: Any, where: str) -> Rule | None:
    d = c.mapping(data, where, {"name": str, "reason": str, "action": str}, _RULE_OPTIONAL)
    if not d:
        return None
    action = d.get("action")
    if isinstance(action, str) and action not in ACTIONS:
        close = difflib.get_close_matches(action, ACTIONS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(ACTIONS)}"
        c.add(f"{where}.action", f"unknown action '{action}'; {hint}")
    selectors = [k for k in ("line", "starts_with", "pattern") if d.get(k)]
    ranged = bool(d.get("from") or d.get("to"))
    if ranged and not (d.get("from") and d.get("to")):
        c.add(where, "'from' and 'to' go together; give both markers")
    if len(selectors) + ranged != 1:
        c.add(where, "give exactly one selector: line, starts_with, pattern, or from + to")
    if ranged and action != "drop":
        c.add(where, "a from/to range can only be dropped (action: drop)")
    if d.get("pattern"):
        if problem := patterns.problem(d["pattern"]):  # matched in linear time (RE2)
            c.add(f"{where}.pattern", f"rule '{d.get('name', '')}': {problem}")
        elif action == "embedded_post" and "text" not in patterns.group_names(d["pattern"]):
            c.add(f"{where}.pattern", "an embedded_post pattern needs a (?P<text>...) group")
    attribution = None
    if action == "embedded_post":
        a = c.mapping(d.get("attribution"), f"{where}.attribution",
                      {"author": str, "date": str}, {"handle": str, "platform": str})
        if a:
            attribution = Attribution(a.get("author", ""), a.get("handle", ""),
                                      a.get("date", ""), a.get("platform", ""))
    if d.get("count") is not None and d["count"] < 1:
        c.add(f"{where}.count", "must be 1 or more")
    if action == "heading" and d.get("level") not in (None, 2, 3, 4):
        c.add(f"{where}.level", "a heading inside an essay is level 2, 3 or 4")
    return Rule(name=d.get("name", ""), reason=d.get("reason", ""), action=action or "",
                line=d.get("line"), starts_with=d.get("starts_with"), pattern=d.get("pattern"),
                start=d.get("from"), end=d.get("to"), count=d.get("count"),
                level=d.get("level") or 2, attribution=attribution)


_READING_REQUIRED = {"id": str, "raw": str, "title": str, "authors": list, "venue": str,
                     "date": (str, int), "url": str, "permissions": str, "rules": list}
_READING_OPTIONAL = {"short_title": str, "dek": str, "date_display": str, "repost": dict,
                     "citations": list, "key": str}


def load_reading(path: Path, root: Path) -> tuple[Reading | None, list[ReaderError]]:
    """Read and validate one reading's YAML; return it with every problem found."""
    c = _Collector(_relpath(path, root))
    data = load_yaml(path)
    d = c.mapping(data, "", _READING_REQUIRED, _READING_OPTIONAL)
    raw = c.path_in_project(d.get("raw"), "raw", root, path.parent)
    rules = tuple(r for i, item in enumerate(d.get("rules") or [])
                  if (r := _rule(c, item, f"rules[{i}]")) is not None)
    names = [r.name for r in rules]
    for name in sorted({n for n in names if names.count(n) > 1}):
        c.add("rules", f"two rules are named '{name}'; give each rule its own name")
    if d.get("id") and not re.fullmatch(r"[a-z][a-z0-9-]*", str(d["id"])):
        c.add("id", "use lowercase letters, digits and hyphens, starting with a letter")
    citations = []
    for i, item in enumerate(d.get("citations") or []):
        cd = c.mapping(item, f"citations[{i}]", {"phrase": str, "key": str}, {"locator": str})
        if cd:
            citations.append(Citation(cd.get("phrase", ""), cd.get("key", ""),
                                      cd.get("locator", "")))
    repost = None
    if d.get("repost") is not None:
        rd = c.mapping(d["repost"], "repost", {"title": str, "url": str}, {"date": (str, int)})
        if rd:
            repost = Repost(rd.get("title", ""), rd.get("url", ""), str(rd.get("date", "")))
    authors = tuple(str(a) for a in d.get("authors") or [])
    for key, problem in forms.reading_problems(d):  # urls, dates, keys: closed forms
        c.add(key, problem)
    if c.errors or raw is None:
        return None, c.errors
    title = d["title"]
    return Reading(
        id=d["id"], yaml_path=path, raw_path=raw, title=title,
        short_title=d.get("short_title") or title, dek=d.get("dek", ""), authors=authors,
        venue=d["venue"], date=str(d["date"]), date_display=d.get("date_display") or
        str(d["date"]), url=d["url"], permissions=d["permissions"].strip(), rules=rules,
        citations=tuple(citations), repost=repost, key=d.get("key", ""),
    ), []


def _relpath(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


# --- the reader ---------------------------------------------------------------------------

def _edition(c: _Collector, e: dict[str, Any], where: str) -> Edition | None:
    """An edition whose every value has its closed form (coursepack.forms), or None."""
    size, size_problem = forms.page_size(e["page_size"]) if isinstance(e.get("page_size"), str) \
        else (None, None)
    problems = {"id": forms.identifier(e["id"]) if isinstance(e.get("id"), str) else None,
                "label": forms.plain_label(e["label"]) if isinstance(e.get("label"), str)
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
                    "date": (str, int), "version": (str, int, float), "readings": list,
                    "editorial": dict, "editions": list, "csl": str}
_READER_OPTIONAL = {"subtitle": str, "identifier": str, "description": str, "keywords": list,
                    "rights": str, "glossary": str, "bibliography": str, "editor_notes": str,
                    "source_date_epoch": int}
EDITORIAL_PARTS = ("introduction", "comparison", "questions", "colophon")


@cache
def load_reader(path: str | Path = "reader.yaml") -> Reader:
    """Read and validate the reader file and every reading it names; raise all problems at once."""
    path = Path(path).resolve()
    root = path.parent
    c = _Collector(_relpath(path, root))
    d = c.mapping(load_yaml(path), "", _READER_REQUIRED, _READER_OPTIONAL)
    errors: list[ReaderError] = []
    readings: list[Reading] = []
    for i, item in enumerate(d.get("readings") or []):
        reading_path = c.path_in_project(item, f"readings[{i}]", root, root)
        if reading_path is None:
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
    editorial = {}
    ed = c.mapping(d.get("editorial", {}), "editorial", {}, dict.fromkeys(EDITORIAL_PARTS, str))
    for part in EDITORIAL_PARTS:
        if part in ed and (p := c.path_in_project(ed[part], f"editorial.{part}", root, root)):
            editorial[part] = p
    editions = []
    for i, item in enumerate(d.get("editions") or []):
        e = c.mapping(item, f"editions[{i}]", {"id": str, "label": str, "page_size": str,
                                               "font_size_pt": (int, float)}, {})
        if e and (edition := _edition(c, e, f"editions[{i}]")) and not c.errors:
            editions.append(edition)
    edition_ids = [e.get("id") for e in d.get("editions") or [] if isinstance(e, dict)]
    for dup in sorted({i for i in edition_ids if edition_ids.count(i) > 1}, key=str):
        c.add("editions", f"two editions have the id '{dup}'; ids must be unique")
    optional_files = {}
    for key in ("glossary", "bibliography", "editor_notes", "csl"):
        if d.get(key):
            optional_files[key] = c.path_in_project(d[key], key, root, root)
    if d.get("id") and not re.fullmatch(r"[a-z][a-z0-9-]*", str(d["id"])):
        c.add("id", "use lowercase letters, digits and hyphens, starting with a letter")
    for key, problem in forms.reader_problems(d):  # language, date, version, identifier
        c.add(key, problem)
    errors = c.errors + errors
    if errors:
        raise ReaderErrors(errors)
    identifier = d.get("identifier") or \
        f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'coursepack:' + d['id'])}"
    return Reader(
        path=path, root=root, id=d["id"], title=d["title"], subtitle=d.get("subtitle", ""),
        editors=tuple(str(e) for e in d["editors"]), language=d["language"],
        identifier=identifier, date=str(d["date"]), version=str(d["version"]),
        description=d.get("description", "").strip(),
        keywords=tuple(str(k) for k in d.get("keywords") or []), rights=d.get("rights", ""),
        readings=tuple(readings), editorial=editorial, editions=tuple(editions),
        csl=optional_files["csl"], glossary=optional_files.get("glossary"),
        bibliography=optional_files.get("bibliography"),
        editor_notes=optional_files.get("editor_notes"),
        source_date_epoch=d.get("source_date_epoch"),
    )
