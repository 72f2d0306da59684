"""Message models: the contract between the stages and with downstream subscribers.

Every message on a topic is a frozen pydantic model serialised as JSON with a
``schema_version``. A record that cannot be decoded raises
:class:`newsflow.errors.DecodeError`, which keeps the raw bytes for the
dead-letter topic. Raw HTML never travels on a topic: only extracted text.

The JSON Schema files in ``schemas/`` are generated from these models
(``python -m newsflow.topic_schemas``) and a test fails when the two drift
apart. Codes with a fixed vocabulary (``action``, ``modality``, a producer's
``kind``) are enums, so a schema lists them; on the wire they are the same
plain strings as before, and models hold them as strings (``use_enum_values``).
Compatibility (README, "Topics"): adding an optional field keeps
``schema_version``; anything else (a removed, renamed or retyped field, a new
or removed enum value) bumps it.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsflow.errors import DecodeError

SCHEMA_VERSION = 1

TOPIC_RAW = "news.articles.raw"
TOPIC_ENRICHED = "news.articles.enriched"
TOPIC_DLQ = "news.articles.dlq"
TOPIC_EVENTS = "news.events"

ExtractionStatus = Literal["page", "feed_only"]


class Action(StrEnum):
    """What a producer did: the action codes of the README's "Actions" table (stable; a new one bumps schema_version)."""

    sales = "sales"
    sales_halt = "sales_halt"
    sales_resume = "sales_resume"
    purchase_deferral = "purchase_deferral"
    supply_restriction = "supply_restriction"
    output_cut = "output_cut"
    output_increase = "output_increase"
    price_cut = "price_cut"
    price_increase = "price_increase"
    price_fall = "price_fall"
    price_rise = "price_rise"
    import_ban = "import_ban"
    export_ban = "export_ban"
    sanctions = "sanctions"
    acquisition = "acquisition"
    force_majeure = "force_majeure"
    strike = "strike"


class Modality(StrEnum):
    """Done or decided, planned (will, plans to), or possible (may, could, considering)."""

    asserted = "asserted"
    planned = "planned"
    possible = "possible"


class ProducerKind(StrEnum):
    """A company, a state producer or marketing body, a cartel, or a country the text presents as producing."""

    company = "company"
    state = "state"
    cartel = "cartel"
    country = "country"


class _Frozen(BaseModel):
    # use_enum_values: a model holds an enum field as its plain string, the same
    # whether it was validated or built by the tagger's trusted() constructor.
    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=True)


def article_id(canonical_url: str) -> str:
    """The article's stable identity: a hash of its canonical URL (32 hex chars)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


class RawArticle(_Frozen):
    """An article as ingest saw it: page text and metadata, or the feed's own text."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str = Field(min_length=1, max_length=64)
    url: str
    canonical_url: str
    feed_url: str
    feed_name: str | None = None
    entry_id: str
    title: str | None = None
    summary: str | None = None
    text: str = ""
    authors: list[str] = Field(default_factory=list)
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    fetched_at: datetime
    # "page": text extracted from the fetched page. "feed_only": the page could
    # not be fetched or extracted, so title/summary/text come from the feed entry.
    extraction: ExtractionStatus = "page"
    extraction_error: str | None = None


class Producer(_Frozen):
    """A producer the article names: company, state (producer or marketing body), cartel, or a producing country."""

    name: str
    kind: ProducerKind = ProducerKind.company.value
    in_catalogue: bool = True
    country: str | None = None
    commodities: list[str] = Field(default_factory=list)
    mentions: int = 1


class Amount(_Frozen):
    """A quantity: ``about $100 million`` is value=1e8, unit="USD", approximate=True."""

    value: float
    unit: str
    approximate: bool = False
    text: str


class TimeRef(_Frozen):
    """A time resolved against the publication date: the span it denotes."""

    text: str
    start: date
    end: date
    granularity: Literal["day", "week", "month", "quarter", "year", "range"]


class Event(_Frozen):
    """Who did what, to what, when, how much."""

    actor: str
    action: Action
    object: str | None = None
    when: TimeRef | None = None
    amount: Amount | None = None
    change_pct: float | None = None
    negated: bool = False
    modality: Modality = Modality.asserted.value
    sentence: str
    start: int
    end: int
    confidence: float = 1.0


class Tags(_Frozen):
    """Everything the tagger found in one article."""

    producers: list[Producer] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    commodities: list[str] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)


class EnrichedArticle(_Frozen):
    """What ``news.articles.enriched`` carries: the raw article plus its tags."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article: RawArticle
    tags: Tags
    tagger_version: str
    enriched_at: datetime
    #: Fields enrich shortened so the message fits the topic (``text``,
    #: ``tags.events.sentence``...); the sink adds the ones it shortens.
    truncated_fields: list[str] = Field(default_factory=list)


class EventMessage(_Frozen):
    """What ``news.events`` carries: one event, its article named but not its text.

    The record's key is ``producer`` (the event's actor), so one producer's
    events keep their order in one partition. ``event_id`` is the article id
    and the event's place among the article's events: the same event, carried
    again (at-least-once delivery, or a page fetched again later), has the
    same id.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str
    producer: str = Field(description="the event's actor: a producer, a country, or a commodity for a price move")
    action: Action
    object: str | None = None
    when: TimeRef | None = None
    amount: Amount | None = None
    change_pct: float | None = None
    negated: bool = False
    modality: Modality = Modality.asserted.value
    confidence: float = 1.0
    sentence: str
    article_id: str
    article_url: str
    article_title: str | None = None
    site_name: str | None = None
    published_at: datetime | None = None
    tagger_version: str
    enriched_at: datetime


def event_messages(enriched: EnrichedArticle) -> list[EventMessage]:
    """The ``news.events`` records of one enriched article, in the article's order."""
    article = enriched.article
    return [
        EventMessage(
            event_id=f"{article.id}:{ordinal}",
            producer=event.actor,
            action=event.action,
            object=event.object,
            when=event.when,
            amount=event.amount,
            change_pct=event.change_pct,
            negated=event.negated,
            modality=event.modality,
            confidence=event.confidence,
            sentence=event.sentence,
            article_id=article.id,
            article_url=article.url,
            article_title=article.title,
            site_name=article.site_name,
            published_at=article.published_at,
            tagger_version=enriched.tagger_version,
            enriched_at=enriched.enriched_at,
        )
        for ordinal, event in enumerate(enriched.tags.events)
    ]


class DeadLetterStage(StrEnum):
    """The stage that gave a record up."""

    enrich = "enrich"
    sink = "sink"


class DeadLetterHeaders(_Frozen):
    """The headers of a record on ``news.articles.dlq``, each UTF-8 text (at most 2,000 characters).

    The dead letter's key and value are the poison record's own (the value
    cut to fit the topic if it had to be, which ``newsflow.value.truncated``
    says); the record's other headers follow these.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=True, populate_by_name=True)

    error: str = Field(alias="newsflow.error", description="the error's type and message")
    error_type: str = Field(alias="newsflow.error.type", description="the error's type, e.g. DecodeError")
    stage: DeadLetterStage = Field(alias="newsflow.stage")
    source_topic: str = Field(alias="newsflow.source.topic")
    source_partition: str = Field(alias="newsflow.source.partition", pattern=r"^[0-9]+$")
    source_offset: str = Field(alias="newsflow.source.offset", pattern=r"^[0-9]+$")
    value_truncated: str | None = Field(
        default=None, alias="newsflow.value.truncated", description="present when the value was cut to fit"
    )

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]] | None) -> DeadLetterHeaders:
        """The newsflow headers of a consumed dead letter."""
        return cls.model_validate({k: v.decode("utf-8", "replace") for k, v in headers or [] if k.startswith("newsflow.")})


M = TypeVar("M", bound=BaseModel)


def encode(message: BaseModel) -> bytes:
    """Serialise a message for a Kafka value."""
    return message.model_dump_json().encode("utf-8")


def decode(model: type[M], raw: bytes | None) -> M:
    """Decode a Kafka value into ``model``, or raise :class:`DecodeError` with the raw bytes."""
    if not raw:
        raise DecodeError("empty record value", raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise DecodeError(_summarise(exc), raw) from exc
    except (ValueError, UnicodeError) as exc:
        raise DecodeError(f"undecodable record: {exc}", raw) from exc


def _summarise(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
    return f"{exc.error_count()} validation error(s); first at {where}: {first.get('msg')}"
