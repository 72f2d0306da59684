"""Message models: the contract between the stages and with downstream subscribers.

Every message on a topic is a frozen pydantic model serialised as JSON with a
``schema_version``. A record that cannot be decoded raises
:class:`newsflow.errors.DecodeError`, which keeps the raw bytes for the
dead-letter topic. Raw HTML never travels on a topic: only extracted text.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsflow.errors import DecodeError

SCHEMA_VERSION = 1

TOPIC_RAW = "news.articles.raw"
TOPIC_ENRICHED = "news.articles.enriched"
TOPIC_DLQ = "news.articles.dlq"

Modality = Literal["asserted", "planned", "possible"]
ExtractionStatus = Literal["page", "feed_only"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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
    kind: str = "company"
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
    action: str
    object: str | None = None
    when: TimeRef | None = None
    amount: Amount | None = None
    change_pct: float | None = None
    negated: bool = False
    modality: Modality = "asserted"
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
