"""Configuration: the reader's and each reading's YAML, read and validated once into typed objects.

Every problem found is collected and reported together (``file: key: what is wrong``), so a
person fixes a configuration in one pass rather than one error per run.
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ReaderError, ReaderErrors
from .fsutil import read_text
from .rules import (  # noqa: F401  (Rule, Attribution: part of this module's interface)
    Attribution,
    Problems,
    Rule,
    RuleSet,
    check_rule_list,
    merge_rules,
    parse_rule,
    parse_ruleset,
    shipped_ruleset,
    shipped_rulesets,
)
from .textshape import DELIMITERS, EM_DASH_FORMS, SHAPES, Markup


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
    rulesets: tuple[RuleSet, ...] = ()
    work: str = ""  # the book the reading is taken from
    translators: tuple[str, ...] = ()
    short_author: str = ""  # for running heads and back-links, when not the surnames

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
        return yaml.safe_load(text)
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

_READING_REQUIRED = {"id": str, "raw": str, "title": str, "authors": list,
                     "permissions": str, "rules": list}
_READING_OPTIONAL = {"short_title": str, "dek": str, "venue": str, "date": (str, int),
                     "date_display": str, "url": str, "repost": dict, "citations": list,
                     "key": str, "use": list, "shape": str, "hyphenated": bool,
                     "markup": dict, "notes": dict, "work": str, "translators": list,
                     "short_author": str}


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
        elif not path.is_file():
            c.add(f"use[{i}]", f"no rule set '{name}'; the shipped sets are "
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
                if rule_name not in names_in_set:
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
    own = [r for i, item in enumerate(d.get("rules") or [])
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
    if d.get("hyphenated") and shape != "paragraphs":
        c.add("hyphenated", "only a hard-wrapped text (shape: paragraphs) breaks words at "
              "line ends")
    markup = _markup(c, d["markup"]) if d.get("markup") is not None else Markup()
    notes_label = ""
    if d.get("notes") is not None:
        nd = c.mapping(d["notes"], "notes", {"label": str}, {})
        notes_label = (nd.get("label") or "").strip()
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
    if c.errors or set_errors or raw is None:
        return None, c.errors + set_errors
    title = d["title"]
    date = str(d.get("date") or "")
    return Reading(
        id=d["id"], yaml_path=path, raw_path=raw, title=title,
        short_title=d.get("short_title") or title, dek=d.get("dek", ""), authors=authors,
        venue=d.get("venue", ""), date=date, date_display=d.get("date_display") or date,
        url=d.get("url", ""), permissions=d["permissions"].strip(), rules=rules,
        citations=tuple(citations), repost=repost, key=d.get("key", ""), shape=shape,
        hyphenated=bool(d.get("hyphenated")), markup=markup, notes_label=notes_label,
        rulesets=tuple(sets), work=d.get("work", ""),
        translators=tuple(str(t) for t in d.get("translators") or []),
        short_author=d.get("short_author", ""),
    ), []


def _relpath(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


# --- the reader ---------------------------------------------------------------------------

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
        c.add("readings", f"two readings have the id '{dup}'; ids must be unique")
    editorial = {}
    ed = c.mapping(d.get("editorial", {}), "editorial", {}, dict.fromkeys(EDITORIAL_PARTS, str))
    for part in EDITORIAL_PARTS:
        if part in ed and (p := c.path_in_project(ed[part], f"editorial.{part}", root, root)):
            editorial[part] = p
    editions = []
    for i, item in enumerate(d.get("editions") or []):
        e = c.mapping(item, f"editions[{i}]", {"id": str, "label": str, "page_size": str,
                                               "font_size_pt": (int, float)}, {})
        if e and not c.errors:
            editions.append(Edition(e["id"], e["label"], e["page_size"], float(e["font_size_pt"])))
    optional_files = {}
    for key in ("glossary", "bibliography", "editor_notes", "csl"):
        if d.get(key):
            optional_files[key] = c.path_in_project(d[key], key, root, root)
    if d.get("id") and not re.fullmatch(r"[a-z][a-z0-9-]*", str(d["id"])):
        c.add("id", "use lowercase letters, digits and hyphens, starting with a letter")
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
