"""The topic contract: schema files in step with the models, enums covering every code in use (issue 10)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from kafka.consumer.fetcher import ConsumerRecord

from newsflow.errors import DecodeError
from newsflow.kafka import dead_letter
from newsflow.models import (
    Action,
    DeadLetterHeaders,
    EnrichedArticle,
    Event,
    Modality,
    ProducerKind,
    Tags,
    decode,
    encode,
    event_messages,
)
from newsflow.topic_schemas import SCHEMAS_DIR, drift, file_name, main
from tests.factories import raw_article

ROOT = Path(__file__).resolve().parents[2]
GOLD = sorted((ROOT / "enrich" / "gold").glob("*.yaml"))


def _schema(topic: str) -> dict:
    return json.loads((SCHEMAS_DIR / file_name(topic)).read_text(encoding="utf-8"))


def test_schema_files_match_the_models():
    assert drift(SCHEMAS_DIR) == [], "run `python -m newsflow.topic_schemas` and commit schemas/"


def test_check_reports_a_file_that_drifted(tmp_path, capsys):
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, folder)
    name = file_name("news.articles.enriched")
    edited = json.loads((folder / name).read_text())
    edited["$defs"]["Action"]["enum"].remove("strike")
    (folder / name).write_text(json.dumps(edited, indent=2) + "\n")
    (folder / file_name("news.articles.raw")).unlink()

    assert main(["--check", "--dir", str(folder)]) == 1
    assert sorted(drift(folder)) == sorted([name, file_name("news.articles.raw")])
    assert main(["--dir", str(folder)]) == 0 and drift(folder) == []
    assert "wrote" in capsys.readouterr().out


def test_action_enum_is_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Actions"):readme.index("## Tables")]
    codes = set(re.findall(r"`([a-z_]+)`", "\n".join(line.split("|")[1] for line in table.splitlines() if line.startswith("| `"))))
    assert codes == {a.value for a in Action}


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name)
def test_every_gold_action_is_an_enum_value(path):
    actions = {event["action"] for article in yaml.safe_load(path.read_text()) for event in article.get("events") or []}
    assert actions and actions <= {a.value for a in Action}


def test_every_catalogue_kind_is_a_producer_kind():
    rows = yaml.safe_load((ROOT / "enrich" / "data" / "producers.yaml").read_text())
    kinds = {str(row.get("kind") or "company") for row in rows}
    assert kinds == {"company", "state", "cartel"}  # "country" is the tagger's own
    assert kinds <= {k.value for k in ProducerKind}


def test_tagger_output_on_the_gold_set_fits_the_enums():
    """The tagger builds its models unvalidated (enrich/trusted.py): what it emits must still fit the contract."""
    from enrich.tagger import tag

    seen_actions, seen_kinds = set(), set()
    for article in yaml.safe_load((ROOT / "enrich" / "gold" / "articles.yaml").read_text()):
        published = article.get("published")
        tags = tag(article["text"], published if isinstance(published, date) else None)
        Tags.model_validate_json(tags.model_dump_json())  # validates every enum field
        seen_actions |= {e.action for e in tags.events}
        seen_kinds |= {p.kind for p in tags.producers}
    assert len(seen_actions) >= 10 and seen_kinds <= {k.value for k in ProducerKind}


def test_wire_format_keeps_plain_strings_and_refuses_unknown_codes():
    event = Event(actor="Alrosa", action="sales_halt", modality="planned", sentence="s", start=0, end=1)
    assert json.loads(event.model_dump_json())["action"] == "sales_halt"
    assert type(event.action) is str and event.action == Action.sales_halt and event.modality == Modality.planned
    message = EnrichedArticle(
        article=raw_article(), tags=Tags(events=[event]), tagger_version="t", enriched_at="2026-01-01T00:00:00Z"
    )
    wire = json.loads(encode(message))
    jsonschema.validate(wire, _schema("news.articles.enriched"))
    wire["tags"]["events"][0]["action"] = "teleport"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire, _schema("news.articles.enriched"))
    with pytest.raises(DecodeError, match="action"):
        decode(EnrichedArticle, json.dumps(wire).encode())


def test_raw_article_validates_against_its_schema():
    jsonschema.validate(json.loads(encode(raw_article(3))), _schema("news.articles.raw"))


class _Producer:
    def send(self, topic, key, value, headers):
        self.sent = (topic, key, value, headers)


def test_dead_letter_headers_fit_the_dlq_schema():
    record = ConsumerRecord(
        topic="news.articles.raw", partition=2, leader_epoch=0, offset=41, timestamp=0, timestamp_type=0,
        key=b"k", value=b"\xff" * 100, headers=[("trace", b"1")], checksum=None,
        serialized_key_size=1, serialized_value_size=100, serialized_header_size=6,
    )
    producer = _Producer()
    dead_letter(producer, "news.articles.dlq", record, DecodeError("undecodable record", b""), "enrich", max_bytes=600)
    headers = {k: v.decode() for k, v in producer.sent[3] if k.startswith("newsflow.")}
    jsonschema.validate(headers, _schema("news.articles.dlq"))
    parsed = DeadLetterHeaders.from_kafka(producer.sent[3])
    assert (parsed.stage, parsed.source_partition, parsed.source_offset, parsed.error_type) == ("enrich", "2", "41", "DecodeError")
    assert parsed.value_truncated is not None  # 100 bytes did not fit beside the headers in 600


def test_event_messages_carry_each_event_and_no_article_text():
    events = [
        Event(actor="Alrosa", action="sales_halt", sentence="Alrosa halted sales.", start=0, end=20),
        Event(actor="India", action="import_ban", negated=True, sentence="India did not ban imports.", start=21, end=47),
    ]
    article = raw_article(7)
    message = EnrichedArticle(article=article, tags=Tags(events=events), tagger_version="t", enriched_at="2026-01-01T00:00:00Z")
    records = event_messages(message)
    assert [(r.event_id, r.producer, r.action, r.negated) for r in records] == [
        (f"{article.id}:0", "Alrosa", "sales_halt", False), (f"{article.id}:1", "India", "import_ban", True),
    ]
    for record in records:
        wire = json.loads(encode(record))
        jsonschema.validate(wire, _schema("news.events"))
        assert article.text not in json.dumps(wire) and wire["article_url"] == article.url
