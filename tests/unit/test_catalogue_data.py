"""Validate the hand-written catalogue in enrich/data/ (pure data checks, no services)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "enrich" / "data"

PRODUCER_KINDS = {"company", "state", "cartel"}
SOURCE_KINDS = {"news", "analyst", "agency", "exchange"}
REQUIRED_FAMILIES = {
    "diamonds", "gold", "silver", "pgm", "copper", "iron ore", "steel", "aluminium",
    "nickel", "zinc", "lithium", "cobalt", "coal", "crude oil", "natural gas", "lng",
    "fertilisers", "coffee", "cocoa", "sugar", "grains",
}
REQUIRED_COMMODITIES = {
    "diamonds", "gold", "silver", "platinum", "palladium", "rhodium", "copper", "iron ore",
    "steel", "aluminium", "alumina", "bauxite", "nickel", "zinc", "lead", "tin", "lithium",
    "cobalt", "manganese", "uranium", "coal", "thermal coal", "coking coal", "crude oil",
    "natural gas", "LNG", "oil products", "potash", "phosphate", "nitrogen fertiliser",
    "fertilisers", "coffee", "cocoa", "sugar", "wheat", "corn", "soybeans", "rice", "palm oil",
}


def _load(name: str) -> list[dict]:
    with (DATA / f"{name}.yaml").open(encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)
    assert isinstance(rows, list), f"{name}.yaml must be a YAML list"
    assert all(isinstance(r, dict) and r.get("name") for r in rows), f"{name}.yaml: every entry needs a name"
    return rows


@pytest.fixture(scope="module")
def producers() -> list[dict]:
    return _load("producers")


@pytest.fixture(scope="module")
def countries() -> list[dict]:
    return _load("countries")


@pytest.fixture(scope="module")
def commodities() -> list[dict]:
    return _load("commodities")


@pytest.fixture(scope="module")
def sources() -> list[dict]:
    return _load("sources")


def _strings(row: dict, key: str) -> list[str]:
    values = row.get(key)
    if values is None:
        return []
    assert isinstance(values, list), f"{row['name']}: {key} must be a list"
    assert all(isinstance(v, str) and v.strip() for v in values), f"{row['name']}: {key} has a blank or non-string"
    return values


def _surfaces(rows: list[dict], keys: tuple[str, ...]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        for surface in [row["name"], *(s for k in keys for s in _strings(row, k))]:
            out[" ".join(surface.lower().split())].add(row["name"])
    return out


def _dupes(values) -> list:
    return [v for v, n in collections.Counter(values).items() if n > 1]


# --- every file ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["producers", "countries", "commodities", "sources", "regions"])
def test_file_loads_and_names_are_unique(name):
    rows = _load(name)
    assert not _dupes(r["name"] for r in rows)
    assert not _dupes(r["name"].lower() for r in rows)


# --- producers ----------------------------------------------------------------

def test_producer_fields(producers):
    allowed = {"name", "kind", "aliases", "abbreviations", "country", "commodities", "parent", "ambiguous"}
    for p in producers:
        assert set(p) <= allowed, f"{p['name']}: unknown keys {set(p) - allowed}"
        assert p.get("kind") in PRODUCER_KINDS, p["name"]
        assert p.get("commodities"), f"{p['name']}: no commodities"
        assert not _dupes(_strings(p, "commodities")), p["name"]
        _strings(p, "aliases")
        _strings(p, "abbreviations")
        if "ambiguous" in p:
            assert isinstance(p["ambiguous"], bool), p["name"]


def test_enough_producers(producers):
    assert len(producers) >= 320


def test_producer_countries_exist(producers, countries):
    known = {c["name"] for c in countries}
    missing = {(p["name"], p.get("country")) for p in producers if p.get("country") not in known}
    assert not missing


def test_producer_commodities_exist(producers, commodities):
    known = {c["name"] for c in commodities}
    missing = {(p["name"], c) for p in producers for c in p["commodities"] if c not in known}
    assert not missing


def test_parents_exist_and_do_not_cycle(producers):
    by_name = {p["name"]: p for p in producers}
    for p in producers:
        seen = {p["name"]}
        parent = p.get("parent")
        while parent:
            assert parent in by_name, f"{p['name']}: unknown parent {parent}"
            assert parent not in seen, f"{p['name']}: parent cycle"
            seen.add(parent)
            parent = by_name[parent].get("parent")


def test_no_surface_form_shared_by_two_producers(producers):
    shared = {s: names for s, names in _surfaces(producers, ("aliases", "abbreviations")).items() if len(names) > 1}
    assert not shared


def test_abbreviations_are_short_tokens(producers):
    for p in producers:
        for abbr in _strings(p, "abbreviations"):
            assert " " not in abbr and len(abbr) <= 10, f"{p['name']}: {abbr!r} is not an abbreviation"
            assert abbr != abbr.lower(), f"{p['name']}: {abbr!r} has no capitals"


def test_every_family_has_producers(producers, commodities):
    family = {c["name"]: c["family"] for c in commodities}
    counts = collections.Counter(f for p in producers for f in {family[c] for c in p["commodities"]})
    thin = {f: counts[f] for f in REQUIRED_FAMILIES if counts[f] < 5}
    assert not thin, f"families with fewer than 5 producers: {thin}"
    # every family in commodities.yaml has at least one producer
    assert not {f for f in family.values() if counts[f] == 0}


def test_diamonds_well_covered(producers):
    names = {p["name"] for p in producers if "diamonds" in p["commodities"]}
    for must in ("De Beers", "Alrosa", "Rio Tinto", "Petra Diamonds", "Lucara Diamond", "Debswana",
                 "Namdeb", "Catoca", "Endiama", "Okavango Diamond Company", "Sodiam"):
        assert must in names
    assert len(names) >= 25


def test_cartels_present(producers):
    cartels = {p["name"] for p in producers if p["kind"] == "cartel"}
    assert {"OPEC", "OPEC+", "GECF"} <= cartels


def test_seed_article_actors(producers):
    by_name = {p["name"]: p for p in producers}
    assert by_name["Alrosa"]["kind"] == "state"
    assert by_name["Alrosa"]["country"] == "Russia"
    assert "diamonds" in by_name["De Beers"]["commodities"]


# --- countries ----------------------------------------------------------------

def test_country_fields(countries):
    for c in countries:
        assert isinstance(c.get("iso2"), str) and len(c["iso2"]) == 2 and c["iso2"].isupper(), c["name"]
        for key in ("aliases", "adjectives", "demonyms"):
            _strings(c, key)
    assert not _dupes(c["iso2"] for c in countries)
    assert len(countries) >= 195


def test_key_countries(countries):
    by_name = {c["name"]: c for c in countries}
    us = by_name["United States"]
    assert {"US", "U.S.", "USA", "America"} <= set(us["aliases"])
    assert "American" in us["adjectives"]
    assert "Russian" in by_name["Russia"]["adjectives"]
    assert "Indian" in by_name["India"]["adjectives"]
    assert "Chinese" in by_name["China"]["adjectives"]
    assert "DRC" in by_name["Democratic Republic of the Congo"]["aliases"]
    assert "Côte d'Ivoire" in by_name["Ivory Coast"]["aliases"]
    assert "UAE" in by_name["United Arab Emirates"]["aliases"]
    assert "Korea" not in by_name["South Korea"]["aliases"]


def test_no_country_surface_shared(countries):
    shared = {s: n for s, n in _surfaces(countries, ("aliases", "adjectives", "demonyms")).items() if len(n) > 1}
    assert not shared


# --- commodities --------------------------------------------------------------

def test_commodity_fields(commodities):
    for c in commodities:
        assert isinstance(c.get("family"), str) and c["family"], c["name"]
        strong, weak = _strings(c, "synonyms"), _strings(c, "weak")
        # a word is strong or weak, never both (the strong reading would win)
        assert not {s.lower() for s in strong} & {w.lower() for w in weak}, c["name"]


def test_required_commodities_and_families(commodities):
    names = {c["name"] for c in commodities}
    assert names >= REQUIRED_COMMODITIES
    assert {c["family"] for c in commodities} >= REQUIRED_FAMILIES


def test_no_commodity_surface_shared(commodities):
    shared = {s: n for s, n in _surfaces(commodities, ("synonyms", "weak")).items() if len(n) > 1}
    assert not shared


def test_required_synonyms(commodities):
    syn = {c["name"]: {s.lower() for s in _strings(c, "synonyms") + _strings(c, "weak")} for c in commodities}
    assert {"crude", "oil", "brent", "wti", "barrels"} <= syn["crude oil"]
    assert "bullion" in syn["gold"]
    assert "gas" in syn["natural gas"]
    assert "liquefied natural gas" in syn["LNG"]
    assert "aluminum" in syn["aluminium"]
    assert "maize" in syn["corn"]
    assert {"arabica", "robusta"} <= syn["coffee"]
    assert {"met coal", "metallurgical coal"} <= syn["coking coal"]


# --- sources ------------------------------------------------------------------

def test_sources(sources):
    assert len(sources) >= 60
    for s in sources:
        assert s.get("kind") in SOURCE_KINDS, s["name"]
        _strings(s, "aliases")
    shared = {k: n for k, n in _surfaces(sources, ("aliases",)).items() if len(n) > 1}
    assert not shared
    names = {s["name"] for s in sources}
    assert {"Bloomberg", "Business Insider", "Reuters", "Kimberley Process", "LME"} <= names


# --- across files -------------------------------------------------------------

def test_no_surface_form_in_two_files(producers, countries, commodities, sources):
    tables = {
        "producers": _surfaces(producers, ("aliases", "abbreviations")),
        "countries": _surfaces(countries, ("aliases", "adjectives", "demonyms")),
        "commodities": _surfaces(commodities, ("synonyms", "weak")),
        "sources": _surfaces(sources, ("aliases",)),
    }
    names = list(tables)
    clashes = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for surface in set(tables[a]) & set(tables[b]):
                clashes.append((surface, a, sorted(tables[a][surface]), b, sorted(tables[b][surface])))
    assert not clashes, clashes
