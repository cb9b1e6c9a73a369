"""Check stage: prove the built artifacts with real validators.

This package owns the check stage of the pipeline, one module per concern. It opens finished
artifacts and reports every problem it finds as a :class:`Finding`; it never changes one.

EPUB (``check_epub``):

* ``epubcheck`` -- EPUBCheck 5.3 (the jar bundled with the ``epubcheck`` Python package, run
  with ``java -jar``). Every message of severity FATAL, ERROR or WARNING is a finding: the gate
  wants zero errors and zero warnings. INFO and USAGE messages are advice, not conformance
  problems; USAGE is not requested (no ``--usage``) so it cannot fail the build.
* ``zip`` -- the OCF container rules EPUBCheck 5.3 does not enforce: the first zip entry is
  ``mimetype``, stored (not deflated), with no extra field and exactly ``application/epub+zip``.
* ``links`` -- every ``href``/``src`` in the XHTML, SVG and NCX files that points inside the
  book names an existing file and, with a fragment, an existing ``id`` in that file. External
  links are collected by :func:`external_links`, never fetched.
* ``ace`` -- Ace by DAISY (``@daisy/ace-cli`` from ``tools/``, run with Debian's Chromium);
  every failed assertion of ``report.json`` is a finding with rule id, impact and location.
* ``calibre`` -- ``ebook-convert`` (headless) turns the book into plain text; each expected
  section text must appear in it (whitespace-normalised, case-sensitive).

PDF (``check_pdf``, with pikepdf): ``read``, ``tagged``, ``pdfua``, ``lang``, ``title``,
``outline``, ``fonts`` and ``links`` (see the ``_pdf_*`` helpers); then, reading the page as
a reader sees it (pypdfium2): ``notes`` (each note on its call's page, in order),
``citations`` (in square brackets), ``pages`` (no near-empty page) and, for a large-print
edition, ``large-print`` (ranged left, unhyphenated, nothing below the body size). The
EPUB's ``notes`` and ``citations`` are checked too, and the reader's gate compares the
numbering of the notes in the EPUB and in each PDF (``numbering``).

A validator that cannot run (no Java, no Chromium, no calibre, no Node.js) is a finding that
says what to install, never a silent pass. Command line::

    python -m coursepack.check [--no-ace] [--no-calibre] [--expect-section TEXT]...
                               [--lang LANG] [--title TITLE] [--large-print PT] FILE...

Modules: ``common`` (findings), ``runtimes`` (Java, Node.js, Ace, Chromium), ``validators``
(EPUBCheck, Ace, calibre), ``container`` (zip and links), ``epub``, ``pdf``, ``notes``,
``citations``, ``layout``, ``credits``, ``accessibility``, ``report``, ``pages`` (the EPUB's
page list and paragraph numbers against the PDF), ``reader`` (the reader's gate) and ``cli``.
"""

from .cli import main
from .common import Finding, ToolMissing
from .container import epub_link_messages, epub_zip_messages
from .epub import check_epub
from .pages import check_pages
from .pdf import check_pdf
from .reader import check_reader, expected_texts, plain_words
from .report import external_links, format_report
from .validators import ace_messages, calibre_messages, epubcheck_messages

__all__ = ["Finding", "ToolMissing", "ace_messages", "calibre_messages", "check_epub",
           "check_pages", "check_pdf", "check_reader", "epub_link_messages", "epub_zip_messages",
           "epubcheck_messages", "expected_texts", "external_links", "format_report", "main",
           "plain_words"]
