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

from enrich import catalogue_cache
from enrich.cues import CUE_MARKERS
from enrich.lexicon import Lexicon, build_lexicon
from enrich.phrases import Phrase, PhraseMatcher
from enrich.producers import CUE_WORDS, INDUSTRY_WORDS
from enrich.textshape import known_case_map
from enrich.times import ANCHOR_WORDS

DATA_DIR = Path(__file__).parent / "data"
# libyaml's parser where installed: the catalogue loads ~5x faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    exports: frozenset[str] = frozenset()  # commodities it is a leading exporter of


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
    lexicon: Lexicon = field(default_factory=build_lexicon)
    # Every surface form of a producer or country -> its canonical name.
    names: dict[str, str] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        """The catalogue's name for ``name`` ("Norilsk Nickel" -> "Nornickel"), else ``name``."""
        return self.names.get(" ".join(name.split()).lower(), name)

    @functools.cached_property
    def producer_commodities(self) -> dict[str, tuple[str, ...]]:
        return {name: entry.commodities for name, entry in self.producers.items()}

    @functools.cached_property
    def producer_countries(self) -> dict[str, str]:
        # A cartel's country is where it sits (OPEC: Austria), not a state that acts for it.
        return {name: entry.country for name, entry in self.producers.items() if entry.country and entry.kind != "cartel"}

    @functools.cached_property
    def commodity_heads(self) -> dict[str, str]:
        """"thermal coal" -> "coal": subtypes named "<qualifier> <commodity>"."""
        heads = {}
        for name in self.commodities:
            words = name.split()
            for i in range(1, len(words)):
                head = " ".join(words[i:])
                if head in self.commodities:
                    heads[name] = head
                    break
        return heads

    @functools.cached_property
    def known_case(self) -> dict[str, str]:
        """How catalogue names spell their words ("opec" -> "OPEC"), for recasing
        caps headlines; common words ("gold", "mining") stay lower case."""
        names = ("producer", "country", "country_adj", "source")
        surfaces = [surface for surface, kind in self.matcher.surfaces() if kind in names]
        common = {word.lower() for word in INDUSTRY_WORDS}
        common.update(word for surface, kind in self.matcher.surfaces() if kind not in names for word in surface.lower().split())
        return {word: spelling for word, spelling in known_case_map(surfaces).items() if word not in common}

    @functools.cached_property
    def ambiguous(self) -> frozenset[str]:
        return frozenset(name for name, entry in self.producers.items() if entry.ambiguous)


@functools.cache
def load_taxonomy(data_dir: Path | None = None) -> Taxonomy:
    """Load and compile the catalogue (cached: once per process and directory).

    The compiled catalogue is also kept on disk (:mod:`enrich.catalogue_cache`),
    keyed on the data files and the code that compiles them, so a short-lived
    process (``newsflow tag one.txt``) skips parsing YAML and building the automaton.
    """
    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    lexicon = build_lexicon()
    cached = catalogue_cache.read(data_dir)
    if cached is not None:
        cached.lexicon = lexicon
        return cached
    taxonomy = _compile(data_dir, lexicon)
    catalogue_cache.write(data_dir, taxonomy)
    return taxonomy


def _compile(data_dir: Path, lexicon: Lexicon) -> Taxonomy:
    taxonomy = Taxonomy(lexicon=lexicon)
    _add_sources(taxonomy, _read(data_dir / "sources.yaml"))
    countries = _read(data_dir / "countries.yaml")
    known = {str(row["name"]) for row in countries}
    _add_countries(taxonomy, countries + [bloc for bloc in _BLOCS if bloc["name"] not in known])
    _add_commodities(taxonomy, _read(data_dir / "commodities.yaml"))
    _add_producers(taxonomy, _read(data_dir / "producers.yaml"))
    _add_regions(taxonomy, _read(data_dir / "regions.yaml"))
    # Trigger words share the automaton: one pass finds names and actions.
    for word in taxonomy.lexicon.by_word:
        taxonomy.matcher.add(word, Phrase("trigger", word, lowercase_ok=True))
    for role, words in CUE_MARKERS.items():
        for word in words.split():
            taxonomy.matcher.add(word, Phrase("cue", role, lowercase_ok=True))
    for word in ANCHOR_WORDS:
        taxonomy.matcher.add(word, Phrase("cue", "time", lowercase_ok=word.islower()))
    for role, words in CUE_WORDS.items():
        for word in words:
            taxonomy.matcher.add(word, Phrase("cue", role, lowercase_ok=role != "industry"))
    taxonomy.matcher.compile()
    return taxonomy


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_YAML_LOADER) or []
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
            taxonomy.names.setdefault(surface.lower(), name)
        for surface in _strings(row, "abbreviations"):
            taxonomy.matcher.add(surface, Phrase("producer", name, case_sensitive=True))
            taxonomy.names.setdefault(surface.lower(), name)


def _add_countries(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        taxonomy.countries[name] = CountryEntry(name=name, iso2=row.get("iso2"), exports=frozenset(_strings(row, "exports")))
        for surface in [name, *_strings(row, "aliases"), *_CAPITALS.get(name, ())]:
            taxonomy.matcher.add(surface, Phrase("country", name))
            taxonomy.names.setdefault(surface.lower(), name)
        for surface in _strings(row, "adjectives") + _strings(row, "demonyms"):
            taxonomy.matcher.add(surface, Phrase("country_adj", name))


# Capitals stand for their governments in news copy ("Washington barred ...",
# "Beijing and Canberra"). Only capitals that are rarely anything else.
_CAPITALS = {
    "United States": ("Washington",), "Russia": ("Moscow", "Kremlin"), "China": ("Beijing",), "India": ("New Delhi",),
    "Japan": ("Tokyo",), "Indonesia": ("Jakarta",), "Australia": ("Canberra",), "Canada": ("Ottawa",),
    "Saudi Arabia": ("Riyadh",), "Iran": ("Tehran",), "Ukraine": ("Kyiv", "Kiev"), "European Union": ("Brussels",),
    "Mali": ("Bamako",), "Zimbabwe": ("Harare",), "Democratic Republic of the Congo": ("Kinshasa",),
    "South Africa": ("Pretoria",), "Brazil": ("Brasilia", "Brasília"), "Turkey": ("Ankara",), "Venezuela": ("Caracas",),
    "Nigeria": ("Abuja",), "Chile": ("Santiago",), "Peru": ("Lima",), "Philippines": ("Manila",), "Guinea": ("Conakry",),
}  # fmt: skip


# Blocs that impose sanctions and bans like governments do; used when
# countries.yaml does not list them itself.
_BLOCS = [
    {"name": "European Union", "iso2": "EU", "aliases": ["EU", "E.U.", "European Commission"], "adjectives": []},
    {"name": "G7", "iso2": None, "aliases": ["Group of Seven", "G-7", "G7 nations"], "adjectives": []},
]


def _add_commodities(taxonomy: Taxonomy, rows: list[dict]) -> None:
    for row in rows:
        name = str(row["name"]).strip()
        taxonomy.commodities[name] = CommodityEntry(name=name, family=row.get("family"))
        for surface in [name, *_strings(row, "synonyms")]:
            taxonomy.names.setdefault(surface.lower(), name)
        for surface in _with_plurals([name, *_strings(row, "synonyms")]):
            # "Brent" must be written capitalised; "copper" may be written any way.
            taxonomy.matcher.add(surface, Phrase("commodity", name, lowercase_ok=surface.islower()))
        for surface in _with_plurals(_strings(row, "weak")):
            taxonomy.matcher.add(surface, Phrase("commodity_weak", name, lowercase_ok=True))


def _add_regions(taxonomy: Taxonomy, rows: list[dict]) -> None:
    """Regions only block false country hits ("Latin American" is not
    "American"); longest match does the blocking, and they are never emitted."""
    for row in rows:
        for surface in [str(row["name"]).strip(), *_strings(row, "aliases")]:
            taxonomy.matcher.add(surface, Phrase("region", str(row["name"]).strip()))


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
