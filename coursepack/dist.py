"""Release stage: the built artifacts under versioned names in ``dist/``, with checksums and a
build manifest from which anyone can verify the release (see docs/releases.md).

``dist/`` holds exactly one release and is replaced as a whole (a temporary directory, then a
rename), so it is never half written. Also a command: ``python -m coursepack.dist compare A B``
names every file that differs between two release directories (for an EPUB, its first
differing zip member).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .config import Reader, load_reader
from .dates import (
    epoch_and_source,
    git,
    input_pathspecs,
    iso_timestamp,
    label,
    reader_inputs,
)
from .errors import ReaderError

SUMS = "SHA256SUMS"
PACKAGES = ("WeasyPrint", "pydyf", "fonttools", "Pyphen", "tinycss2", "cssselect2", "tinyhtml5",
            "doit", "Jinja2", "PyYAML", "pypandoc_binary")


# --- pure -----------------------------------------------------------------------------------


def release_names(reader: Reader, version: str, artifacts: dict[str, Path]) -> dict[str, Path]:
    """Release file name -> built artifact; ``artifacts`` maps edition id (or "epub") -> path."""
    names = {}
    for key, path in artifacts.items():
        stem = f"{reader.id}-{version}"
        names[f"{stem}.epub" if key == "epub" else f"{stem}-{key}.pdf"] = path
    return names


def manifest_name(reader: Reader, version: str) -> str:
    return f"{reader.id}-{version}.manifest.json"


def release_version(configured: str, head_tags: Iterable[str],
                    reader_file: str = "reader.yaml") -> tuple[str, str | None]:
    """The version is the reader file's ``version``; a ``v*`` tag on HEAD must agree with it."""
    tags = sorted(t for t in head_tags if t.startswith("v"))
    if not tags:
        return configured, None
    if f"v{configured}" in tags:
        return configured, f"v{configured}"
    raise ReaderError(reader_file, f"version is '{configured}' but HEAD is tagged "
                      f"{', '.join(tags)}; make them agree before releasing")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sums_text(files: dict[str, bytes]) -> str:
    """``sha256sum -c`` input: one ``<hex>  <name>`` line per file, sorted by name."""
    return "".join(f"{sha256(files[name])}  {name}\n" for name in sorted(files))


def build_manifest(reader: Reader, version: str, tag: str | None, epoch: tuple[int, str],
                   git_state: dict[str, Any] | None, artifacts: dict[str, bytes],
                   inputs: dict[str, bytes], tools: dict[str, str],
                   fonts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Everything needed to rebuild and verify the release; no path of the building machine."""
    return {
        "reader": {"id": reader.id, "title": reader.title, "version": version,
                   "identifier": reader.identifier},
        "source_date_epoch": epoch[0],
        "source_date": iso_timestamp(epoch[0]),
        "source_date_epoch_from": epoch[1],
        "git": None if git_state is None else {**git_state, "tag": tag},
        "artifacts": [{"file": n, "sha256": sha256(d), "bytes": len(d)}
                      for n, d in sorted(artifacts.items())],
        "inputs": [{"path": n, "sha256": sha256(d), "bytes": len(d)}
                   for n, d in sorted(inputs.items())],
        "tools": tools,
        "fonts": fonts,
    }


def first_zip_difference(a: bytes, b: bytes) -> str:
    """The first member (in archive order) whose name, content or entry metadata differs."""
    za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
    for i, (ia, ib) in enumerate(zip(za.infolist(), zb.infolist(), strict=False)):
        if ia.filename != ib.filename:
            return f"entry {i}: '{ia.filename}' vs '{ib.filename}'"
        if za.read(ia) != zb.read(ib):
            return f"member '{ia.filename}' (content)"
        for field in ("date_time", "compress_type", "external_attr", "extra", "comment"):
            if getattr(ia, field) != getattr(ib, field):
                return f"member '{ia.filename}' ({field})"
    if len(za.infolist()) != len(zb.infolist()):
        return f"{len(za.infolist())} vs {len(zb.infolist())} members"
    return "same members; the container differs (compressed bytes or headers)"


def first_difference(name: str, a: bytes, b: bytes) -> str:
    """Say where two versions of one release file part."""
    if name.endswith(".epub"):
        return first_zip_difference(a, b)
    if name.endswith(".json"):
        ja, jb = json.loads(a), json.loads(b)
        keys = sorted(k for k in ja.keys() | jb.keys() if ja.get(k) != jb.get(k))
        return f"keys {', '.join(keys)}"
    offset = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
    return f"first differing byte at offset {offset} ({len(a)} vs {len(b)} bytes)"


def parse_sums(text: str) -> dict[str, str]:
    return {name.lstrip("*"): digest for digest, name in
            (line.split(maxsplit=1) for line in text.splitlines() if line.strip())}


# --- I/O at the edges -------------------------------------------------------------------------


def diff_releases(a: Path, b: Path) -> list[str]:
    """One line per release file that differs between two ``dist/`` directories (empty: same)."""
    sa, sb = parse_sums((a / SUMS).read_text()), parse_sums((b / SUMS).read_text())
    out = [f"{n}: only in {a if n in sa else b}" for n in sorted(sa.keys() ^ sb.keys())]
    for name in sorted(sa.keys() & sb.keys()):
        if sa[name] != sb[name]:
            where = first_difference(name, (a / name).read_bytes(), (b / name).read_bytes())
            out.append(f"{name}: differs, {where}")
    return out


def git_state(root: Path, pathspecs: tuple[str, ...]) -> dict[str, Any] | None:
    """HEAD's commit, whether the inputs differ from it, and its tags; None outside git."""
    head = git(root, "rev-parse", "--verify", "-q", "HEAD")
    if head is None or head.returncode != 0:
        return None
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--",
                 *(f":(literal){p}" for p in pathspecs))
    tags = git(root, "tag", "--points-at", "HEAD")
    return {"commit": head.stdout.strip(), "dirty": bool(status and status.stdout.strip()),
            "head_tags": sorted((tags.stdout if tags else "").split())}


def git_unchanged(reader: Reader) -> Callable[..., bool]:
    """A doit ``uptodate`` check: the release is stale when HEAD or its tags move.

    It runs git only when the dist task is selected, so a plain ``doit`` pays nothing.
    """
    def unchanged(task: Any, values: dict[str, Any]) -> bool:
        state = git_state(reader.root, input_pathspecs(reader))
        task.value_savers.append(lambda: {"git_state": state})
        return values.get("git_state") == state
    return unchanged


def tool_versions() -> dict[str, str]:
    """Versions of everything that shapes the bytes: interpreter, pandoc, packages, libraries."""
    import platform
    import zlib
    from importlib import metadata

    import pypandoc

    versions = {"Python": platform.python_version(), "machine": platform.machine(),
                "zlib": zlib.ZLIB_RUNTIME_VERSION, "pandoc": pypandoc.get_pandoc_version()}
    versions.update({name: metadata.version(name) for name in PACKAGES})
    versions.update(native_versions())
    return versions


def native_versions() -> dict[str, str]:
    """The C libraries WeasyPrint lays text out with (they change line breaks and glyphs)."""
    from cffi import FFI

    from .syslibs import require_weasyprint

    require_weasyprint()
    from weasyprint.text.ffi import pango

    v = pango.pango_version()
    out = {"Pango": f"{v // 10000}.{v // 100 % 100}.{v % 100}"}
    ffi = FFI()
    ffi.cdef("const char *hb_version_string(void); int FcGetVersion(void);")
    for name, libs, call in (
        ("HarfBuzz", ("libharfbuzz.so.0", "harfbuzz", "libharfbuzz-0.dll"),
         lambda lib: ffi.string(lib.hb_version_string()).decode()),
        ("Fontconfig", ("libfontconfig.so.1", "fontconfig", "libfontconfig-1.dll"),
         lambda lib: (lambda n: f"{n // 10000}.{n // 100 % 100}.{n % 100}")(lib.FcGetVersion())),
    ):
        for lib in libs:
            try:
                out[name] = call(ffi.dlopen(lib))
                break
            except (OSError, AttributeError):
                continue
        else:
            out[name] = "unknown"
    return out


def font_name(data: bytes) -> dict[str, str]:
    """Full name, PostScript name and version string from a font's ``name`` table."""
    from fontTools.ttLib import TTFont

    table = TTFont(io.BytesIO(data), lazy=True)["name"]
    return {"name": str(table.getDebugName(4)), "postscript": str(table.getDebugName(6)),
            "version": str(table.getDebugName(5))}


def embedded_fonts(pdf: bytes) -> list[dict[str, str]]:
    """The fonts a PDF embeds, read from the embedded (subset) font programs."""
    import pikepdf

    found = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile2") or obj.get("/FontFile3") or obj.get("/FontFile")
                if program is not None:
                    info = font_name(program.read_bytes())
                    found[info["name"]] = info
    return [found[k] for k in sorted(found)]


def font_report(artifacts: dict[str, bytes], inputs: dict[str, bytes]) -> dict[str, Any]:
    """Project fonts (name, version) and, per embedded font, where it came from."""
    project = {n: font_name(d) for n, d in inputs.items()
               if n.lower().endswith((".ttf", ".otf"))}
    by_name = {info["name"]: n for n, info in project.items()}
    embedded: dict[str, dict[str, Any]] = {}
    for name, data in sorted(artifacts.items()):
        if name.endswith(".pdf"):
            for info in embedded_fonts(data):
                entry = embedded.setdefault(info["name"], {
                    **info, "file": by_name.get(info["name"], "system (not a project font)"),
                    "in": []})
                entry["in"].append(name)
    return {"project": [{"file": n, **info} for n, info in sorted(project.items())],
            "embedded": [embedded[k] for k in sorted(embedded)]}


def write_release(out: Path, files: dict[str, bytes]) -> None:
    """Replace ``out`` with a directory holding exactly ``files``, never half written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part"))
    old = tmp.with_suffix(".old")
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            (tmp / name).chmod(0o644)
        tmp.chmod(0o755)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        if old.exists() and not out.exists():
            old.rename(out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def make_dist(reader_file: str) -> None:
    """The dist task's action: gather, hash, describe, then write dist/ in one swap."""
    from .build import paths, pdf_path

    reader = load_reader(reader_file)
    state = git_state(reader.root, input_pathspecs(reader))
    version, tag = release_version(reader.version, state["head_tags"] if state else (),
                                   label(reader.path, reader.root))
    built = {e.id: pdf_path(reader, e.id)[1] for e in reader.editions}
    built["epub"] = paths(reader)["epub"]
    artifacts = {n: p.read_bytes() for n, p in release_names(reader, version, built).items()}
    inputs = {label(p, reader.root): p.read_bytes() for p in reader_inputs(reader)}
    if state:
        state = {k: v for k, v in state.items() if k != "head_tags"}
    manifest = build_manifest(reader, version, tag, epoch_and_source(reader), state, artifacts,
                              inputs, tool_versions(), font_report(artifacts, inputs))
    files = {**artifacts, manifest_name(reader, version):
             (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode()}
    files[SUMS] = sums_text(files).encode()
    write_release(dist_dir(reader), files)
    if state and state["dirty"]:
        print("warning: inputs differ from the last commit; this release cannot be rebuilt "
              "from git (commit first)", file=sys.stderr)


def dist_dir(reader: Reader) -> Path:
    return reader.root / "dist"


def dist_targets(reader: Reader) -> list[Path]:
    names = [*release_names(reader, reader.version, {e.id: Path() for e in reader.editions}
                            | {"epub": Path()}), manifest_name(reader, reader.version), SUMS]
    return [dist_dir(reader) / n for n in names]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "compare":
        print("usage: python -m coursepack.dist compare DIST_A DIST_B", file=sys.stderr)
        return 2
    differences = diff_releases(Path(args[1]), Path(args[2]))
    print("\n".join(differences) if differences else "identical: every file in SHA256SUMS")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
