"""The compiled catalogue on disk, so a short-lived process starts fast.

Parsing the YAML catalogue and building its Aho-Corasick automaton costs
~0.2 s of CPU; unpickling the result costs a tenth of that. The cache file is
keyed on the bytes of the data files and of the modules that compile them,
so any change to either builds a fresh one. The action lexicon (compiled
regexes) is not cached: it is rebuilt per process. A cache that cannot be
read or written is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

_CODE = ("taxonomy.py", "phrases.py", "lexicon.py", "cues.py", "vocabulary.py", "producers.py", "times.py", "textshape.py", "catalogue_cache.py")


def read(data_dir: Path) -> Any | None:
    path = _path(data_dir)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a stale or truncated cache is rebuilt
        return None


def write(data_dir: Path, taxonomy: Any) -> None:
    path = _path(data_dir)
    if path is None:
        return
    lexicon = taxonomy.lexicon
    taxonomy.lexicon = None  # compiled regexes are rebuilt, not pickled
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as fh:
            pickle.dump(taxonomy, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, path)  # atomic: a reader never sees half a file
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(fh.name)
    finally:
        taxonomy.lexicon = lexicon


def _path(data_dir: Path) -> Path | None:
    root = os.environ.get("NEWSFLOW_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256()
    here = Path(__file__).parent
    try:
        for name in _CODE:
            digest.update((here / name).read_bytes())
        for data in sorted(Path(data_dir).glob("*.yaml")):
            digest.update(data.name.encode() + data.read_bytes())
    except OSError:
        return None
    return Path(root) / "newsflow" / f"catalogue-{digest.hexdigest()[:24]}.pickle"
