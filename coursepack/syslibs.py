"""The system libraries WeasyPrint loads (GLib, Pango, HarfBuzz and its subsetter, fontconfig).

They are the build's only system dependencies, listed with the rest in
``tools/system-packages.txt``, which ``./run`` installs from. This module checks them where
WeasyPrint is first imported, so that a missing one is one line naming the Debian packages
and the command that installs them, never a traceback or WeasyPrint's warning about fontTools.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from importlib import import_module
from pathlib import Path

from .errors import ReaderError

PACKAGES_FILE = Path(__file__).resolve().parent.parent / "tools" / "system-packages.txt"


def debian_packages(command: str, text: str | None = None) -> list[str]:
    """The Debian packages ``./run COMMAND`` needs, from tools/system-packages.txt."""
    if text is None:
        text = PACKAGES_FILE.read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and len(fields) >= 2 \
                and command in fields[1].split(","):
            found.append(fields[0])
    return found


def install_hint(command: str = "build") -> str:
    try:
        packages = " ".join(debian_packages(command))
    except OSError:
        packages = f"(the packages for {command} in tools/system-packages.txt)"
    return (f"install the packages it needs with: sudo apt-get install --no-install-recommends "
            f"{packages} (./run {command} does this by itself)")


def require_weasyprint() -> None:
    """Import WeasyPrint's library bindings; raise ReaderError if a library is missing."""
    try:
        # WeasyPrint prints a banner before it raises, and warns about a missing subsetter.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ffi = import_module("weasyprint.text.ffi")
    except OSError as exc:
        first = str(exc).split(":")[0]  # "cannot load library 'libgobject-2.0-0'"
        raise ReaderError("WeasyPrint", f"{first}: a system library is missing; "
                          f"{install_hint()}") from None
    if getattr(ffi, "harfbuzz_subset", None) is None:
        raise ReaderError("WeasyPrint", "cannot load HarfBuzz-Subset (libharfbuzz-subset0), "
                          f"which embeds only the glyphs used; {install_hint()}")
