"""The real-text development corpus (``enrich/corpus/*.yaml``).

Each batch file holds 50 real public articles, labelled to
``enrich/gold/CONVENTION.md`` before the tagger ever ran on them, with their
provenance: repository, path, commit, licence and the SHA-256 of the text.
Where the licence allows it the text is in the file (``text_in_repo: true``);
otherwise it is kept beside the file in ``enrich/corpus/local/<id>.txt``,
which is not committed, and the recipe (``repo``, ``commit``, ``path``,
``locator``) says how to rebuild it (``python -m enrich.rebuild`` does so
for the sources it has a recipe for). An item whose local text is missing or
does not hash to the recorded value is skipped, and the loader says how many.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS_DIR = Path(__file__).parent / "corpus"
LOCAL_DIR = CORPUS_DIR / "local"


@dataclass
class Batch:
    path: Path
    items: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # ids whose text is not on this machine
    mismatched: list[str] = field(default_factory=list)  # ids whose text does not hash as recorded


def load_batch(path: Path, local_dir: Path | None = None) -> Batch:
    """The items of one batch file, each with its ``text`` (and ``title``) in place."""
    path = Path(path)
    local_dir = Path(local_dir) if local_dir is not None else path.parent / "local"
    batch = Batch(path)
    with path.open(encoding="utf-8") as fh:
        rows = [row for row in yaml.load(fh, Loader=_LOADER) or [] if isinstance(row, dict)]
    for row in rows:
        if row.get("text_in_repo", True) and row.get("text"):
            batch.items.append(row)
            continue
        local = local_dir / f"{row['id']}.txt"
        if not local.exists():
            batch.missing.append(str(row["id"]))
            continue
        text = local.read_text(encoding="utf-8")
        if not _hash_matches(row, text):
            batch.mismatched.append(str(row["id"]))
            continue
        batch.items.append({**row, "text": text})
    return batch


def _hash_matches(row: dict, text: str) -> bool:
    """The recorded hash is of ``title + "\\n\\n" + text`` when there is a title."""
    want = row.get("sha256")
    if not want:
        return True
    title = row.get("title")
    candidates = [text, text.rstrip("\n")]
    if title:
        candidates = [f"{title}\n\n{c}" for c in candidates] + candidates
    return any(hashlib.sha256(c.encode("utf-8")).hexdigest() == want for c in candidates)


def batch_paths(corpus_dir: Path | None = None) -> list[Path]:
    return sorted(Path(corpus_dir or CORPUS_DIR).glob("*.yaml"))


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def main() -> int:
    """Per batch: how many texts are on this machine and match their recorded hash."""
    for path in batch_paths():
        batch = load_batch(path)
        total = len(batch.items) + len(batch.missing) + len(batch.mismatched)
        print(f"{path.stem:<10} {len(batch.items):>3}/{total} texts present and verified, {len(batch.missing)} missing, {len(batch.mismatched)} not matching their hash")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
