"""The real-page corpus: news pages as published, rebuilt from public git repositories.

The pages are publishers' work: the repository keeps only the recipe
(``benchmarks/realpages.tsv``: repository, commit, path and sha256 of every
page, and of its reference text where the source repository has one), and
this script rebuilds the folder from the repositories themselves::

    python benchmarks/realpages.py                       # -> benchmarks/realpages/
    python benchmarks/realpages.py --repos /work/.mirror # git dirs already here
    python benchmarks/realpages.py --clone               # else: git clone them

Each page is written as ``<id>.html`` (the bytes as stored, checked against
the recipe's sha256: a page whose hash differs is refused, never used), and
its reference text, where there is one, as ``<id>.txt``. ``index.tsv`` in the
folder says which kind of reference each page has; ``bench_pipeline.py`` and
``bench_extract.py`` read the folder (or any folder of ``*.html``).

Reference texts (see the README's benchmark section for what they are worth):
``readability-expected`` is the expected output of Mozilla Readability's test
pages (an extractor's output, reviewed by its maintainers, converted from HTML
to text here); ``newspaper-expected`` is newspaper's expected output for its
full-text tests. Neither is an independent human annotation.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECIPE = HERE / "realpages.tsv"
DEFAULT_OUT = HERE / "realpages"
DEFAULT_REPOS = Path(os.environ.get("NEWSFLOW_PAGE_REPOS", "/work/.mirror"))
_WORD = re.compile(r"\w+")
CLONE_CACHE = Path.home() / ".cache" / "newsflow" / "page-repos"
# Block elements whose end is a line break in the reference text.
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br", "figcaption",
           "section", "article", "dd", "dt", "table", "ul", "ol"}


@dataclass(frozen=True)
class Page:
    id: str
    repository: str
    commit: str
    path: str
    sha256: str
    truth_path: str
    truth_sha256: str
    truth_kind: str


def read_recipe(path: Path = RECIPE) -> list[Page]:
    with path.open(newline="", encoding="utf-8") as f:
        return [Page(**row) for row in csv.DictReader(f, delimiter="\t")]


def git_dir(repository: str, repos: Path, clone: bool) -> Path:
    """The git directory holding ``repository``: under ``repos``, else a clone in the cache."""
    slug = repository.replace("/", "+")
    for candidate in (repos / slug / "repo", repos / slug, repos / repository.split("/")[1]):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate
    target = CLONE_CACHE / slug
    if not (target / "HEAD").is_file():
        if not clone:
            raise SystemExit(f"{repository}: no git directory under {repos}; fetch it, or pass --clone")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--bare", "--filter=blob:none", f"https://github.com/{repository}.git",
                        str(target)], check=True)
    return target


def blob(git: Path, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir" if (git / "HEAD").is_file() else "-C", str(git), "cat-file", "blob",
                           f"{commit}:{path}"], check=True, capture_output=True).stdout


def checked(data: bytes, expected: str, what: str) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(f"{what}: sha256 {actual} is not the recipe's {expected}")
    return data


def reference_text(data: bytes, kind: str) -> str:
    """The reference text of a page: plain text as is; Readability's expected HTML to text."""
    text = data.decode("utf-8", errors="replace")
    if kind != "readability-expected":
        return text.strip() + "\n"
    import lxml.html

    root = lxml.html.fromstring(text)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def rebuild(out: Path, repos: Path, clone: bool, recipe: Path = RECIPE) -> tuple[int, list[str]]:
    """Write every page of the recipe into ``out``; return (pages written, errors)."""
    out.mkdir(parents=True, exist_ok=True)
    pages = read_recipe(recipe)
    gits: dict[str, Path] = {}
    errors = []
    written = []
    for page in pages:
        try:
            git = gits.get(page.repository) or gits.setdefault(page.repository, git_dir(page.repository, repos, clone))
            html = checked(blob(git, page.commit, page.path), page.sha256, page.id)
            (out / f"{page.id}.html").write_bytes(html)
            if page.truth_path:
                truth = checked(blob(git, page.commit, page.truth_path), page.truth_sha256, f"{page.id} reference")
                (out / f"{page.id}.txt").write_text(reference_text(truth, page.truth_kind), encoding="utf-8")
            written.append(page)
        except (ValueError, subprocess.CalledProcessError) as exc:
            errors.append(f"{page.id}: {exc}")
    with (out / "index.tsv").open("w", encoding="utf-8") as f:
        f.write("id\trepository\tcommit\tpath\ttruth_kind\n")
        for page in written:
            f.write(f"{page.id}\t{page.repository}\t{page.commit}\t{page.path}\t{page.truth_kind}\n")
    return len(written), errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repos", type=Path, default=DEFAULT_REPOS,
                        help="folder of git directories (owner+name/repo, owner+name or name)")
    parser.add_argument("--clone", action="store_true", help="git clone repositories not found under --repos")
    args = parser.parse_args()
    written, errors = rebuild(args.out, args.repos, args.clone)
    for error in errors:
        print(f"refused: {error}", file=sys.stderr)
    print(f"{written} pages written to {args.out} ({len(errors)} refused)")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()


@dataclass(frozen=True)
class CorpusPage:
    """A page of a pages folder: its HTML file, and its reference text and kind if it has one."""

    id: str
    html_path: Path
    truth: str | None
    truth_kind: str


def load_pages(folder: Path) -> list[CorpusPage]:
    """Every ``*.html`` of ``folder`` (sorted), with ``<stem>.txt`` as its reference text when present."""
    kinds = {}
    index = folder / "index.tsv"
    if index.is_file():
        with index.open(newline="", encoding="utf-8") as f:
            kinds = {row["id"]: row["truth_kind"] for row in csv.DictReader(f, delimiter="\t")}
    pages = []
    for html_path in sorted(folder.glob("*.html")):
        truth_path = html_path.with_suffix(".txt")
        truth = truth_path.read_text(encoding="utf-8") if truth_path.is_file() else None
        kind = kinds.get(html_path.stem) or ("reference" if truth is not None else "")
        pages.append(CorpusPage(html_path.stem, html_path, truth, kind))
    return pages


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode letters and digits), the unit of both F1 measures."""
    return _WORD.findall(text.lower())


def token_f1(predicted: str, reference: str) -> float:
    """F1 of the bags (multisets) of word tokens: overlap / predicted and overlap / reference."""
    return _f1(Counter(words(predicted)), Counter(words(reference)))


def shingle_f1(predicted: str, reference: str, size: int = 4) -> float:
    """F1 of the bags of word ``size``-grams (shingles): also penalises text out of order or glued."""
    return _f1(_shingles(words(predicted), size), _shingles(words(reference), size))


def _shingles(tokens: list[str], size: int) -> Counter:
    if len(tokens) < size:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def _f1(predicted: Counter, reference: Counter) -> float:
    overlap = sum((predicted & reference).values())
    if not predicted or not reference or not overlap:
        return 1.0 if not predicted and not reference else 0.0
    precision = overlap / sum(predicted.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)
