"""Start-up of ``newsflow tag one.txt``: wall and CPU time of a whole process.

    python benchmarks/bench_tag_startup.py [--runs 10]

The first run builds the compiled catalogue cache (enrich/catalogue_cache.py);
the figures are over the runs after it. The issue-6 limit is 0.5 s.
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


def run_once(path: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from commands.cli import main; sys.exit(main())", "tag", str(path)], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.txt"
        path.write_text("India banned diamond imports in October, and Alrosa halted sales in September.\n", encoding="utf-8")
        run_once(path)  # builds the catalogue cache if it is missing
        runs = [run_once(path) for _ in range(args.runs)]
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    print(f"newsflow tag one.txt, {args.runs} runs: wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}), CPU median {statistics.median(cpus):.3f} s (limit 0.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
