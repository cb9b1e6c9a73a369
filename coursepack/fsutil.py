"""File I/O at the edges: atomic writes and strict UTF-8 reads."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import ReaderError
from .forms import control_character


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A build that fails or is killed mid-write never leaves a truncated file at ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise ReaderError(path.parent, f"cannot write here ({exc.strerror}); "
                          "choose a writable build directory") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReaderError(path, f"cannot write ({exc.strerror}); {WRITE_ADVICE}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Errors of the machine rather than of the code: reported in one line, never a traceback.
ENVIRONMENT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO,
                                errno.EROFS, errno.EACCES, errno.EPERM})
WRITE_ADVICE = "free some disk space (or fix the permissions) and build again"


def environment_error(exc: OSError) -> ReaderError | None:
    """A disk or permission error raised anywhere in a stage, as one line; None otherwise."""
    if exc.errno not in ENVIRONMENT_ERRORS:
        return None
    return ReaderError(exc.filename or "build", f"cannot read or write ({exc.strerror}); "
                       f"{WRITE_ADVICE}")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; a BOM and CRLF line endings are accepted silently."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReaderError(path, "file not found; check the path in the YAML that names it") \
            from None
    except OSError as exc:
        raise ReaderError(path, f"cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReaderError(
            path,
            f"not UTF-8 (invalid byte 0x{raw[exc.start]:02x} at byte offset {exc.start}); "
            "re-save the file as UTF-8",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if found := control_character(text):
        line, column, char = found
        raise ReaderError(f"{path}:{line}:{column}", f"control character {char} (not text); "
                          "delete it, or retype the text around it")
    return text
