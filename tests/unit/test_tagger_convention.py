"""The tagger against enrich/gold/CONVENTION.md: one sentence per rule of the convention."""

from datetime import date

import pytest

from enrich.tagger import tag

PUBLISHED = date(2024, 1, 3)


def triples(text, title=None):
    return {(e.actor, e.action, e.negated) for e in tag(text, PUBLISHED, title).events}


def producers(text):
    return {(p.name, p.kind) for p in tag(text, PUBLISHED).producers}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chilean copper output fell to 410,000 t from 470,000.", {("Chile", "output_cut", False)}),
        ("Kestrel Mining's nickel output rose 8% in the quarter.", {("Kestrel Mining", "output_increase", False)}),
        ("Output at Glencore's Mutanda mine fell 10%.", {("Glencore", "output_cut", False)}),
        ("Ivory Coast's cocoa exports fell 10% in January.", {("Ivory Coast", "sales", False)}),
    ],
)
def test_production_and_sales_statistics_are_events(text, expected):
    assert triples(text) == expected


def test_a_country_sells_and_is_a_producer():
    assert triples("Japan will import 30,000 bpd of crude from Saudi Arabia.") == {("Saudi Arabia", "sales", False)}
    assert ("Saudi Arabia", "country") in producers("Japan will import 30,000 bpd of crude from Saudi Arabia.")


def test_a_country_that_only_imports_or_regulates_is_no_producer():
    assert producers("India banned diamond imports in October.") == set()
    assert producers("Lab-grown diamonds now make up more than half of U.S. engagement-ring sales.") == set()


def test_a_producing_country_in_apposition_is_a_producer():
    assert ("Ghana", "country") in producers("Ghana, the world's second-largest cocoa grower, said rains were good.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("India lifted its ban on rice imports.", {("India", "import_ban", True)}),
        ("Glencore lifted force majeure on zinc shipments.", {("Glencore", "sales_resume", False)}),
        ("Saudi Arabia rejected its new OPEC quota.", {("Saudi Arabia", "output_cut", True)}),
        ("Nigeria will keep within its OPEC quota.", {("Nigeria", "output_cut", False)}),
    ],
)
def test_lifting_and_quotas(text, expected):
    assert triples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Glencore denied rumours that the company had declared force majeure.", {("Glencore", "force_majeure", True)}),
        ("Glencore said there was no force majeure on its shipments.", {("Glencore", "force_majeure", True)}),
        ("Codelco saw no reason to cut output.", {("Codelco", "output_cut", True)}),
        ("NO FORCE MAJEURE AT GLENCORE ZINC SMELTER\nGlencore said on Monday its smelter was running normally.", {("Glencore", "force_majeure", True)}),
    ],
)
def test_denials_and_explicit_no_are_negated(text, expected):
    assert triples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Codelco gave term buyers retroactive discounts.", {("Codelco", "price_cut", False)}),
        ("Workers began a sit-in at the Codelco mine.", {("Codelco", "strike", False)}),
        ("Vale plans to triple production at the mine.", {("Vale", "output_increase", False)}),
        ("Sinopec cancelled a $25 million crude purchase.", {("Sinopec", "purchase_deferral", False)}),
        ("Halcyon Copper, a unit of Glencore, said it is cutting prices.", {("Halcyon Copper", "price_cut", False)}),
        ("Glencore outbid BHP to buy the unit.", {("Glencore", "acquisition", False)}),
        ("As a result of the sanctions imposed on Russia by the United States and the European Union, trade fell.",
         {("United States", "sanctions", False), ("European Union", "sanctions", False)}),
        ("Venezuela was hit with sanctions on Tuesday.", set()),
    ],
)
def test_vocabulary_and_syntax(text, expected):
    assert triples(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Between August 31 and September 30, the CEPEA/ESALQ Index for crystal sugar (Sao Paulo State) rose by 4%.", {("sugar", "price_rise", False)}),
        ("Hog producers said domestic soybean and corn prices were at record levels in Brazil.", {("soybeans", "price_rise", False), ("corn", "price_rise", False)}),
        ("Only 12.7% of dairy farmers expect a price rise in milk.", set()),
        ("If the price of copper rose above $10,000, miners would profit.", set()),
    ],
)
def test_price_statements(text, expected):
    assert {t for t in triples(text) if t[1].startswith("price")} == expected
