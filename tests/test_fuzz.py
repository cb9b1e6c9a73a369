"""Fuzzing the inputs (issue 14): generated reading and reader YAML, raw texts and cleaning rules.

Values are valid-ish structures holding hostile values: wrong types, empty, huge, control
characters, bidirectional overrides, markup of every format a value lands in, paths with ..,
absolute paths, URLs, YAML tags. Whatever comes in, coursepack either succeeds or stops with a
ReaderError whose every line names a file, and never with another exception:

- the cleaner with generated rules (every action, selector and modifier), in process;
- loading, cleaning, annotating and assembling whole generated readers, in process;
- a few generated readers built by `doit` in a subprocess: no traceback, exit 0 or errors of
  one line each naming a file, no partial artifact (no ``*.part``, every target complete).
"""

from __future__ import annotations

import re
import shutil
import xml.dom.minidom
import zipfile
from dataclasses import replace
from pathlib import Path

import pypdfium2
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from coursepack.build import annotate_reading, assemble_reader, clean_reading
from coursepack.clean import clean_text
from coursepack.config import load_reader
from coursepack.errors import ReaderError
from coursepack.rules import ACTIONS, JOIN_WITH, Problems, parse_rule

from .conftest import copy_project, doit

# --------------------------------------------------------------------------- values

PROSE = [
    "A course reader gathers texts that were never meant to sit side by side.",
    "The first task is to separate the text from what surrounded it.",
    "Leave a Reply",
    "Share this:",
    "1.",
    "Chapter II. Of the Social Contract",
    "[1] A note of the translator's.",
    "The second task[1] is to say where each text came from.",
    "Liked by 3 people",
    "— Ruth Deyermond (@ruth_deyermond) July 27, 2022",
]
HOSTILE = [
    "", " ", "\t", "x", "Ünïcödé — ‘curly’ “quotes” …", "日本語の本文", "עברית",
    "bidi \u202eevil\u202c text", "zero\u200bwidth", "\ufeffBOM", "line\u2028separator",
    "<script>alert(1)</script>", "</dc:title><script>x</script> & <", '"><img src=x>',
    "{{ 7 * 7 }} {% include '/etc/passwd' %}", "$title$ ${x}", "$x^2$", "\\newpage",
    "![i](file:///etc/passwd)", "[l](http://169.254.169.254/)", "<http://example.com>",
    "@cite [@key] ^[a note]", "---", "...", "::: {.x}", "# heading {#id}", "* item",
    "1. item", "| a | b |", "```", "<!-- comment -->", "\\", "'", '"', "`", "*", "_",
    "../../etc/passwd", "/etc/passwd", "C:\\Windows\\win.ini", "file:///etc/hostname",
    "https://example.org/x?a=1&b=<2>", "javascript:alert(1)", "data:text/html,x",
    "}{ url(file:///etc/passwd) } @import 'x';", "A4; } body { color: white } @page {",
    "nul\x00char", "esc\x1b[31mred", "bell\x07", "c1\x85next", "del\x7f", "cr\rreturn",
    "a" * 1200, "word " * 300, "!!python/object/apply:os.system ['echo x']", "&anchor",
    "*alias", "null", "~", "yes", "no", "1e9", "0x1F", "2022-13-45", "-1", "NaN",
]
# Hostile text the configuration accepts (no control character, no word too long for a line):
# it must reach the outputs as text.
PRINTABLE = [t for t in HOSTILE + PROSE
             if not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", t) and len(t) < 1000]
printable_texts = st.lists(st.sampled_from(PRINTABLE), min_size=1, max_size=3).map(" ".join)
texts = st.sampled_from(HOSTILE + PROSE) | st.text(max_size=30) \
    | st.lists(st.sampled_from(HOSTILE + PROSE), min_size=2, max_size=3).map(" ".join)
# Mostly text the configuration accepts, so that most cases reach the later stages.
mixed_texts = st.one_of(printable_texts, printable_texts, texts)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | texts
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(texts, inner, max_size=3), max_leaves=6)
PATHS = ["../sources/fuzz/part.md", "part.md", "../../outside.md", "/etc/passwd",
         "file:///etc/passwd", "http://example.com/x.md", "../sources", "..", "",
         "../sources/fuzz/../../reader.yaml", "../sources/fuzz/missing.md",
         "../sources/glossary.yaml", "../styles/chicago-author-date.csl"]
paths = st.sampled_from(PATHS) | texts



def rarely(strategy, usual=None, odds: int = 6):
    """``strategy`` about once in ``odds`` draws, else ``usual``. (The branches of one_of and
    the ends of an integer range are drawn more often than their share: a middle slice of the
    range is not.)"""
    return st.integers(0, 999).flatmap(
        lambda n: strategy if 300 <= n < 300 + 1000 // odds else st.just(usual))


# --------------------------------------------------------------------------- raw texts


@st.composite
def raw_lines(draw, tame: bool = False) -> list[str]:
    return draw(st.lists(st.sampled_from(PROSE) | (printable_texts if tame else mixed_texts),
                         min_size=1, max_size=12))


def raw_bytes(lines: list[str], draw, tame: bool = False) -> bytes:
    """The raw file: UTF-8 text, sometimes with CRLF, a BOM, or bytes that are not UTF-8."""
    text = "\n".join(lines)
    data = text.encode("utf-8", errors="surrogatepass")
    kind = "plain" if tame else draw(rarely(st.sampled_from(["crlf", "bom", "latin1"]), "plain"))
    if kind == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "latin1":
        data += "\ncaf\u00e9".encode("latin-1")
    return data


# --------------------------------------------------------------------------- rules


@st.composite
def markers(draw, lines: list[str]):
    text = st.sampled_from(lines) | texts
    kind = draw(st.sampled_from(["text", "line", "starts_with", "pattern", "two", "bad"]))
    if kind == "text":
        return draw(prefixes(lines))
    if kind == "bad":
        return draw(values)
    marker = {"pattern": draw(patterns(lines))} if kind == "pattern" else \
        {kind: draw(text)} if kind != "two" else {"line": draw(text), "pattern": "x"}
    if draw(st.booleans()):
        marker["occurrence"] = draw(st.integers(-1, 3))
    return marker


def prefixes(lines: list[str]):
    return (st.sampled_from(lines) | texts).flatmap(
        lambda s: st.integers(0, len(s)).map(lambda n: s[:n] or s))


PATTERNS = [r"^\d+\.$", r"^(a+)+$", r"(.*a){20}QQQ", r"(?P<text>.+)", r"^(?P<text>.*) —",
            r"(?=look)ahead", r"(\w)\1", "[", "(", r"\b", "", ".*", r"^$", r"(?i)leave",
            r"^\[(\d+)\] (?P<text>.+)$", "x{1000}{1000}", r"\p{L}+", r"(?P<text>)",
            "a" * 3000]


def patterns(lines: list[str]):
    return st.sampled_from(PATTERNS) | st.sampled_from(lines).map(re.escape) | texts


SAFE_PATTERNS = [r"^\d+\.$", r"(?i)leave", r"^\[\d+\] ", r"\b", r"^$", ".*", r"^(a+)+$",
                 r"(.*a){20}QQQ", r"\p{L}+"]
TEXT_ACTIONS = ("title", "dek", "byline", "heading", "paragraph", "blockquote", "commentary",
                "source_note")


@st.composite
def good_rule(draw, lines: list[str]) -> dict:
    """A well-formed rule: one action, one selector taken from the raw text (so it often
    matches), modifiers that fit the action; the hostility is in the text it selects."""
    action = draw(st.sampled_from(ACTIONS))
    lines = [x for x in lines if x.strip()] or ["x"]
    line = draw(st.sampled_from(lines))
    rule = {"name": "", "reason": f"Reason: {draw(mixed_texts)}", "action": action}
    kind = draw(st.sampled_from(["line", "starts_with", "pattern", "block"]))
    if action == "embedded_post":
        rule["pattern"] = f"^(?P<text>{re.escape(line[:draw(st.integers(1, 20))])}.*)$"
        rule["attribution"] = {"author": f"A. {draw(mixed_texts)}",
                               "date": f"1 May {draw(mixed_texts)}",
                               "handle": draw(mixed_texts), "platform": draw(mixed_texts)}
    elif kind == "line":
        rule["line"] = line
    elif kind == "starts_with":
        rule["starts_with"] = line[:draw(st.integers(1, max(1, len(line))))] or line
    elif kind == "pattern":
        rule["pattern"] = draw(st.sampled_from(SAFE_PATTERNS) | st.just(re.escape(line)))
    else:
        rule["from"] = draw(st.sampled_from(lines))
        end = draw(st.sampled_from(["to", "until", None]))
        if end:
            rule[end] = {"line": draw(st.sampled_from(lines))}
    block = kind == "block" and action != "embedded_post"
    if not block and draw(st.booleans()):
        key = "occurrence" if action in ("title", "dek", "byline") else \
            draw(st.sampled_from(["count", "occurrence"]))
        rule[key] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        rule["optional"] = True
    if action == "heading":
        rule["level"] = draw(st.integers(2, 4))
    if action in TEXT_ACTIONS and not block and draw(st.booleans()):
        rule["join"] = draw(st.integers(2, 3))
        rule["join_with"] = draw(st.sampled_from(JOIN_WITH))
    if action in TEXT_ACTIONS and draw(st.booleans()):
        start = draw(st.integers(0, max(0, len(line) - 1)))
        rule["replace"] = {"find": line[start:start + draw(st.integers(1, 8))].strip() or "x",
                           "with": draw(mixed_texts)}
    return rule


@st.composite
def bad_rule(draw, lines: list[str]) -> dict:
    """A rule with anything in it: hostile values in every key, two selectors or none,
    modifiers that do not fit, unknown keys."""
    rule = {"name": draw(st.sampled_from(["r1", "title"]) | texts), "reason": draw(texts),
            "action": draw(st.sampled_from(ACTIONS) | texts)}
    selector = draw(st.sampled_from(["line", "starts_with", "pattern", "block", "none",
                                     "two"]))
    if selector in ("line", "two"):
        rule["line"] = draw(st.sampled_from(lines) | texts)
    if selector in ("starts_with", "two"):
        rule["starts_with"] = draw(prefixes(lines))
    if selector == "pattern":
        rule["pattern"] = draw(patterns(lines))
    if selector == "block":
        for key in draw(st.lists(st.sampled_from(["from", "to", "until"]), min_size=1,
                                 unique=True)):
            rule[key] = draw(markers(lines))
    optional = {
        "count": st.integers(-1, 4), "occurrence": st.integers(-1, 4), "optional": values,
        "level": st.integers(0, 6) | values, "join": st.integers(0, 4) | values,
        "join_with": st.sampled_from(JOIN_WITH) | texts,
        "replace": st.fixed_dictionaries({"find": prefixes(lines), "with": texts})
        | st.lists(st.fixed_dictionaries({"find": prefixes(lines)}, optional={"with": texts}),
                   max_size=2) | values,
        "unit": st.sampled_from(["line", "word"]) | values,
        "attribution": st.fixed_dictionaries({"author": texts, "date": texts},
                                             optional={"handle": texts, "platform": texts})
        | values,
        "unknown_key": values,
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), max_size=3, unique=True)):
        rule[key] = draw(optional[key])
    return rule


def rule_lists(lines: list[str]):
    """Rule lists: mostly well formed (names unique), now and then one bad rule among them."""
    def named(items: list[dict]) -> list[dict]:
        once = [r for r in items if r["action"] in ("title", "dek", "byline")]
        items = [r for r in items if r not in once or once.index(r) == 0]  # one of each
        return [{**r, "name": r["name"] or f"rule-{i}"} for i, r in enumerate(items)]

    good = st.lists(good_rule(lines), max_size=4).map(named)
    some_bad = st.lists(good_rule(lines) | bad_rule(lines), min_size=1, max_size=3).map(named)
    return st.one_of(good, good, good, good, good, some_bad)


# --------------------------------------------------------------------------- checks

FUZZ = Path("sources") / "fuzz"


def assert_names_a_file(exc: ReaderError, project: Path) -> None:
    """Every line of the error names a file of the project (or the raw text's name), on one
    line, with no control character a terminal would obey."""
    files = {p.name for p in project.rglob("*") if p.is_file()} | {"SOURCE_DATE_EPOCH"}
    for one in getattr(exc, "errors", [exc]):
        line = str(one)
        assert "\n" not in line and "\r" not in line, line
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]",
                             line), line
        where = re.sub(r"(:\d+)+$", "", one.where)
        candidates = [Path(where), project / where, Path.cwd() / where]
        assert any(c.is_file() for c in candidates) or Path(where).name in files, line


# --------------------------------------------------------------------------- the cleaner

@pytest.fixture(scope="module")
def minimal_reading(tmp_path_factory):
    """The minimal test reading, loaded in a tiny project: the base every generated rule list
    replaces the rules of."""
    from .test_structure import METADATA, MINIMAL_READING, tiny_project

    path = tiny_project(tmp_path_factory.mktemp("clean"), {**METADATA,
                                                          "readings": [MINIMAL_READING]})
    return load_reader(path).readings[0]


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_the_cleaner_with_generated_rules_succeeds_or_says_one_line(minimal_reading, data):
    lines = data.draw(raw_lines())
    raw = "\n".join(lines)
    problems = Problems()
    parsed = [parse_rule(problems, r, f"rules[{i}]")
              for i, r in enumerate(data.draw(rule_lists(lines)))]
    if problems.items:
        return  # the configuration step reports these (the next tests run it)
    reading = replace(minimal_reading, rules=tuple(r for r in parsed if r is not None))
    try:
        cleaned = clean_text(reading, raw)
    except ReaderError as exc:
        assert_names_a_file(exc, minimal_reading.yaml_path.parent.parent.parent)
        return
    assert isinstance(cleaned.doc.text(), str)


# --------------------------------------------------------------------------- whole readers

READING = {"id": "fuzz", "raw": "fuzz.txt", "title": "A fuzzed reading",
           "authors": ["A. Author"], "venue": "The fuzzer", "date": "2026-01",
           "url": "https://example.org/fuzz", "permissions": "Free to reuse.", "rules": []}
READER = {"id": "fuzz", "title": "A Fuzzed Reader", "editors": ["Mary Somerville"],
          "language": "en", "date": "2026-01-15", "readings": ["../sources/fuzz/fuzz.yaml"]}
READING_KEYS = ["id", "raw", "title", "short_title", "dek", "authors", "venue", "date",
                "date_display", "url", "repost", "permissions", "citations", "key", "use",
                "shape", "hyphenated", "markup", "notes", "work", "translators",
                "short_author", "paragraph_numbers", "rules"]
READER_KEYS = ["id", "title", "subtitle", "editors", "language", "date", "version",
               "identifier", "description", "keywords", "rights", "readings", "front_matter",
               "back_matter", "editions", "csl", "glossary", "bibliography", "editor_notes",
               "source_date_epoch", "page_list_edition", "editorial"]
# Keys whose value is free text: hostile text there must be shown as text, wherever it lands.
FREE_TEXT = {"title", "short_title", "dek", "venue", "date_display", "permissions", "work",
             "short_author", "subtitle", "description", "rights"}
PART = st.fixed_dictionaries({"title": texts, "file": paths}, optional={"id": texts}) \
    | st.fixed_dictionaries({"generated": st.sampled_from(["contents", "glossary",
                                                          "bibliography", "permissions",
                                                          "colophon"]) | texts},
                            optional={"title": texts, "file": paths}) | values
EDITION = st.fixed_dictionaries({"id": st.sampled_from(["a4", "x", "A4", ""]) | texts,
                                 "label": texts,
                                 "page_size": st.sampled_from(["A4", "letter", "A9x", "A5"])
                                 | texts,
                                 "font_size_pt": st.sampled_from([10.5, 0, -10, 1e9])
                                 | scalars})
TAGS = ["!!python/object/apply:os.system ['echo pwned']", "!!binary aGVsbG8=",
        "!custom x", "&a [1, 2]", "*undefined", "!!set {a, b}", "!!timestamp 2001-12-14",
        "!!float nan", "{a: [b, {c: d}]}", "[unclosed", "'unterminated", "\t tab"]


@st.composite
def reading_files(draw, tame: bool = False) -> dict[str, bytes]:
    """The reading's YAML (mostly valid, a few keys replaced by hostile values or tags), its raw
    text, a Markdown part and the apparatus. ``tame``: only values the configuration accepts,
    hostile text where text goes, so that the build runs through to the outputs."""
    lines = draw(raw_lines(tame))
    reading = dict(READING)
    reading["rules"] = [] if tame else draw(rule_lists(lines))  # tame: the text reaches print
    if tame:
        for key in draw(st.lists(st.sampled_from(sorted(FREE_TEXT & set(READING_KEYS))),
                                 min_size=1, max_size=3, unique=True)):
            reading[key] = draw(printable_texts)
        return files_of(reading, lines, draw, tame)
    values_for = {"rules": rule_lists(lines) | values,
                  "use": st.lists(st.sampled_from(["wordpress", "gutenberg", "nope"]) | paths,
                                  max_size=2) | values,
                  "raw": paths | st.just("fuzz.txt"),
                  "citations": st.lists(st.fixed_dictionaries(
                      {"phrase": st.sampled_from(lines) | texts,
                       "key": st.sampled_from(["charap2022talking", "nokey"]) | texts},
                      optional={"locator": texts}), max_size=2) | values}
    for key in draw(rarely(st.lists(st.sampled_from(READING_KEYS), min_size=1, max_size=2,
                                     unique=True), [], odds=4)):
        free_text = key in FREE_TEXT and draw(st.booleans())  # hostile text where text goes
        reading[key] = draw(mixed_texts if free_text else values_for.get(key, values | paths))
    return files_of(reading, lines, draw, tame)


def files_of(reading: dict, lines: list[str], draw, tame: bool) -> dict[str, bytes]:
    text = yaml.safe_dump(reading, allow_unicode=True, sort_keys=False)
    if not tame and (tag := draw(rarely(st.sampled_from(TAGS), odds=20))):  # tag, bad syntax
        text = text.replace("venue: The fuzzer", f"venue: {tag}")
    part = "\n\n".join(draw(st.lists(st.sampled_from(PRINTABLE if tame else HOSTILE + PROSE),
                                      max_size=4)))
    return {"fuzz.yaml": text.encode("utf-8", errors="surrogatepass"),
            "fuzz.txt": raw_bytes(lines, draw, tame),
            "part.md": part.encode("utf-8", errors="surrogatepass"),
            "notes.yaml": dump({"notes": draw(tame_notes(lines) if tame else
                                              st.lists(note(lines), max_size=3)
                                              | rarely(values, odds=8))}),
            "glossary.yaml": dump({"terms": draw(tame_terms(lines) if tame else
                                                 st.lists(term(lines), min_size=1, max_size=3)
                                                 | rarely(values, odds=8))})}


def tame_notes(lines: list[str]):
    """Well-formed notes, each after a phrase that opens a line of the raw text."""
    return st.lists(st.sampled_from(lines).flatmap(lambda line: st.fixed_dictionaries({
        "id": st.just(f"n{abs(hash(line)) % 1000}"), "reading": st.just("fuzz"),
        "after": st.just(line[:12]), "text": printable_texts})), max_size=2,
        unique_by=lambda n: n["after"])


def tame_terms(lines: list[str]):
    """Well-formed glossary terms, each a word of the raw text."""
    words = sorted({w for line in lines for w in re.findall(r"[A-Za-z]{4,}", line)}) or ["task"]
    return st.lists(st.sampled_from(words), min_size=1, max_size=2, unique=True).flatmap(
        lambda chosen: st.tuples(*[printable_texts] * len(chosen)).map(lambda definitions: [
            {"id": f"t{i}", "term": w, "definition": d, "forms": [w]}
            for i, (w, d) in enumerate(zip(chosen, definitions, strict=True))]))


def dump(data) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode(
        "utf-8", errors="surrogatepass")


def note(lines: list[str]):
    """An editor's note after a phrase of the raw text (or after anything at all)."""
    return st.fixed_dictionaries({
        "id": st.sampled_from(["n1", "n2", "n3"]) | texts,
        "reading": st.sampled_from(["fuzz", "fuzz", "other"]) | texts,
        "after": prefixes(lines), "text": texts}) | rarely(values, odds=8)


def term(lines: list[str]):
    """A glossary term whose form is a word of the raw text (or anything at all)."""
    words = sorted({w for line in lines for w in re.findall(r"\w+", line)}) or ["reader"]
    return st.fixed_dictionaries({
        "id": st.sampled_from(["t1", "t2"]) | rarely(texts, "t3"),
        "term": st.sampled_from(words) | texts, "definition": texts,
        "forms": st.lists(st.sampled_from(words) | rarely(texts, "x"), min_size=1,
                          max_size=2) | rarely(values, [], odds=8)},
        optional={"see_also": st.lists(st.sampled_from(["t1", "t2", "t9"]), max_size=2)
                  | values}) | rarely(values, odds=8)


@st.composite
def reader_file(draw, tame: bool = False) -> bytes:
    reader = dict(READER)
    values_for = {"front_matter": st.lists(PART, max_size=2) | values,
                  "back_matter": st.lists(PART, max_size=3) | values,
                  "editions": st.lists(EDITION, max_size=2) | values,
                  "readings": st.lists(paths | st.just("../sources/fuzz/fuzz.yaml"),
                                       max_size=2) | values}
    if draw(st.booleans()):
        reader["back_matter"] = [{"title": "Notes", "file": "../sources/fuzz/part.md"},
                                 {"generated": "permissions"}, {"generated": "colophon"}]
    if draw(st.booleans()):  # the generated apparatus: editor's notes and a glossary
        reader["editor_notes"] = "../sources/fuzz/notes.yaml"
        reader["glossary"] = "../sources/fuzz/glossary.yaml"
        reader.setdefault("back_matter", []).append({"generated": "glossary"})
    keys = st.lists(st.sampled_from(sorted(FREE_TEXT & set(READER_KEYS))), max_size=2,
                    unique=True) if tame else \
        rarely(st.lists(st.sampled_from(READER_KEYS), min_size=1, max_size=2, unique=True), [],
               odds=4)
    for key in draw(keys):
        free_text = key in FREE_TEXT and (tame or draw(st.booleans()))
        reader[key] = draw((printable_texts if tame else mixed_texts) if free_text
                           else values_for.get(key, values | paths))
    text = yaml.safe_dump(reader, allow_unicode=True, sort_keys=False)
    if not tame and (tag := draw(rarely(st.sampled_from(TAGS), odds=20))):
        text = text.replace("title: A Fuzzed Reader", f"title: {tag}")
    return text.encode("utf-8", errors="surrogatepass")


def write_case(project: Path, files: dict[str, bytes], reader: bytes) -> str:
    shutil.rmtree(project / "build", ignore_errors=True)
    shutil.rmtree(project / FUZZ, ignore_errors=True)
    (project / FUZZ).mkdir(parents=True)
    for name, data in files.items():
        (project / FUZZ / name).write_bytes(data)
    (project / "readers").mkdir(exist_ok=True)
    (project / "readers" / "fuzz.yaml").write_bytes(reader)
    return "readers/fuzz.yaml"


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("fuzz") / "project")


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(files=reading_files(), reader=reader_file())
def test_any_reader_loads_cleans_and_assembles_or_says_one_line(fuzz_project, monkeypatch,
                                                                files, reader):
    monkeypatch.chdir(fuzz_project)  # as doit runs: in the project
    reader_path = write_case(fuzz_project, files, reader)
    load_reader.cache_clear()
    try:
        loaded = load_reader(reader_path)
        for reading in loaded.readings:
            clean_reading(reader_path, reading.id)
            annotate_reading(reader_path, reading.id)
        assemble_reader(reader_path)
    except ReaderError as exc:
        assert_names_a_file(exc, fuzz_project)
    else:
        assert (fuzz_project / "build" / loaded.id / "reader.md").is_file()
    finally:
        load_reader.cache_clear()


# --------------------------------------------------------------------------- doit builds

ERROR_LINE = re.compile(r"^(error|warning): (?P<where>[^:]+)(:\d+)*: \S")


def assert_complete(path: Path) -> None:
    """A target that exists is whole: a PDF with pages, an EPUB whose XML all parses."""
    if path.suffix == ".pdf":
        document = pypdfium2.PdfDocument(path)
        assert len(document) > 0
        document.close()
    elif path.suffix == ".epub":
        with zipfile.ZipFile(path) as book:
            assert book.namelist()[0] == "mimetype"
            for name in book.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    xml.dom.minidom.parseString(book.read(name))  # well-formed, or raises


@settings(max_examples=5, deadline=None, database=None, derandomize=True,
          phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(files=st.one_of(reading_files(tame=True), reading_files(tame=True), reading_files()),
       reader=st.one_of(reader_file(tame=True), reader_file(tame=True), reader_file()))
def test_a_generated_reader_builds_or_stops_in_lines_naming_files(fuzz_project, files, reader):
    reader_path = write_case(fuzz_project, files, reader)
    result = doit(fuzz_project, f"reader={reader_path}", check=False)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode in (0, 1, 2), output
    lines = result.stderr.splitlines()
    if result.returncode:
        assert lines, output
        header = re.fullmatch(r"error: \d+ configuration errors:", lines[0])
        for line in lines[1:] if header else lines:
            match = ERROR_LINE.match(line if not header else f"error: {line}")
            assert match, line
            where = Path(match["where"])
            assert (fuzz_project / where).is_file() or where.is_file(), line  # names a file
    assert not [p for p in fuzz_project.rglob("*.part")], output
    out = fuzz_project / "build"
    for target in [*out.rglob("*.pdf"), *out.rglob("*.epub")]:
        assert_complete(target)


def test_a_character_no_font_has_is_named_where_it_is_written(fuzz_project):
    """Found by the fuzzer: Japanese in a reading stopped the PDF with 'WeasyPrint: …', naming
    no file. The message names the raw text and line that hold the character."""
    raw = "\n".join([*PROSE[:2], "日本語の本文"]).encode()
    files = {"fuzz.yaml": dump(READING), "fuzz.txt": raw, "part.md": b"", "notes.yaml": b"",
             "glossary.yaml": b""}
    reader_path = write_case(fuzz_project, files, dump(READER))
    result = doit(fuzz_project, f"reader={reader_path}", "pdf", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("error: sources/fuzz/fuzz.txt:3: the A4 edition: WeasyPrint: "), line
    assert "(U+65E5)" in line
    assert not list((fuzz_project / "build").rglob("*.pdf"))


# What the fuzzer found, kept as cases of their own (each crashed with a TypeError, OSError or
# ValueError before it was fixed).
FOUND = [
    ("reading", {"rules": [{"name": "r", "reason": "x", "action": "drop", "line": "1.",
                            "join": []}]}, "rules[0].join: expected a whole number, got list"),
    ("reading", {"rules": [{"name": "r", "reason": "x", "action": "drop", "line": "1.",
                            "count": "two"}]}, "rules[0].count: expected a whole number"),
    ("reading", {"use": [{"set": "wordpress", "except": [["comment-form"]]}]},
     "rule set 'wordpress' has no rule"),
    ("reading", {"use": ["a" * 300]}, "use[0]: no rule set 'aaaa"),
    ("reading", {"raw": "a" * 300}, "raw: 'aaaa"),
    ("reader", {"csl": "a" * 300}, "csl: 'aaaa"),
    ("reader", {"page_list_edition": [None]}, "page_list_edition: expected text, got list"),
]


@pytest.mark.parametrize(("which", "change", "message"), FOUND,
                         ids=[f"{w}-{next(iter(c))}" for w, c, _ in FOUND])
def test_what_the_fuzzer_found_is_one_line(fuzz_project, monkeypatch, which, change, message):
    monkeypatch.chdir(fuzz_project)
    raw = "\n".join(PROSE).encode()
    reading, reader = ({**READING, **change}, READER) if which == "reading" else \
        (READING, {**READER, **change})
    files = {"fuzz.yaml": dump(reading), "fuzz.txt": raw, "part.md": b"x", "notes.yaml": b"",
             "glossary.yaml": b""}
    load_reader.cache_clear()
    with pytest.raises(ReaderError) as caught:
        load_reader(write_case(fuzz_project, files, dump(reader)))
    assert_names_a_file(caught.value, fuzz_project)
    assert message in str(caught.value)


def test_a_null_optional_value_is_as_if_left_out(fuzz_project, monkeypatch):
    monkeypatch.chdir(fuzz_project)
    files = {"fuzz.yaml": dump({**READING, "dek": None, "short_title": None}),
             "fuzz.txt": "\n".join(PROSE).encode(), "part.md": b"x", "notes.yaml": b"",
             "glossary.yaml": b""}
    load_reader.cache_clear()
    reader = load_reader(write_case(fuzz_project, files, dump(READER)))
    assert reader.readings[0].dek == ""
    assert reader.readings[0].short_title == READING["title"]


def test_a_fenced_div_left_open_in_a_part_is_named_there(tmp_path):
    """Found by the fuzzer: '::: {.x}' left open in a part passed assembly (pandoc only
    warned, on the terminal) and failed the renders naming build/…/reader.md."""
    from coursepack.safety import check_markdown

    part = tmp_path / "part.md"
    part.write_text("Intro.\n\n::: {.x}\n\nText.\n", encoding="utf-8")
    with pytest.raises(ReaderError) as caught:
        check_markdown(part.read_text(encoding="utf-8"), part, tmp_path)
    assert str(caught.value).startswith("part.md:3: Div at line 3 column 1 unclosed")


def test_line_and_paragraph_separators_are_spaces_in_text_and_escaped_in_messages():
    """Found by the fuzzer: U+2028 in a raw text stopped the PDF (no typeface has a glyph for
    it), and the message quoting it broke in two lines."""
    from coursepack.forms import printable
    from coursepack.textnorm import normalise_space

    assert normalise_space("one\u2028two\u2029three") == "one two three"
    assert printable("a\u2028b") == "a<U+2028>b"
    assert str(ReaderError("x.txt", "quoting “\u2028”")).splitlines() == [
        "x.txt: quoting “<U+2028>”"]
