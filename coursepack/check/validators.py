"""The external EPUB validators: EPUBCheck (conformance), Ace by DAISY (accessibility) and
calibre's ``ebook-convert`` (a real reading system's text). Each returns its failing messages."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .common import ToolMissing, _run, _tail
from .runtimes import JAVA_OPTIONS, _chromium, _java, _node, ensure_ace, epubcheck_jar

EPUBCHECK_TIMEOUT = 300


ACE_TIMEOUT = 300


CALIBRE_TIMEOUT = 300


EPUBCHECK_FAILING = ("FATAL", "ERROR", "WARNING")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
