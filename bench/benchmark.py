"""Benchmark the build: figures, not tests. Nothing here passes or fails.

Usage: ./run bench [--runs N] [--sizes 2,8,32,64] [--no-scaling] [--no-write] [--profile]

Each figure comes from fresh child processes on a private copy of the project, with the median
and the spread (min–max) of N runs:

- builds: cold (serial, ``-n 1``), cold with the default parallelism, no-op, and the rebuilds
  after editing a glossary definition, a template and one reading's YAML;
- the bare tools on the same final document, in the same run: pandoc → HTML per edition, the
  WeasyPrint command line (one render and a PDF/UA write per edition), pandoc → EPUB, with the
  very arguments the build uses (recorded from one build), and the build's ratios to them;
- what each print feature costs: one in-process WeasyPrint render of the A4 edition with the
  feature switched off in the stylesheets (hyphenation, footnotes, page cross-references,
  running heads, the embedded fonts);
- scaling: synthetic readers of 2, 8, 32 and 64 readings (the real sources repeated under
  distinct ids) → pages, seconds, ms per page and peak memory of each edition, plotted to
  ``docs/scaling.png``.

The figures go to the terminal and, unless ``--no-write``, into the block between the markers
of ``docs/PERFORMANCE.md`` (the analysis around it is written by people).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.conftest import copy_project  # noqa: E402

PERFORMANCE_MD = REPO / "docs" / "PERFORMANCE.md"
PLOT = REPO / "docs" / "scaling.png"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
READER = "reader.yaml"

@dataclass
class Figure:
    """Seconds and peak MiB of one step over several runs."""

    name: str
    seconds: list[float]
    peak_mib: float

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> str:
        return f"{secs(min(self.seconds))}–{secs(max(self.seconds))}"


def secs(value: float) -> str:
    """Seconds to two decimals, three under a second (a no-op's target is 0.15 s)."""
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


# The children run as on a default Python: compiled modules are cached (a no-op build
# otherwise compiles the package's modules again each time).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


# A child that runs a command, times it and prints the seconds and its children's peak RSS
# (KiB on Linux). The peak must be read from a small process: a child forked from the
# benchmark itself (which has WeasyPrint loaded) inherits its high-water mark through exec.
_PEAK = ("import resource,subprocess,sys,time;t=time.perf_counter();"
         "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
         "t=time.perf_counter()-t;"
         "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:]) if r.returncode else None;"
         "print(t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(r.returncode)")


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``cmd`` once in a fresh child; (seconds, peak RSS MiB), both taken by a small
    parent process around the command alone (its own start-up is not timed). A failure stops
    the bench."""
    proc = subprocess.run([sys.executable, "-c", _PEAK, *cmd], cwd=cwd, capture_output=True,
                          text=True, env=CHILD_ENV)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])} … failed:\n{proc.stderr[-1500:]}")
    seconds, peak_kib = proc.stdout.split()[-2:]
    return float(seconds), int(peak_kib) / 1024


def doit(project: Path, *args: str) -> tuple[float, float]:
    return timed([sys.executable, "-m", "doit", *args], project)


def repeat(name: str, runs: int, step: Callable[[], tuple[float, float]],
           before: Callable[[], None] | None = None) -> Figure:
    seconds, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        s, p = step()
        seconds.append(s)
        peaks.append(p)
    return Figure(name, seconds, max(peaks))


def wipe(project: Path) -> None:
    """Forget every build product: the next build is cold."""
    shutil.rmtree(project / "build", ignore_errors=True)
    for db in project.glob(".doit.db*"):
        db.unlink()


def bump(path: Path, change: Callable[[str, int], str]) -> Callable[[], None]:
    """A ``before`` hook that edits a file, differently each time (``change(text, n)``)."""
    count = iter(range(1, 1_000_000))

    def apply() -> None:
        path.write_text(change(path.read_text(encoding="utf-8"), next(count)), encoding="utf-8")

    return apply


def glossary_edit(path: Path) -> Callable[[], None]:
    """Change the first glossary definition's words (not just a comment)."""
    count = iter(range(1_000_000))

    def apply() -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        terms = data["terms"] if isinstance(data, dict) else data
        terms[0]["definition"] = re.sub(r"( Edited \d+\.)?$", f" Edited {next(count)}.",
                                        terms[0]["definition"].rstrip(), count=1)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")

    return apply


STAGES = ("clean_text", "annotate", "assemble", "pdf", "epub")


def stages(project: Path, runs: int) -> list[Figure]:
    """Each stage of a cold serial build run alone, in order: where the time goes."""
    seconds: dict[str, list[float]] = {s: [] for s in STAGES}
    peaks: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    for _ in range(runs):
        wipe(project)
        for stage in STAGES:
            s, p = doit(project, "-n", "1", stage)
            seconds[stage].append(s)
            peaks[stage] = max(peaks[stage], p)
    return [Figure(stage, seconds[stage], peaks[stage]) for stage in STAGES]


# --- the bare tools, with the build's own arguments -------------------------------------------


@dataclass
class PandocCall:
    source: str
    to: str
    format: str
    args: list[str]
    sandbox: bool


@contextlib.contextmanager
def recording_pandoc(calls: list[PandocCall]) -> Iterator[None]:
    """Record every pandoc call the build's renderers make (and let it run). A render is two
    calls (coursepack.pandoc.render): Markdown -> document tree (``convert_file``), then the
    tree -> the output (``convert_text``), recorded with the Markdown source of the first."""
    import pypandoc

    real_file, real_text = pypandoc.convert_file, pypandoc.convert_text

    def record_file(source_file, to, format=None, extra_args=(), outputfile=None,
                    sandbox=False, **kwargs):
        calls.append(PandocCall(str(source_file), to, format, list(extra_args), sandbox))
        return real_file(source_file, to, format=format, extra_args=extra_args,
                         outputfile=outputfile, sandbox=sandbox, **kwargs)

    def record_text(source, to, format=None, extra_args=(), outputfile=None, sandbox=False,
                    **kwargs):
        origin = calls[-1].source if calls else ""
        calls.append(PandocCall(origin, to, format, list(extra_args), sandbox))
        return real_text(source, to, format=format, extra_args=extra_args,
                         outputfile=outputfile, sandbox=sandbox, **kwargs)

    pypandoc.convert_file, pypandoc.convert_text = record_file, record_text
    try:
        yield
    finally:
        pypandoc.convert_file, pypandoc.convert_text = real_file, real_text


def one_call(calls: list[PandocCall]) -> list[PandocCall]:
    """The two-step renders as the one pandoc call a person would make for each output: from
    the Markdown, with the tree step's options (citations) and the writer's."""
    tree = next(c for c in calls if c.to == "json")
    return [PandocCall(tree.source, c.to, tree.format, list(dict.fromkeys([*tree.args, *c.args])),
                       c.sandbox) for c in calls if c.format == "json"]


def bare_commands(project: Path, out: Path) -> dict[str, list[str]]:
    """The bare tools' command lines for the project's reader, from one recorded build."""
    import pypandoc

    with contextlib.chdir(project):
        from coursepack import build
        from coursepack.assets import PDF_STYLESHEETS
        from coursepack.config import load_reader
        from coursepack.render_pdf import edition_css

        load_reader.cache_clear()
        reader = load_reader(READER)
        calls: list[PandocCall] = []
        with recording_pandoc(calls):
            build.build_tree(READER)  # the citations, once (the tree task)
            for edition in reader.editions:
                build.build_pdf(READER, edition.id)
            build.build_epub(READER)
        templates = build.paths(reader)["templates"]
        pandoc = pypandoc.get_pandoc_path()
        commands: dict[str, list[str]] = {}
        calls = one_call(calls)
        html_calls = [c for c in calls if c.to.startswith("html")]
        epub_call = next(c for c in calls if c.to.startswith("epub"))
        for edition, call in zip(reader.editions, html_calls, strict=True):
            html = out / f"{edition.id}.html"
            css = out / f"{edition.id}.css"
            css.write_text(edition_css(edition, templates), encoding="utf-8")
            commands[f"pandoc → HTML ({edition.id})"] = [
                pandoc, call.source, "-f", call.format, "-t", call.to, *call.args,
                *(["--sandbox"] if call.sandbox else []), "-o", str(html)]
            commands[f"weasyprint CLI ({edition.id})"] = [
                sys.executable, "-m", "weasyprint", "--pdf-variant", "pdf/ua-1",
                *(a for name in PDF_STYLESHEETS for a in ("-s", str(templates / name))),
                "-s", str(css), "-u", str(project) + "/", str(html),
                str(out / f"{edition.id}.pdf")]
        commands["pandoc → EPUB"] = [
            pandoc, epub_call.source, "-f", epub_call.format, "-t", epub_call.to,
            *epub_call.args, "-o", str(out / "bare.epub")]
    return commands


def bare_tools(project: Path, runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
        commands = bare_commands(project, Path(tmp))
        return [repeat(name, runs, lambda c=cmd: timed(c, project))
                for name, cmd in commands.items()]


# --- what each print feature costs ------------------------------------------------------------

FEATURES: dict[str, list[tuple[str, str]]] = {
    # name: [(pattern in the stylesheets, replacement)]
    "hyphenation": [(r"hyphens:\s*auto", "hyphens: manual")],
    "footnotes": [(r"float:\s*footnote", "float: none")],
    "page cross-references (target-counter)": [(r"[^;{}]*target-counter\([^;{}]*", "")],
    "running heads (string-set)": [(r"string-set:[^;{}]*", "")],
    "embedded fonts (system serif)": [(r"@font-face\s*\{[^}]*\}", "")],
}


def feature_costs(project: Path, runs: int) -> list[tuple[str, float, int]]:
    """(variant, median ms per render, pages) for the A4 edition's HTML, in-process."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from coursepack import weasyprint_rules

    weasyprint_rules.apply()  # as the build lays out
    with contextlib.chdir(project):
        from coursepack.assets import PDF_STYLESHEETS
        from coursepack.build import paths, pdf_path
        from coursepack.config import load_reader
        from coursepack.render_pdf import edition_css

        reader = load_reader(READER)
        edition = reader.editions[0]
        templates = paths(reader)["templates"]
        html = pdf_path(reader, edition.id)[0].read_text(encoding="utf-8")
        sheets = [(templates / n).read_text(encoding="utf-8") for n in PDF_STYLESHEETS]
        sheets.append(edition_css(edition, templates))
        results = []
        for name, edits in [("all features (the build's stylesheets)", []),
                            *FEATURES.items()]:
            css_texts = list(sheets)
            for pattern, replacement in edits:
                css_texts = [re.sub(pattern, replacement, t) for t in css_texts]
            times, pages = [], 0
            for _ in range(runs):
                fonts = FontConfiguration()
                css = [CSS(string=t, base_url=str(templates) + "/", font_config=fonts)
                       for t in css_texts]
                start = time.perf_counter()
                document = HTML(string=html, base_url=str(project) + "/").render(
                    stylesheets=css, font_config=fonts)
                times.append(time.perf_counter() - start)
                pages = len(document.pages)
            results.append((f"without {name}" if edits else name,
                            statistics.median(times) * 1000, pages))
    return results


def profile_render(project: Path) -> str:
    """cProfile of one A4 edition through the build's own PDF function (top 25, cumulative)."""
    with contextlib.chdir(project):
        from coursepack import build

        profiler = cProfile.Profile()
        reader_id = build.load_reader(READER).editions[0].id
        profiler.runcall(build.build_pdf, READER, reader_id)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


# --- scaling ------------------------------------------------------------------------------------


def synthetic_reader(project: Path, readings: int) -> str:
    """A reader of ``readings`` readings: the real sources repeated under distinct ids, with
    the first reader's editions and no apparatus. Returns its file name."""
    base = yaml.safe_load((project / READER).read_text(encoding="utf-8"))
    sources = [project / p for p in base["readings"]]
    folder = project / "sources" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(readings):
        source = sources[i % len(sources)]
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data["id"] = f"{data['id']}-{i + 1}"
        data["raw"] = os.path.relpath(source.parent / data["raw"], folder)
        for key in ("citations", "key", "notes", "foreign_phrases"):
            data.pop(key, None)
        path = folder / f"{data['id']}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        names.append(os.path.relpath(path, project))
    reader = {key: base[key] for key in ("title", "editors", "language", "date", "version",
                                         "editions") if key in base}
    reader.update(id=f"bench-{readings}", readings=names)
    name = f"bench-{readings}.yaml"
    (project / name).write_text(yaml.safe_dump(reader, allow_unicode=True, sort_keys=False),
                                encoding="utf-8")
    return name


def pdf_pages(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def scaling(project: Path, sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        name = synthetic_reader(project, n)
        var = f"reader={name}"
        doit(project, var, "assemble")
        editions = yaml.safe_load((project / name).read_text(encoding="utf-8"))["editions"]
        for edition in editions:
            seconds, peak = doit(project, var, f"pdf:{edition['id']}")
            pdf = project / "build" / f"bench-{n}" / f"bench-{n}-{edition['id']}.pdf"
            pages = pdf_pages(pdf)
            rows.append({"readings": n, "edition": edition["id"], "pages": pages,
                         "seconds": seconds, "ms_per_page": seconds * 1000 / pages,
                         "peak_mib": peak})
            print(f"  {n:3} readings, {edition['id']:<12} {pages:5} pages  {seconds:7.1f} s  "
                  f"{seconds * 1000 / pages:6.1f} ms/page  {peak:6.0f} MiB", flush=True)
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for edition in dict.fromkeys(r["edition"] for r in rows):
        mine = [r for r in rows if r["edition"] == edition]
        pages = [r["pages"] for r in mine]
        left.plot(pages, [r["ms_per_page"] for r in mine], marker="o", label=edition)
        right.plot(pages, [r["peak_mib"] for r in mine], marker="o", label=edition)
    left.set(xlabel="pages", ylabel="ms per page (whole PDF task)", title="Time per page")
    right.set(xlabel="pages", ylabel="peak MiB", title="Peak memory of the PDF task")
    for ax in (left, right):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


# --- report -------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def report(builds: list[Figure], parts: list[Figure], bare: list[Figure], features,
           scale: list[dict], runs: int) -> str:
    by = {f.name: f for f in builds}
    bare_total = sum(f.median for f in bare)
    cold_serial, cold = by["cold build, serial (-n 1)"], by["cold build, default parallelism"]
    out = [f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, Python "
           f"{platform.python_version()}; median of {runs} runs, spread min–max.", "",
           "### Builds", "",
           table(["step", "median s", "spread s", "peak MiB", "÷ cold serial", "÷ cold"],
                 [[f.name, secs(f.median), f.spread, f"{f.peak_mib:.0f}",
                   f"{f.median / cold_serial.median:.2f}", f"{f.median / cold.median:.2f}"]
                  for f in builds]), "",
           "(÷ cold: against the cold build with the default parallelism, which the no-op "
           "and the rebuilds use too.)", "",
           "### Where a cold serial build's time goes (each stage alone, in order)", "",
           table(["stage", "median s", "spread s", "peak MiB", "share"],
                 [[f.name, secs(f.median), f.spread, f"{f.peak_mib:.0f}",
                   f"{f.median / sum(p.median for p in parts):.0%}"] for f in parts]), "",
           "### The bare tools on the same final document", "",
           table(["step", "median s", "spread s", "peak MiB"],
                 [[f.name, secs(f.median), f.spread, f"{f.peak_mib:.0f}"] for f in bare]),
           "", f"Bare tools, serial total: **{bare_total:.2f} s**. "
           f"Cold build serial ÷ bare: **{cold_serial.median / bare_total:.2f}×**; "
           f"cold build with the default parallelism ÷ bare serial: "
           f"**{cold.median / bare_total:.2f}×**.", ""]
    if features:
        base_ms, base_pages = features[0][1], features[0][2]
        out += ["### What each print feature costs (one A4 render, in-process)", "",
                table(["variant", "ms per render", "pages", "ms per page", "feature costs"],
                      [[name, f"{ms:.0f}", str(pages), f"{ms / pages:.1f}",
                        "" if i == 0 else f"{base_ms - ms:+.0f} ms"]
                       for i, (name, ms, pages) in enumerate(features)]), "",
                f"One render of the A4 edition: {base_ms / base_pages:.1f} ms a page.", ""]
    if scale:
        out += ["### Scaling (synthetic readers)", "",
                table(["readings", "edition", "pages", "seconds", "ms per page", "peak MiB"],
                      [[str(r["readings"]), r["edition"], str(r["pages"]),
                        f"{r['seconds']:.1f}", f"{r['ms_per_page']:.1f}",
                        f"{r['peak_mib']:.0f}"] for r in scale]), ""]
        first = min(r["readings"] for r in scale)
        last = max(r["readings"] for r in scale)
        for edition in dict.fromkeys(r["edition"] for r in scale):
            a = next(r for r in scale if r["edition"] == edition and r["readings"] == first)
            b = next(r for r in scale if r["edition"] == edition and r["readings"] == last)
            out.append(f"- {edition}: ms per page at {last} readings ÷ at {first}: "
                       f"**{b['ms_per_page'] / a['ms_per_page']:.2f}**; "
                       f"peak {b['peak_mib']:.0f} MiB for {b['pages']} pages.")
        out += ["", f"![ms per page and peak memory against pages]({PLOT.name})", ""]
    return "\n".join(out)


def write_report(text: str) -> None:
    doc = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else \
        f"# Performance\n\n{START}\n{END}\n"
    if START not in doc:
        doc += f"\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    PERFORMANCE_MD.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--sizes", default="2,8,32,64", help="readings per synthetic reader")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one PDF")
    args = parser.parse_args()
    runs = args.runs
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        project = copy_project(Path(tmp) / "project")
        reader = yaml.safe_load((project / READER).read_text(encoding="utf-8"))
        print("builds …", flush=True)
        builds = [
            repeat("cold build, serial (-n 1)", runs, lambda: doit(project, "-n", "1"),
                   before=lambda: wipe(project)),
            repeat("cold build, default parallelism", runs, lambda: doit(project),
                   before=lambda: wipe(project)),
            repeat("no-op build", max(runs, 15), lambda: doit(project)),  # short, and noisy
        ]
        edits = {
            "rebuild after editing a template (print.css)": bump(
                project / "templates" / "print.css", lambda t, n: f"{t}\n/* edit {n} */\n"),
            "rebuild after editing one reading's venue": bump(
                project / reader["readings"][0],
                lambda t, n: re.sub(r"^(venue: .*?)( \(\d+\))?$", rf"\1 ({n})", t,
                                    count=1, flags=re.M)),
        }
        if reader.get("glossary"):
            edits = {"rebuild after editing a glossary definition":
                     glossary_edit(project / reader["glossary"]), **edits}
        for name, before in edits.items():
            builds.append(repeat(name, runs, lambda: doit(project), before=before))
        for f in builds:
            print(f"  {f.name:<45} {secs(f.median):>7} s ({f.spread})  {f.peak_mib:6.0f} MiB")
        print("stages of a cold serial build …", flush=True)
        parts = stages(project, runs)
        for f in parts:
            print(f"  {f.name:<45} {secs(f.median):>7} s ({f.spread})  {f.peak_mib:6.0f} MiB")
        print("bare tools …", flush=True)
        bare = bare_tools(project, runs)
        for f in bare:
            print(f"  {f.name:<45} {secs(f.median):>7} s ({f.spread})  {f.peak_mib:6.0f} MiB")
        print("feature costs …", flush=True)
        features = feature_costs(project, runs)
        for name, ms, pages in features:
            print(f"  {name:<45} {ms:7.0f} ms  {pages} pages")
        if args.profile:
            print(profile_render(project))
        scale: list[dict] = []
        if not args.no_scaling:
            print("scaling …", flush=True)
            scale = scaling(project, [int(s) for s in args.sizes.split(",")])
    text = report(builds, parts, bare, features, scale, runs)
    print("\n" + text)
    if not args.no_write:
        write_report(text)
        if scale:
            plot(scale, PLOT)
        print(f"\nwritten: {PERFORMANCE_MD.relative_to(REPO)}"
              + (f", {PLOT.relative_to(REPO)}" if scale else ""))


if __name__ == "__main__":
    main()
