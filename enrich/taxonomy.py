"""The catalogue: producers, countries, commodities and news sources.

Loaded once per process from the YAML files in ``enrich/data/`` (see
:func:`load_taxonomy`) and compiled into one phrase matcher, so the tagger
finds every catalogue name in a single pass over the text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from enrich.phrases import Phrase, PhraseMatcher

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class ProducerEntry:
    name: str
    kind: str = "company"
    country: str | None = None
    commodities: tuple[str, ...] = ()
    parent: str | None = None
    # The name is also a common word ("Vale", "Shell"): trust it only when
    # written capitalised away from the start of a sentence, or near company words.
    ambiguous: bool = False


@dataclass(frozen=True)
class CountryEntry:
    name: str
    iso2: str | None = None


@dataclass(frozen=True)
class CommodityEntry:
    name: str
    family: str | None = None


@dataclass(frozen=True)
class SourceEntry:
    name: str
    kind: str = "news"


@dataclass
class Taxonomy:
    producers: dict[str, ProducerEntry] = field(default_factory=dict)
    countries: dict[str, CountryEntry] = field(default_factory=dict)
    commodities: dict[str, CommodityEntry] = field(default_factory=dict)
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    matcher: PhraseMatcher = field(default_factory=PhraseMatcher)


@functools.cache
def load_taxonomy(data_dir: Path | None = None) -> Taxonomy:
    """Load and compile the catalogue (cached: once per process and directory)."""
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    taxonomy = Taxonomy()
    _add_sources(taxonomy, _read(data_dir / "sources.yaml"))
    _add_countries(taxonomy, _read(data_dir / "countries.yaml"))
    _add_commodities(taxonomy, _read(data_dir / "commodities.yaml"))
    _add_producers(taxonomy, _read(data_dir / "producers.yaml"))
    taxonomy.matcher.compile()
    return taxonomy


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or []
    return [row for row in data if isinstance(row, dict) and row.get("name")]


def _strings(row: dict, key: str) -> list[str]:
    values = row.get(key) or []
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values if v and str(v).strip()]


def _add_producers(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        entry = ProducerEntry(
            name=name,
            kind=str(row.get("kind") or "company"),
            country=row.get("country") or None,
            commodities=tuple(_strings(row, "commodities")),
            parent=row.get("parent") or None,
            ambiguous=bool(row.get("ambiguous")),
        )
        taxonomy.producers[name] = entry
        for surface in [name, *_strings(row, "aliases")]:
            taxonomy.matcher.add(surface, Phrase("producer", name))
        for surface in _strings(row, "abbreviations"):
            taxonomy.matcher.add(surface, Phrase("producer", name, case_sensitive=True))


def _add_countries(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        taxonomy.countries[name] = CountryEntry(name=name, iso2=row.get("iso2"))
        for surface in [name, *_strings(row, "aliases")]:
            taxonomy.matcher.add(surface, Phrase("country", name))
        for surface in _strings(row, "adjectives") + _strings(row, "demonyms"):
            taxonomy.matcher.add(surface, Phrase("country_adj", name))


def _add_commodities(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        taxonomy.commodities[name] = CommodityEntry(name=name, family=row.get("family"))
        for surface in _with_plurals([name, *_strings(row, "synonyms")]):
            taxonomy.matcher.add(surface, Phrase("commodity", name, lowercase_ok=True))
        for surface in _with_plurals(_strings(row, "weak")):
            taxonomy.matcher.add(surface, Phrase("commodity_weak", name, lowercase_ok=True))


def _add_sources(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        taxonomy.sources[name] = SourceEntry(name=name, kind=str(row.get("kind") or "news"))
        for surface in [name, *_strings(row, "aliases")]:
            taxonomy.matcher.add(surface, Phrase("source", name))


def _with_plurals(surfaces: list[str]) -> list[str]:
    """Commodity words appear in both numbers ("diamond prices", "rough diamonds")."""
    out = []
    for surface in surfaces:
        out.append(surface)
        if surface.islower() and surface.isalpha() and len(surface) > 3:
            if not surface.endswith("ss"):
                out.append(surface[:-1] if surface.endswith("s") else surface + "s")
    return out
