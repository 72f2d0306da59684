"""JSON Schema files of the topics' messages, generated from the models in :mod:`newsflow.models`.

``python -m newsflow.topic_schemas`` writes them into ``schemas/``;
``--check`` only compares and exits 1 when a file differs from what the
models say (tests/unit/test_topic_schemas.py runs the same check, so a model
change without its regenerated schema fails CI).

A file is named for its topic and ``schema_version``: when a change bumps the
version, the new file sits beside the old one, which stays for one release
(the README's compatibility policy). The schemas describe what newsflow
writes (pydantic's serialization mode: every field is present).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from newsflow.models import (
    SCHEMA_VERSION,
    TOPIC_DLQ,
    TOPIC_ENRICHED,
    TOPIC_EVENTS,
    TOPIC_RAW,
    DeadLetterHeaders,
    EnrichedArticle,
    EventMessage,
    RawArticle,
)

SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: topic -> (model, what of a record it describes, pydantic's schema mode). A
#: value is described as written (serialization: every field present); the
#: dead letters' headers as read (validation: an optional header may be absent).
TOPIC_MODELS: dict[str, tuple[type[BaseModel], str, str]] = {
    TOPIC_RAW: (RawArticle, "The value (JSON; key: the article id)", "serialization"),
    TOPIC_ENRICHED: (EnrichedArticle, "The value (JSON; key: the article id)", "serialization"),
    TOPIC_DLQ: (DeadLetterHeaders, "The headers (key and value: the poison record's own)", "validation"),
    TOPIC_EVENTS: (EventMessage, "The value (JSON; key: the producer, UTF-8)", "serialization"),
}


def file_name(topic: str, version: int = SCHEMA_VERSION) -> str:
    return f"{topic}.v{version}.schema.json"


def topic_schema(topic: str) -> dict:
    """The JSON Schema of what ``topic`` carries, with where it comes from."""
    model, part, mode = TOPIC_MODELS[topic]
    schema = model.model_json_schema(mode=mode, by_alias=True)
    header = {
        "$schema": DRAFT,
        "$comment": f"Generated from newsflow.models.{model.__name__} by `python -m newsflow.topic_schemas`; do not edit.",
        "title": f"{topic} v{SCHEMA_VERSION}",
        "description": f"{part} of a record on {topic}. {schema.pop('description', '')}".strip(),
    }
    schema.pop("title", None)
    return {**header, **schema}


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generated() -> dict[str, str]:
    """File name -> text, for every topic at the current schema version."""
    return {file_name(topic): render(topic_schema(topic)) for topic in TOPIC_MODELS}


def drift(folder: Path) -> list[str]:
    """The current version's files that are missing from ``folder`` or differ from the models."""
    return [
        name for name, text in generated().items()
        if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text
    ]


def write(folder: Path) -> list[str]:
    """Write the current version's files; return the names of those that changed."""
    changed = drift(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in generated().items():
        if name in changed:
            (folder / name).write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsflow.topic_schemas", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help=f"where the files live (default: {SCHEMAS_DIR})")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a file is missing or differs")
    args = parser.parse_args(argv)
    if args.check:
        stale = drift(args.dir)
        for name in stale:
            print(f"{args.dir / name}: differs from the models; run `python -m newsflow.topic_schemas`", file=sys.stderr)
        return 1 if stale else 0
    for name in write(args.dir):
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
