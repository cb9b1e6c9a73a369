"""General text normalisation and Markdown escaping, applied to every kept line of a raw text.

Pure ``str -> str`` functions. Cleaning *rules* (what to drop, what is a heading) live in each
reading's YAML; what lives here is what every copy-pasted web text needs.
"""

from __future__ import annotations

import re
import unicodedata

NO_BREAK_SPACE = "\u00a0"
ZERO_WIDTH_SPACE = "\u200b"
BYTE_ORDER_MARK = "\ufeff"
LEFT_DOUBLE_QUOTE, RIGHT_DOUBLE_QUOTE = "\u201c", "\u201d"
LEFT_SINGLE_QUOTE, RIGHT_SINGLE_QUOTE = "\u2018", "\u2019"
EN_DASH, EM_DASH, ELLIPSIS = "\u2013", "\u2014", "\u2026"
# Noncharacters, which Unicode reserves for a program's internal use: while a unit's text is
# normalised and escaped, they stand for emphasis and note calls (coursepack.textshape). A raw
# text never keeps one (normalise_space removes them).
EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE, NOTE_CALL = (
    "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3", "\ufdd4")

# Any Unicode space separator (no-break, thin, figure, ideographic ...), tab, or line or
# paragraph separator (U+2028, U+2029: no typeface has a glyph for them) becomes a space.
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_INVISIBLE = re.compile(f"[{ZERO_WIDTH_SPACE}{BYTE_ORDER_MARK}\u00ad\ufdd0-\ufdef]")
_RUNS = re.compile(r" {2,}")
# A straight quote opens after the start, a space, an opening bracket or dash, or emphasis.
_OPENER = "(^|[\\s(\\[{\u2014\u2013" + EM_OPEN + STRONG_OPEN + "])"
_OPEN_DOUBLE = re.compile(_OPENER + '"')
_OPEN_SINGLE = re.compile(_OPENER + "'")
_NUMBER_RANGE = re.compile(r"(?<=\d)-(?=\d)")
_SPACED_HYPHEN = re.compile(r"(?<=\S) - (?=\S)")


def normalise_space(text: str) -> str:
    """Unicode NFC; odd spaces to plain spaces; invisible characters removed; runs collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    return _RUNS.sub(" ", text).strip()


def curl_quotes(text: str) -> str:
    """Turn straight quotes into curly ones; apostrophes become right single quotes."""
    text = _OPEN_DOUBLE.sub(lambda m: m.group(1) + LEFT_DOUBLE_QUOTE, text)
    text = text.replace('"', RIGHT_DOUBLE_QUOTE)
    text = _OPEN_SINGLE.sub(lambda m: m.group(1) + LEFT_SINGLE_QUOTE, text)
    return text.replace("'", RIGHT_SINGLE_QUOTE)


def proper_dashes(text: str) -> str:
    """Number ranges (10-14) take an en dash; a spaced hyphen becomes a spaced en dash."""
    text = text.replace("---", EM_DASH).replace("--", EN_DASH)
    text = _NUMBER_RANGE.sub(EN_DASH, text)
    text = _SPACED_HYPHEN.sub(f" {EN_DASH} ", text)
    return text.replace("...", ELLIPSIS)


def normalise(text: str) -> str:
    """All general normalisation, in order. Idempotent: normalise(normalise(t)) == normalise(t)."""
    return proper_dashes(curl_quotes(normalise_space(text)))


# Characters pandoc's Markdown reader would take for markup anywhere in a line: emphasis,
# links, citations (@key), raw HTML, maths, sub/superscript, spans, tables, entities.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]{}<>@$~^|&#])")
# Line starts that pandoc would read as a list, a heading, a quotation or a div fence.
_LIST_START = re.compile(r"^(\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|\\#))([.)])(\s|$)", re.M)
_BLOCK_START = re.compile(r"^([-+:=%])", re.M)


def escape_markdown(text: str) -> str:
    """Escape a line of plain text so that pandoc reads every character literally."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _LIST_START.sub(r"\1\\\2\3", text)
    return _BLOCK_START.sub(r"\\\1", text)


def attribute_value(text: str) -> str:
    """Plain text for a quoted pandoc attribute value (``label="..."``): normalised, so its
    quotes are curly, and without backslashes; it cannot close the quotes or the braces."""
    return normalise(text).replace("\\", "")


def to_markdown(text: str) -> str:
    """Normalised and escaped: the form a raw phrase takes in the cleaned Markdown."""
    return escape_markdown(normalise(text))
