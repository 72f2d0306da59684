"""Rebuild the corpus texts that are not committed, from their public sources.

Most corpus items (``text_in_repo: false``) keep their text in
``enrich/corpus/local/<id>.txt``, which is git-ignored. Each item records the
repository, commit, path and a ``locator`` that says how the text was cut from
the file. This module turns those recipes into files again::

    python -m enrich.rebuild SOURCES_DIR

``SOURCES_DIR`` holds one git clone per source repository, as
``SOURCES_DIR/<owner>/<name>`` or ``SOURCES_DIR/<owner>+<name>`` (bare clones
and a ``repo`` folder inside either are fine too). Files are read at the
recorded commit with ``git show``, so a clone of a later default branch works
as long as it still holds that commit. A text is written only when it hashes
to the recorded ``sha256``: a recipe that drifts from what the labeller saw
is reported, never silently used. Items of a repository without a recipe
here are listed as such; their ``locator`` still describes them for a hand
rebuild.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import yaml

from enrich.corpus import CORPUS_DIR, batch_paths

# A recipe reads the item's source file (bytes, at the recorded commit) and
# returns (title, text); the title is None when the source has none.
Recipe = Callable[[Callable[[str], bytes], dict], "tuple[str | None, str]"]
RECIPES: dict[str, Recipe] = {}


def recipe(*repos: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        for repo in repos:
            RECIPES[repo] = fn
        return fn

    return register


def _locator_int(item: dict, pattern: str) -> int:
    match = re.search(pattern, item.get("locator") or "")
    if not match:
        raise ValueError(f"locator of {item['id']} does not say /{pattern}/")
    return int(match.group(1))


@recipe("Danbo3004/financial-news-dataset", "duynht/financial-news-dataset")
def _reuters_file(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    # The file starts with four "-- " header lines (headline, byline, time,
    # URL); the labellers kept them in the text and took the first as title.
    text = read(item["path"]).decode("utf-8").rstrip()
    return text.split("\n", 1)[0].removeprefix("-- ").strip(), text


@recipe("eiahb3838ya/oilprice_news_analyze")
def _csv_row(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    index = _locator_int(item, r"CSV data row (\d+)")
    if re.search(r"\b1-based", item.get("locator") or ""):
        index -= 1
    rows = list(csv.DictReader(io.StringIO(read(item["path"]).decode("utf-8"))))
    row = rows[index]
    return row["title"], row["content"]


@recipe("qiangning/StructTempRel-EMNLP17")
def _timeml(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    raw = read(item["path"]).decode("utf-8")
    body = re.search(r"<TEXT>(.*?)</TEXT>", raw, re.S).group(1)
    title = re.search(r"<TITLE>(.*?)</TITLE>", raw, re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", body)).strip("\n")
    return (html.unescape(title.group(1)).strip() if title else None), text


@recipe("ivanfilhoreis/agricultural_commodity_data")
def _xlsx_row(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    locator = item["locator"]
    sheet = re.search(r"sheet '([^']+)'", locator).group(1)
    row_number = _locator_int(item, r"spreadsheet row (\d+)")
    title_col, text_col = re.search(r"(\w+)=title, (\w+)=text", locator).groups()
    rows = _xlsx_sheet(read(item["path"]), sheet)
    header = rows[1]
    cells = rows[row_number]
    by_name = {header[col]: cells.get(col, "") for col in header}
    return by_name[title_col], by_name[text_col]


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_sheet(data: bytes, name: str) -> dict[int, dict[str, str]]:
    """Row number -> column letter -> string value, read with the standard library."""
    book = zipfile.ZipFile(io.BytesIO(data))
    shared = [
        "".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
        for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", _NS)
    ] if "xl/sharedStrings.xml" in book.namelist() else []
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get(_REL) for s in workbook.iter(f"{{{_NS['m']}}}sheet") if s.get("name") == name)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid).lstrip("/")
    sheet = ElementTree.fromstring(book.read(target if target.startswith("xl/") else f"xl/{target}"))
    rows: dict[int, dict[str, str]] = {}
    for row in sheet.iter(f"{{{_NS['m']}}}row"):
        cells = {}
        for cell in row.findall("m:c", _NS):
            column = re.match(r"[A-Z]+", cell.get("r")).group(0)
            cells[column] = _xlsx_value(cell, shared)
        rows[int(row.get("r"))] = cells
    return rows


def _xlsx_value(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
    value = cell.find("m:v", _NS)
    if value is None or value.text is None:
        return ""
    return shared[int(value.text)] if kind == "s" else value.text


@recipe("bilalncx/ncx-app")
def _jsx_post(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    source = read(item["path"]).decode("utf-8")
    record_id = _locator_int(item, r"record with id: (\d+)")
    start = re.search(rf"\n\s*id: {record_id},\n", source).end()
    end = re.search(r"\n\s*id: \d+,\n", source[start:])
    record = source[start : start + end.start() if end else len(source)]
    title = re.search(r"title: (['\"])((?:\\.|(?!\1).)*)\1", record).group(2)
    content = record[record.index("content:") :]
    blocks = []
    for _, inner in re.findall(r"<(p|li|h[1-6])\b[^>]*>(.*?)</\1>", content, re.S):
        block = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        if block and block != "In this article:":
            blocks.append(block)
    return re.sub(r"\\(.)", r"\1", title), "\n\n".join(blocks) + "\n"


@recipe("zhigehe/bulwark", "soumyadipdas37/finescoop.github.io")
def _markdown_post(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    # Five items were trimmed by hand (site navigation, promotions); their
    # hashes will not match and the report says so.
    front, body = _front_matter(read(item["path"]).decode("utf-8"))
    return str(front.get("title", "")).strip() or None, body.strip("\n")


def _front_matter(source: str) -> tuple[dict, str]:
    match = re.match(r"---\n(.*?)\n---\n?(.*)", source, re.S)
    if not match:
        return {}, source
    return yaml.safe_load(match.group(1)) or {}, match.group(2)


@recipe("jamespan/investors-blog")
def _column(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    front, body = _front_matter(read(item["path"]).decode("utf-8"))
    if "**YOU" in item.get("locator", ""):
        # Later columns were trimmed of their related-links tail and the promo blocks fenced by '---' lines.
        body = re.split(r"^\*\*YOU .*", body, maxsplit=1, flags=re.M)[0]
        if "IBD Newsletters" in item["locator"]:
            body = re.sub(r"^IBD Newsletters\n.*?^CLOSE\n?", "", body, flags=re.M | re.S)
        else:
            body = re.sub(r"^---\n.*?^---\n?", "", body, flags=re.M | re.S)
    return " ".join(str(front.get("title", "")).split()), body.strip() + "\n"


@recipe("jackPhn/CSS581_Project")
def _first_line_title(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    title, _, rest = read(item["path"]).decode("utf-8").partition("\n")
    return title.strip(), rest.lstrip("\n").rstrip()


@recipe("nltk/nltk")
def _treebank_raw(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    return None, read(item["path"]).decode("utf-8").split("\n", 2)[2]


@recipe("OliverCWY/News")
def _saved_article(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    source = read(item["path"]).decode("utf-8")
    title = source.split("\n", 1)[0].removeprefix("## ").strip()
    return title, re.split(r"\[Original Article\]\([^)]*\)[^\n]*\n", source, maxsplit=1)[-1].strip()


@recipe("Vatshayan/Fake-News-Prediction", "AafaqAaf/Fake-news-detection-using-NLP")
def _isot_row(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    index = _locator_int(item, r"CSV data row (\d+)")
    rows = csv.DictReader(io.StringIO(read(item["path"]).decode("utf-8")))
    for position, row in enumerate(rows):
        if position == index:
            return row["title"], row["text"]
    raise ValueError(f"{item['path']} has no data row {index}")


@recipe("noRubidium/seng3011_api")
def _json_record(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    record = json.loads(read(item["path"]))
    return record["headline"], record["text"]


@recipe("hillaryke/rag-optimization-cnn-dailymail")
def _cnn_dailymail_row(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    # The row is named by its CNN/Daily Mail story id, which survives a reordering of the sample.
    story = re.search(r"row with id ([0-9a-f]{40})", item.get("locator") or "")
    if not story:
        raise ValueError(f"locator of {item['id']} names no story id")
    for row in csv.DictReader(io.StringIO(read(item["path"]).decode("utf-8"))):
        if row["id"] == story.group(1):
            return None, row["article"]
    raise ValueError(f"{item['path']} has no story {story.group(1)}")


@recipe("nuuuwan/news_long_lk")
def _scraped_paragraphs(read: Callable[[str], bytes], item: dict) -> tuple[str | None, str]:
    record = json.loads(read(item["path"]))
    paragraphs = [p.strip() for p in record["body_paragraphs"] if p and p.strip()]
    return record["title"], "\n\n".join(paragraphs) + "\n"


def rebuild(sources: Path, corpus_dir: Path = CORPUS_DIR, only: str | None = None) -> Counter:
    """Write every missing local text a recipe can rebuild and verify; count the outcomes."""
    outcome: Counter = Counter()
    local_dir = corpus_dir / "local"
    local_dir.mkdir(exist_ok=True)
    for path in batch_paths(corpus_dir):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if item.get("text_in_repo") or (only and item["repo"] != only):
                continue
            target = local_dir / f"{item['id']}.txt"
            if target.exists():
                outcome["already present"] += 1
                continue
            status = _rebuild_item(sources, item, target)
            outcome[status] += 1
            if status != "rebuilt":
                print(f"{item['id']}: {status} ({item['repo']})", file=sys.stderr)
    return outcome


def _rebuild_item(sources: Path, item: dict, target: Path) -> str:
    make = RECIPES.get(item["repo"])
    if make is None:
        return "no recipe"
    clone = _find_clone(sources, item["repo"])
    if clone is None:
        return "source repository not in SOURCES_DIR"
    try:
        title, text = make(lambda path: _git_show(clone, item["commit"], path), item)
    except (subprocess.CalledProcessError, ValueError, KeyError, IndexError, AttributeError) as exc:
        return f"recipe failed: {type(exc).__name__}"
    for content in _layouts(title, text):
        if hashlib.sha256(content.encode("utf-8")).hexdigest() == item.get("sha256"):
            target.write_text(content, encoding="utf-8")
            return "rebuilt"
    return "hash differs"


def _layouts(title: str | None, text: str) -> list[str]:
    """The two ways the labellers stored a text: with its title on top, or alone."""
    bodies = [text, text.rstrip("\n"), text.rstrip("\n") + "\n"]
    with_title = [f"{title}\n\n{body}" for body in bodies] if title else []
    return with_title + bodies


# A fork holds the commits of the repository it was forked from: the
# labellers recorded whichever copy they read, and either clone serves.
_FORKS = {"duynht/financial-news-dataset": "Danbo3004/financial-news-dataset"}


def _find_clone(sources: Path, repo: str) -> Path | None:
    for name in (repo, _FORKS.get(repo)):
        if name is None:
            continue
        owner, name = name.split("/")
        for base in (sources / owner / name, sources / f"{owner}+{name}"):
            for candidate in (base / "repo", base):
                if candidate.exists():
                    return candidate
    return None


def _git_show(clone: Path, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(clone), "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m enrich.rebuild", description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", type=Path, help="folder of git clones, as <owner>/<name> or <owner>+<name>")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="corpus folder (default: %(default)s)")
    parser.add_argument("--repo", help="only the items of this owner/name")
    args = parser.parse_args(argv)
    outcome = rebuild(args.sources, args.corpus, args.repo)
    for status, count in outcome.most_common():
        print(f"{count:>5}  {status}")
    return 0 if not set(outcome) - {"rebuilt", "already present"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
