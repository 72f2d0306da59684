"""The tagger's word lists, read from ``enrich/data/vocabulary.yaml``.

The grammar modules build their patterns from these lists at import, so the
words live beside the catalogue as data and the patterns stay in code.
"""

from __future__ import annotations

from pathlib import Path

import yaml

_PATH = Path(__file__).parent / "data" / "vocabulary.yaml"


def _load() -> tuple[dict[str, str], dict[str, str]]:
    with _PATH.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {k: " ".join(str(v).split()) for k, v in data["words"].items()}, {k: " ".join(str(v).split()) for k, v in data["cues"].items()}


WORDS, CUES = _load()
