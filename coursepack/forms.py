"""Closed forms for the values of user files: what each value may be, and its problem if not.

Every value in every user file is untrusted. A value that lands in CSS, a command line, a
URL or an attribute is checked here against a closed form (a page size from a list, a number
in a range, a URL with an allowed scheme, an identifier of letters and digits) before any
stage uses it; free text is escaped where it lands instead (``textnorm.escape_markdown``).

Each check returns ``None`` when the value is good, or what is wrong and what to do, for the
configuration step to report as ``file: key: message``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# --- characters ---------------------------------------------------------------------------

# C0 controls (except tab and line feed), DEL and C1 controls: never text. XML 1.0 forbids
# most of them, terminals obey some of them (ESC starts a control sequence).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What must not reach a terminal raw: every control character, the line and paragraph
# separators (a line of text would break in two), and the bidirectional
# overrides and isolates, which reorder what a person sees.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: each control character shown as <U+XXXX>
    (a line feed and a tab too: a message stays on its line)."""
    return UNPRINTABLE.sub(lambda m: f"<{codepoint(m.group())}>", text)


def control_character(text: str) -> tuple[int, int, str] | None:
    """(line, column, U+XXXX) of the first control character in ``text``, or None."""
    match = CONTROL.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return line, column, codepoint(match.group())


def value_problem(data: Any, where: str = "") -> tuple[str, str] | None:
    """(key path, what is wrong) for the first string of parsed YAML/JSON data that holds a
    control character (escapes like "\\0" or "\\u0007" get past a check of the file's text)
    or a word too long for any line; None when every string is fine."""
    if isinstance(data, str):
        if found := CONTROL.search(data):
            return where, (f"control character {codepoint(found.group())} in the value (an "
                           "escape such as \\e or \\u0007); delete it")
        if found := long_word(data):
            return where, f"{found} in the value; {LONG_WORD_ADVICE}"
        return None
    items = data.items() if isinstance(data, dict) else \
        enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        path = f"{where}[{key}]" if isinstance(key, int) else \
            f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and (found := CONTROL.search(key)):
            return path, f"control character {codepoint(found.group())} in a key; delete it"
        if problem := value_problem(value, path):
            return problem
    return None


# A word longer than this (no space, no hyphen) fits no line: broken anywhere, it would fill
# lines with fragments, and WeasyPrint's hyphenation of it grows with its square (a word of
# 5,000 letters took a minute), so it is refused. Shorter words break anywhere
# (``overflow-wrap: anywhere`` in print.css and epub.css) rather than run off the page.
MAX_WORD = 1000
_LONG_WORD = re.compile(rf"[^\s\-\u2010-\u2014]{{{MAX_WORD + 1},}}")
LONG_WORD_ADVICE = "no page can hold it; shorten it, or split it with spaces"


def long_word(text: str) -> str | None:
    """'a word of N characters without a space (starting "…")' for the first word of
    ``text`` longer than MAX_WORD characters, or None."""
    match = _LONG_WORD.search(text)
    if match is None:
        return None
    return (f"a word of {len(match.group())} characters without a space (starting "
            f"“{match.group()[:12]}…”)")


# --- editions -----------------------------------------------------------------------------

# CSS named page sizes (CSS Paged Media 3), in the spelling written to the stylesheet.
PAGE_SIZES = {name.casefold(): name for name in
              ("A5", "A4", "A3", "B5", "B4", "JIS-B5", "JIS-B4", "letter", "legal", "ledger")}
_EXPLICIT_SIZE = re.compile(r"(\d{2,3}(?:\.\d)?) ?mm[ x×]+(\d{2,3}(?:\.\d)?) ?mm")
PAGE_MM = (70, 600)  # an explicit page side, in mm: from A7 to beyond A2
FONT_PT = (6, 36)  # body text size
LABEL_MAX = 60
ID = re.compile(r"[a-z][a-z0-9-]{0,40}")


def page_size(value: str) -> tuple[str | None, str | None]:
    """(the CSS page size, None) or (None, the problem): a named size, optionally followed
    by ``landscape``, or width and height in millimetres (``148mm 210mm``)."""
    words = value.split()
    orientation = ""
    if len(words) == 2 and words[1].casefold() in ("landscape", "portrait"):
        orientation = " " + words[1].casefold()
        words = words[:1]
    if len(words) == 1 and words[0].casefold() in PAGE_SIZES:
        return PAGE_SIZES[words[0].casefold()] + orientation, None
    if match := _EXPLICIT_SIZE.fullmatch(value.strip()):
        sides = [float(s) for s in match.groups()]
        if all(PAGE_MM[0] <= s <= PAGE_MM[1] for s in sides):
            return " ".join(f"{s:g}mm" for s in sides), None
        return None, (f"'{value}' is out of range; each side is {PAGE_MM[0]} to "
                      f"{PAGE_MM[1]} mm")
    names = ", ".join(PAGE_SIZES.values())
    return None, (f"'{value}' is not a page size; use one of {names} (optionally followed "
                  "by 'landscape'), or width and height such as '148mm 210mm'")


def font_size(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "expected a number of points, such as 10.5"
    if not FONT_PT[0] <= value <= FONT_PT[1]:
        return f"{value:g} is out of range; give {FONT_PT[0]} to {FONT_PT[1]} points"
    return None


def plain_label(value: str, longest: int = LABEL_MAX) -> str | None:
    """A short line of plain text (shown as text wherever it lands, never as markup)."""
    if CONTROL.search(value) or "\n" in value or "\t" in value:
        return "must be one line of plain text, without control characters"
    if not value.strip() or len(value) > longest:
        return f"must be 1 to {longest} characters"
    return None


def identifier(value: str) -> str | None:
    if not ID.fullmatch(value):
        return ("use lowercase letters, digits and hyphens, starting with a letter "
                "(at most 41 characters)")
    return None


# --- reader and reading metadata ----------------------------------------------------------

LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,39}")
URN_OR_URI = re.compile(r"(urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:|https?://|isbn:|doi:)"
                        r"[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,200}")
URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)?")
DOI = re.compile(r"10\.\d{4,9}/[A-Za-z0-9._;()/:+-]{1,200}")
CITATION_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.-]{0,80}")


def language(value: str) -> str | None:
    if not LANGUAGE.fullmatch(value):
        return f"'{value}' is not a language tag; write e.g. en-GB, en or fr"
    return None


def iso_date(value: str) -> str | None:
    """A date as precise as it is known: YYYY, YYYY-MM or YYYY-MM-DD, and a real one."""
    formats = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
    try:
        if len(value) not in formats or not re.fullmatch(r"[0-9-]+", value):
            raise ValueError
        dt.datetime.strptime(value, formats[len(value)])
    except ValueError:
        return f"'{value}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2022-07-29)"
    return None


def version(value: str) -> str | None:
    if not VERSION.fullmatch(value):
        return f"'{value}' is not a version; use digits, letters, dots and hyphens (1.0.2)"
    return None


def package_identifier(value: str) -> str | None:
    if not URN_OR_URI.fullmatch(value):
        return ("not an identifier; give a URN (urn:uuid:…, urn:isbn:…) or a URL, "
                "without spaces, quotes or angle brackets")
    return None


def web_url(value: str) -> str | None:
    """An http(s) address: nothing else (no file:, javascript:, data:) is ever linked."""
    if not URL.fullmatch(value):
        return (f"'{value}' is not a web address; give an http:// or https:// URL without "
                "spaces, quotes or angle brackets")
    return None


def doi(value: str) -> str | None:
    if not DOI.fullmatch(value):
        return f"'{value}' is not a DOI; write it as 10.NNNN/suffix, without the https://doi.org/"
    return None


def citation_key(value: str) -> str | None:
    if not CITATION_KEY.fullmatch(value):
        return (f"'{value}' is not a citation key; use letters, digits, '_', ':', '.' and "
                "'-' only")
    return None


LOCATOR = re.compile(r"[\w .,:;§–-]{1,40}")


def locator(value: str) -> str | None:
    if not LOCATOR.fullmatch(value):
        return (f"'{value}' is not a locator; write e.g. 'p. 33' or 'chap. 2' (letters, "
                "digits, spaces and . , : ; § – only)")
    return None


def _problems(checks: list[tuple[str, Any, Any]]) -> list[tuple[str, str]]:
    """(key, problem) for each (key, value, check) whose value is a string the check refuses
    (values of the wrong type are reported by the configuration's type check)."""
    return [(key, problem) for key, value, check in checks
            if isinstance(value, str) and value and (problem := check(value))]


def reader_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Values of the reader file that land in metadata as they stand (the language and the
    date are checked with the configuration)."""

    return _problems([("version", str(d["version"]) if d.get("version") is not None else None,
                       version),
                      ("identifier", d.get("identifier"), package_identifier)])


def reading_problems(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Values of a reading file that land in a link, a date computation or a citation."""
    repost = d.get("repost") if isinstance(d.get("repost"), dict) else {}
    checks = [("url", d.get("url"), web_url), ("repost.url", repost.get("url"), web_url),
              ("key", d.get("key"), citation_key)]
    for i, item in enumerate(d.get("citations") or []):
        if isinstance(item, dict):
            checks += [(f"citations[{i}].key", item.get("key"), citation_key),
                       (f"citations[{i}].locator", item.get("locator"), locator)]
    return _problems(checks)


def csl_item_problems(item: dict[str, Any]) -> list[str]:
    """A CSL-JSON item's id, URL and DOI: they become citation keys and live links."""
    return [f"item '{item.get('id')}': {key}: {problem}" for key, problem in _problems([
        ("id", item.get("id"), citation_key), ("URL", item.get("URL"), web_url),
        ("DOI", item.get("DOI"), doi)])]
