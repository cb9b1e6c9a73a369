"""Annotate stage: cleaned Markdown -> Markdown with stable paragraph and heading ids.

Each body paragraph and block quotation gets an anchor ``<reading>-p<N>`` (numbered in
reading order), each heading an id ``<reading>-<slug>``; the stage also writes an index of
paragraph ids to their plain text, which the assembly uses to link editorial text to passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markdown import StageDoc

_HEADING = re.compile(r"^(#{2,4}) (.*)$")
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Paragraph:
    id: str
    text: str  # normalised plain text, Markdown escapes removed


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plain(markdown: str) -> str:
    """The plain text of an escaped Markdown line (as written by the clean stage)."""
    return _UNESCAPE.sub(r"\1", markdown)


def add_ids(reading_id: str, doc: StageDoc) -> tuple[StageDoc, list[Paragraph]]:
    """Give every paragraph, block quotation and heading a stable id."""
    blocks: list[str] = []
    paragraphs: list[Paragraph] = []
    for block in doc.blocks:
        heading = _HEADING.match(block)
        if heading:
            slug = slugify(plain(heading.group(2)))
            blocks.append(f"{block} {{#{reading_id}-{slug}}}")
        elif block.startswith(":::"):
            blocks.append(block)  # an embedded post: a quotation inside the paragraph flow
        else:
            pid = f"{reading_id}-p{len(paragraphs) + 1}"
            quoted = block.startswith("> ")
            body = block[2:] if quoted else block
            paragraphs.append(Paragraph(pid, plain(body)))
            blocks.append(("> " if quoted else "") + f"[]{{#{pid}}}{body}")
    return StageDoc(dict(doc.metadata), blocks), paragraphs
