"""Paragraph numbers: the anchor each paragraph of a reading carries, and how it is cited.

Every body paragraph and block quotation of a reading is numbered ¶ 1 … n in reading order
(headings and embedded posts are not counted). The number is positional *within its reading*:
it depends only on that reading's cleaned paragraphs, so a change to another reading, to the
reader's or the reading's metadata, to a citation, note or glossary term, or to a cleaning rule
that does not add, remove or split a paragraph of the body never renumbers anything. A rule
change that does change the body's paragraphs (a boilerplate line that leaked into the body and
is now dropped, a line that becomes a heading) renumbers the paragraphs after it, as it must:
the number names the paragraph's place in the text the students read. The cleaned Markdown
goldens (tests/golden/) make such a change visible in review.

The anchor ``[]{#greene-p4 .pnum n="4"}`` opens the paragraph. In print, CSS shows ``n`` in the
outer margin (coursepack.pagemap places it); in the EPUB a filter turns it into a link target
and a visible number hidden from screen readers. A reading with ``paragraph_numbers: false``
keeps its ids (links still land) but shows no numbers, and is cited without them.
"""

from __future__ import annotations

import re

PNUM_CLASS = "pnum"
# A paragraph block as the annotate stage writes it, with or without its number: its prefix
# (a block quotation's "> " or a commentary div's opening line), id, number, body and the
# commentary div's closing fence.
ANCHOR = re.compile(
    r'^(> |::: \{\.commentary[^}\n]*\}\n)?\[\]\{#([a-z0-9-]+-p(\d+))(?: \.pnum n="\d+")?\}'
    r"(.*?)(\n:::)?$", re.S)


def paragraph_id(reading_id: str, n: int) -> str:
    return f"{reading_id}-p{n}"


def anchor(reading_id: str, n: int, numbered: bool) -> str:
    """The Markdown that opens paragraph ``n``: an id, and the number to show if numbered."""
    shown = f' .{PNUM_CLASS} n="{n}"' if numbered else ""
    return f"[]{{#{paragraph_id(reading_id, n)}{shown}}}"


def label(name: str, n: int | str, numbered: bool) -> str:
    """How the apparatus names a paragraph: "Greene ¶ 4", or "Greene" when none is shown."""
    return f"{name} ¶ {n}" if numbered else name
