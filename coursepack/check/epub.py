"""All checks on one EPUB: EPUBCheck, the zip container, internal links, Ace and calibre."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from .citations import epub_citation_messages
from .common import Finding, _guarded
from .container import epub_link_messages, epub_zip_messages
from .notes import epub_note_messages
from .validators import ace_messages, calibre_messages, epubcheck_messages


def check_epub(path: Path, *, expected_sections: Sequence[str] = (), ace: bool = True,
               calibre: bool = True) -> list[Finding]:
    """All EPUB checks on one book; an empty list means it passed."""
    path = Path(path)
    artifact = str(path)
    if not path.is_file():
        return [Finding(artifact, "read", "file does not exist")]
    if not zipfile.is_zipfile(path):
        return [Finding(artifact, "zip", "not a zip archive")]
    findings = _guarded(artifact, "epubcheck", lambda: epubcheck_messages(path))
    findings += _guarded(artifact, "zip", lambda: epub_zip_messages(path))
    findings += _guarded(artifact, "links", lambda: epub_link_messages(path))
    findings += _guarded(artifact, "notes", lambda: epub_note_messages(path)[0])
    findings += _guarded(artifact, "citations", lambda: epub_citation_messages(path))
    if ace:
        findings += _guarded(artifact, "ace", lambda: ace_messages(path))
    if calibre:
        findings += _guarded(artifact, "calibre",
                             lambda: calibre_messages(path, expected_sections))
    return findings
