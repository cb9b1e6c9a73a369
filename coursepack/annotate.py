"""Annotate stage: cleaned Markdown -> Markdown with ids, citations, notes and glossary links.

Each body paragraph and block quotation gets an anchor ``<reading>-p<N>`` (numbered in
reading order), each heading an id ``<reading>-<slug>``; the stage also writes an index of
paragraph ids to their plain text, which the assembly uses to link editorial text to passages.
Then the apparatus is added, in this order, to the paragraphs (and to the author's note that
the cleaner moved into the metadata): citations (coursepack.citations), editor's notes
(coursepack.notes) and links from each glossary term's first use (coursepack.glossary).
Markup is only ever added around or after the authors' words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .citations import place_citations
from .config import Reading
from .glossary import Term, mark_terms
from .insert import Unit
from .markdown import StageDoc
from .notes import Note, place_notes
from .paragraphs import ANCHOR, anchor, label, paragraph_id
from .textnorm import to_markdown

_HEADING = re.compile(r"^(#{2,4}) (.*)$")
_UNESCAPE = re.compile(r"\\(.)")
COMMENTARY = "::: {.commentary"
SECTION_BREAK = "* * *"
# Markup the clean stage writes around words: emphasis, spans with attributes, notes.
_NOTE = re.compile(r"\^\[")
_SPAN = re.compile(r"(?<!\\)\[([^\]]*)\]\{[^}]*\}")
_EMPHASIS = re.compile(r"(?<!\\)\*+")


@dataclass(frozen=True)
class Paragraph:
    id: str
    text: str  # normalised plain text, Markdown escapes removed


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plain(markdown: str) -> str:
    """The plain text of an escaped Markdown line (as written by the clean stage)."""
    return _UNESCAPE.sub(r"\1", markdown)


def _without_notes(markdown: str) -> str:
    out, at = [], 0
    for match in _NOTE.finditer(markdown):
        if match.start() < at:
            continue
        out.append(markdown[at:match.start()])
        depth, i = 0, match.start() + 1
        while i < len(markdown):
            if markdown[i] == "\\":
                i += 2
                continue
            depth += {"[": 1, "]": -1}.get(markdown[i], 0)
            i += 1
            if depth == 0:
                break
        at = i
    return "".join(out) + markdown[at:]


def plain_text(markdown: str) -> str:
    """The words of a cleaned block without its markup: notes, spans' attributes, emphasis,
    line breaks and escapes removed."""
    text = _without_notes(markdown).replace("\\\n", " ")
    text = _EMPHASIS.sub("", _SPAN.sub(r"\1", text))
    return plain(text)


def add_ids(reading_id: str, doc: StageDoc, numbered: bool = True
            ) -> tuple[StageDoc, list[Paragraph]]:
    """Give every paragraph, block quotation and heading a stable id (coursepack.paragraphs);
    ``numbered``: paragraphs also show their number."""

    blocks: list[str] = []
    paragraphs: list[Paragraph] = []
    seen: dict[str, int] = {}
    for block in doc.blocks:
        heading = _HEADING.match(block)
        if heading:
            # Unique in the reading: a repeated heading gets -2, -3 …; none takes the form
            # of a paragraph's id (p3), and a heading without Latin letters still gets one.
            slug = slugify(plain_text(heading.group(2))) or "section"
            slug = f"{slug}-heading" if re.fullmatch(r"p\d+", slug) else slug
            seen[slug] = seen.get(slug, 0) + 1
            suffix = f"-{seen[slug]}" if seen[slug] > 1 else ""
            blocks.append(f"{block} {{#{reading_id}-{slug}{suffix}}}")
        elif block == SECTION_BREAK or (block.startswith(":::")
                                        and not block.startswith(COMMENTARY)):
            blocks.append(block)  # a section break; an embedded post (a quotation in the flow)
        else:
            n = len(paragraphs) + 1
            prefix, body, suffix = "", block, ""
            if block.startswith("> "):
                prefix, body = "> ", block[2:]
            elif block.startswith(COMMENTARY):
                head, _, rest = block.partition("\n")
                prefix, body, suffix = head + "\n", rest[:-4], "\n:::"
            paragraphs.append(Paragraph(paragraph_id(reading_id, n), plain_text(body)))
            blocks.append(f"{prefix}{anchor(reading_id, n, numbered)}{body}{suffix}")
    return StageDoc(dict(doc.metadata), blocks), paragraphs


@dataclass(frozen=True)
class Apparatus:
    """What the annotate stage adds, with the file each part comes from (for errors)."""

    bibliography: dict[str, dict] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    terms: tuple[Term, ...] = ()
    reading_where: str = "reading"
    notes_where: str = "editor notes"


def annotate(reading: Reading, doc: StageDoc, apparatus: Apparatus
             ) -> tuple[StageDoc, list[Paragraph]]:
    """Ids, then citations, editor's notes and glossary links in paragraphs and source note."""
    numbered = reading.paragraph_numbers
    doc, paragraphs = add_ids(reading.id, doc, numbered)
    slots, units = [], []
    for i, block in enumerate(doc.blocks):
        m = ANCHOR.match(block)
        if m:
            n = int(m.group(3))
            slots.append((i, (m.group(1) or "") + anchor(reading.id, n, numbered),
                          m.group(5) or ""))
            units.append(Unit(m.group(2), label(reading.author_surnames, n, numbered),
                              m.group(4), quoted=m.group(1) == "> "))
    source_notes = [to_markdown(n) for n in doc.metadata.get("source_note") or []]
    units += [Unit(f"{reading.id}-source-note", f"{reading.author_surnames}, source note", n)
              for n in source_notes]
    if reading.citations:
        units = place_citations(units, reading.citations, apparatus.bibliography,
                                apparatus.reading_where)
    notes = tuple(n for n in apparatus.notes if n.reading == reading.id)
    if notes:
        units = place_notes(units, notes, apparatus.notes_where)
    terms = tuple(t for t in apparatus.terms if t.marks(reading.id))
    body = mark_terms(units[:len(slots)], terms)
    blocks = list(doc.blocks)
    for (i, prefix, suffix), unit in zip(slots, body, strict=True):
        blocks[i] = prefix + unit.text + suffix
    metadata = dict(doc.metadata)
    if source_notes:
        metadata["source_note_md"] = [u.text for u in units[len(slots):]]
    return StageDoc(metadata, blocks), paragraphs
