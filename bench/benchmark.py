"""Benchmark the build: prints wall time and peak memory of each step on a private copy.

Usage: .venv/bin/python bench/benchmark.py [--runs N]
Measures a cold build, each task alone, a no-op build, and the rebuilds after editing one
reading's YAML or a template. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import copy_project


def measure(project: Path, *args: str) -> tuple[float, float]:
    """Run doit once in a fresh child; return (seconds, peak RSS of that child in MiB)."""
    start = time.perf_counter()
    # A wrapper process reports its own child's peak, so each figure belongs to one run.
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "doit", *args],
                         cwd=project, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, int(out.split()[-1]) / 1024


def median(project: Path, runs: int, *args: str, before=None) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = measure(project, *args)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        rows = [("cold build (all default tasks)", *measure(project))]
        for task in ("clean_text", "annotate", "assemble", "pdf:a4", "pdf:large-print", "epub"):
            rows.append((f"task {task} alone", *median(
                project, runs, task, before=lambda t=task: subprocess.run(
                    [sys.executable, "-m", "doit", "forget", t], cwd=project,
                    capture_output=True, check=True))))
        rows.append(("no-op build", *median(project, max(runs, 5))))
        yaml_file = project / "sources" / "why-putin-fights.yaml"

        def touch_yaml() -> None:
            yaml_file.write_text(yaml_file.read_text() + "\n# edited\n")

        rows.append(("rebuild after editing one reading's YAML",
                     *median(project, runs, before=touch_yaml)))
        template = project / "templates" / "reader.md.j2"

        def touch_template() -> None:
            template.write_text(template.read_text() + "\n")

        rows.append(("rebuild after editing the template",
                     *median(project, runs, before=touch_template)))
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'seconds':>8}  {'peak MiB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:<{width}}  {seconds:8.2f}  {peak:8.0f}")
    print(f"(median of {runs} runs; machine: {resource.getpagesize()} B pages, "
          f"Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
