"""The real-page corpus tooling: the recipe's pages rebuilt from git and hash-checked; the F1 measures."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from benchmarks.realpages import (
    RECIPE,
    load_pages,
    read_recipe,
    rebuild,
    reference_text,
    shingle_f1,
    token_f1,
)

PAGE = b"<html><body><p>Copper rose 2% on Monday.</p></body></html>"
EXPECTED = b"<div><p>Copper rose <b>2%</b> on Monday.</p><p>Second paragraph.</p></div>"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def source_repos(tmp_path: Path) -> tuple[Path, str]:
    """A real git repository laid out as the fetch tool leaves one (owner+name/repo, bare)."""
    work = tmp_path / "work"
    (work / "pages").mkdir(parents=True)
    (work / "pages" / "a.html").write_bytes(PAGE)
    (work / "pages" / "a.expected.html").write_bytes(EXPECTED)
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "pages")
    repos = tmp_path / "mirror"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(repos / "someone+pages" / "repo")], check=True)
    return repos, _git(work, "rev-parse", "HEAD")


def _recipe(tmp_path: Path, commit: str, page_sha: str) -> Path:
    recipe = tmp_path / "recipe.tsv"
    recipe.write_text(
        "id\trepository\tcommit\tpath\tsha256\ttruth_path\ttruth_sha256\ttruth_kind\n"
        f"p1\tsomeone/pages\t{commit}\tpages/a.html\t{page_sha}\tpages/a.expected.html\t"
        f"{hashlib.sha256(EXPECTED).hexdigest()}\treadability-expected\n"
    )
    return recipe


def test_rebuild_writes_the_page_and_its_reference_text(tmp_path: Path, source_repos: tuple[Path, str]) -> None:
    repos, commit = source_repos
    out = tmp_path / "out"
    recipe = _recipe(tmp_path, commit, hashlib.sha256(PAGE).hexdigest())
    written, errors = rebuild(out, repos, clone=False, recipe=recipe)
    assert (written, errors) == (1, [])
    assert (out / "p1.html").read_bytes() == PAGE
    assert (out / "p1.txt").read_text() == "Copper rose 2% on Monday.\nSecond paragraph.\n"
    [page] = load_pages(out)
    assert (page.id, page.truth_kind) == ("p1", "readability-expected")


def test_a_page_whose_hash_differs_is_refused(tmp_path: Path, source_repos: tuple[Path, str]) -> None:
    repos, commit = source_repos
    out = tmp_path / "out"
    written, errors = rebuild(out, repos, clone=False, recipe=_recipe(tmp_path, commit, "0" * 64))
    assert written == 0 and len(errors) == 1 and "sha256" in errors[0]
    assert not (out / "p1.html").exists()


def test_the_committed_recipe_is_complete() -> None:
    pages = read_recipe(RECIPE)
    assert len(pages) >= 200
    assert len({p.id for p in pages}) == len(pages) and len({p.sha256 for p in pages}) == len(pages)
    for page in pages:
        assert len(page.commit) == 40 and len(page.sha256) == 64, page.id
        assert bool(page.truth_path) == bool(page.truth_sha256) == bool(page.truth_kind), page.id


def test_token_and_shingle_f1() -> None:
    reference = "the quick brown fox jumps over the lazy dog"
    assert token_f1(reference, reference) == shingle_f1(reference, reference) == 1.0
    assert token_f1("", reference) == 0.0
    # Half the words: precision 1, recall 4/9.
    assert token_f1("the quick brown fox", reference) == pytest.approx(2 * (4 / 9) / (1 + 4 / 9))
    # The same words out of order keep their token F1 but lose their shingles.
    shuffled = "dog lazy the over jumps fox brown quick the"
    assert token_f1(shuffled, reference) == 1.0 and shingle_f1(shuffled, reference) == 0.0


def test_plain_reference_text_is_kept_as_is() -> None:
    assert reference_text(b"  Line one.\nLine two.\n\n", "newspaper-expected") == "Line one.\nLine two.\n"
