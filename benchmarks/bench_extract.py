"""Extraction alone on a folder of real pages: quality against reference texts, and CPU per page, per mode.

    python benchmarks/bench_extract.py                     # the real-page corpus, both modes
    python benchmarks/bench_extract.py --pages-dir DIR --modes fast

Runs the pipeline's own unit of work (``ingest.extract.extract_page``: decode,
then trafilatura; pages declared ``text/html; charset=utf-8``, as
bench_pipeline's server does) on every ``*.html`` of the folder in this one
process, each mode over the same pages, and prints per mode: pages per second
of CPU (the process's CPU time around each call, after a warm-up on 20 pages),
pages that gave no text, and the mean token F1 and 4-word-shingle F1 against the reference
texts (``<id>.txt``), per kind of reference (see ``realpages.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realpages import DEFAULT_OUT, CorpusPage, load_pages, shingle_f1, token_f1

from ingest.extract import EXTRACTION_MODES, extract_page

URL = "http://bench.invalid/article"
# What bench_pipeline.py's loopback server sends for .html. Every page of the
# corpus is stored as UTF-8 by its source repository (a few keep the <meta
# charset> of the original, e.g. gb2312 on a Chinese page), so this is the
# charset of the bytes, as a real server would declare it.
CONTENT_TYPE = "text/html; charset=utf-8"


def run_mode(pages: list[CorpusPage], bodies: list[bytes], mode: str) -> dict[str, object]:
    cpu = 0.0
    empty = 0
    scores: dict[str, list[tuple[float, float]]] = {}
    for page, body in zip(pages, bodies, strict=True):
        start = time.process_time()
        extracted = extract_page(body, CONTENT_TYPE, URL, mode)
        cpu += time.process_time() - start
        empty += not extracted.ok
        if page.truth is not None:
            pair = (token_f1(extracted.text, page.truth), shingle_f1(extracted.text, page.truth))
            scores.setdefault(page.truth_kind, []).append(pair)
            scores.setdefault("all references", []).append(pair)
    return {"pages_per_cpu_s": len(pages) / cpu, "cpu_ms": 1000 * cpu / len(pages), "empty": empty, "scores": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--modes", nargs="+", default=list(EXTRACTION_MODES), choices=list(EXTRACTION_MODES))
    args = parser.parse_args()
    pages = load_pages(args.pages_dir)
    if not pages:
        raise SystemExit(f"no *.html in {args.pages_dir}: build it with python benchmarks/realpages.py")
    bodies = [page.html_path.read_bytes() for page in pages]
    for body in bodies[:20]:
        extract_page(body, CONTENT_TYPE, URL)  # warm imports and caches before any clock runs
    print(f"{len(pages)} pages in {args.pages_dir}, {sum(p.truth is not None for p in pages)} with a reference text")
    for mode in args.modes:
        result = run_mode(pages, bodies, mode)
        print(f"mode {mode:10s} {EXTRACTION_MODES[mode]}: {result['pages_per_cpu_s']:6.1f} pages/s of CPU "
              f"({result['cpu_ms']:.1f} ms a page), {result['empty']} pages without text")
        for kind, pairs in sorted(result["scores"].items()):
            print(f"  {kind:22s} n={len(pairs):3d}  token F1 {statistics.fmean(p[0] for p in pairs):.3f}  "
                  f"shingle F1 {statistics.fmean(p[1] for p in pairs):.3f}")


if __name__ == "__main__":
    main()
