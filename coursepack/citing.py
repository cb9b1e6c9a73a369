"""The "cite this reader" aid: how to cite a passage by paragraph (any format) or by page (one
edition), with an example taken from the book itself.

The example is a real paragraph (the first numbered reading's ¶ 4, or its last paragraph if it
has fewer). Its page is never written into the Markdown, which every format shares: it is a link
``[](#greene-p4){.page-ref}`` that each format fills, and the edition's name is a span
``[]{.edition-name}``. In print, CSS writes the page of the edition in hand
(``target-counter``, paragraph-numbers.css) and the edition's label (:func:`edition_name_css`);
in the EPUB, coursepack.pagelist writes the page and label of the page-list edition, from the
page map. Neither needs a second layout.
"""

from __future__ import annotations

from .annotate import Paragraph
from .config import Reader
from .paragraphs import label, paragraph_id
from .textnorm import escape_markdown, normalise


def _md(text: str) -> str:
    return escape_markdown(normalise(text))


def cite_aid_markdown(reader: Reader, index: dict[str, list[Paragraph]]) -> str:
    """The aid's Markdown (a level-2 section for the colophon)."""
    numbered = [r for r in reader.readings if r.paragraph_numbers and index.get(r.id)]
    page_edition = reader.page_source.label
    out = ["## Citing this reader {#citing-this-reader}", ""]
    if numbered:
        reading = numbered[0]
        n = min(4, len(index[reading.id]))
        target = paragraph_id(reading.id, n)
        name = label(reading.author_surnames, n, True)
        out += [f"The paragraphs of the readings are numbered: in the outer margin of the "
                f"printed editions, at the start of each paragraph in the EPUB. The numbers are "
                f"the same in every format, so a passage cited by author and paragraph can be "
                f"found in any of them: for example, [{_md(name)}](#{target}).", ""]
        place = f"{_md(name)} begins on page [](#{target}){{.page-ref}}"
        pinpoint = f"¶ {n}, p. [](#{target}){{.page-ref}}"
    else:
        reading = reader.readings[0]
        target = reading.id
        place = f"{_md(reading.title)} begins on page [](#{target}){{.page-ref}}"
        pinpoint = f"p. [](#{target}){{.page-ref}}"
    out += [f"Page numbers differ from one edition to another, so a citation by page names "
            f"its edition: {place} of the []{{.edition-name}} edition. The EPUB carries the "
            f"page numbers of the {_md(page_edition)} edition, which a reading system's “go to "
            f"page” finds, so that a student reading on screen can cite the same pages as one "
            f"holding the {_md(page_edition)} print.", ""]
    authors = " and ".join(reading.authors)
    editors = ", ".join(reader.editors)
    out += [f"A full citation: {_md(authors)}, “{_md(reading.title)},” in *{_md(reader.title)}*, "
            f"ed. {_md(editors)}, []{{.edition-name}} edition (version {_md(reader.version)}, "
            f"{_md(reader.date[:4])}), {pinpoint}."]
    return "\n".join(out)


def edition_name_css(edition_label: str) -> str:
    """Print CSS that writes the edition's label into ``span.edition-name``."""
    escaped = "".join(c if c.isalnum() or c in " .,()-" else f"\\{ord(c):x} "
                      for c in edition_label)
    return f'.edition-name::before {{ content: "{escaped}"; }}\n'
