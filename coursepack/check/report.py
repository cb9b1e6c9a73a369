"""The report a person reads, and the external links listed for them (never fetched)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .common import Finding
from .container import _scan_links


def format_report(findings: Sequence[Finding], artifacts: Sequence[str] = ()) -> str:
    """A readable report grouped by artifact and check, ending with a summary line.

    ``artifacts`` names every artifact that was checked, so clean ones can be listed as
    passed and counted."""
    names = list(dict.fromkeys([*artifacts, *(f.artifact for f in findings)]))
    lines: list[str] = []
    for artifact in names:
        own = [f for f in findings if f.artifact == artifact]
        if not own:
            lines.append(f"{artifact}: ok")
            continue
        lines.append(f"{artifact}: {len(own)} finding{'s' if len(own) != 1 else ''}")
        for check in dict.fromkeys(f.check for f in own):
            lines.append(f"  [{check}]")
            lines += [f"    - {f.message}" for f in own if f.check == check]
    if findings:
        failed = len({f.artifact for f in findings})
        lines.append(f"check: {len(findings)} finding{'s' if len(findings) != 1 else ''} "
                     f"in {failed} artifact{'s' if failed != 1 else ''}")
    else:
        lines.append(f"check: all checks passed on {len(names)} "
                     f"artifact{'s' if len(names) != 1 else ''}")
    return "\n".join(lines)


def external_links(path: Path) -> list[str]:
    """The http(s) links of an EPUB or PDF: listed for a human, never fetched."""
    path = Path(path)
    if path.suffix.lower() == ".epub":
        with zipfile.ZipFile(path) as zf:
            return _scan_links(zf).external
    import pikepdf

    found = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and action.get("/S") == "/URI":
                    uri = str(action.get("/URI", ""))
                    if re.match(r"https?://", uri):
                        found.add(uri)
    return sorted(found)
