"""The enrichment tagger (issue 3): producers, countries, commodities, events."""

from datetime import UTC, date

from enrich.tagger import TAGGER_VERSION, tag
from seeds import seed_article_text

PUBLISHED = date(2023, 12, 18)


def events_of(text, published=PUBLISHED):
    return {(e.actor, e.action, e.negated, e.modality) for e in tag(text, published).events}


def triples(text, published=PUBLISHED):
    return {(e.actor, e.action, e.negated) for e in tag(text, published).events}


def only(text, published=PUBLISHED):
    found = tag(text, published).events
    assert len(found) == 1, found
    return found[0]


def test_version_is_a_string():
    assert isinstance(TAGGER_VERSION, str) and TAGGER_VERSION


# ---------------------------------------------------------------- producers


def producer_names(text):
    return {p.name for p in tag(text).producers}


def test_catalogue_producers_and_aliases():
    tags = tag("Norilsk Nickel said output rose. Nornickel also said it sold more palladium.")
    assert [(p.name, p.in_catalogue, p.mentions) for p in tags.producers] == [("Nornickel", True, 2)]


def test_sources_and_banks_are_never_producers():
    text = "Alrosa halted sales, sources told Bloomberg and Reuters. Analysts at Goldman Sachs agreed, Business Insider said."
    assert producer_names(text) == {"Alrosa"}


def test_ambiguous_names_need_company_context():
    assert "Vale" not in producer_names("The vale was green and quiet.")
    assert "Vale" in producer_names("Iron ore shipments from Vale rose in the quarter.")


def test_uncatalogued_producers_from_context():
    tags = tag("The miner Foo Resources halted output. Bar Corp, the world's largest producer of cobalt, cut prices.")
    found = {p.name: p.in_catalogue for p in tags.producers}
    assert found == {"Foo Resources": False, "Bar": False}


def test_uncatalogued_names_drop_legal_suffix_and_keep_short_mentions():
    tags = tag("Toronto-listed Halcyon Gold Corp agreed to buy a stake in Merit Mining. Halcyon will fund it from cash.")
    found = {p.name: p.mentions for p in tags.producers}
    assert found == {"Halcyon Gold": 2, "Merit Mining": 1}


def test_industry_bodies_are_not_producers():
    assert producer_names("The World Gold Council said central banks bought gold.") == set()


def test_countries_from_names_adjectives_and_demonyms():
    tags = tag("Alrosa sold diamonds to Indian buyers. The US and China were quiet; Russian output rose.")
    assert {"India", "United States", "China", "Russia"} <= set(tags.countries)


def test_commodity_synonyms_and_weak_words():
    assert tag("India banned imports of the gemstone.").commodities == ["diamonds"]
    assert tag("Brent crude rose.").commodities == ["crude oil"]
    # "rough" alone is a weak synonym: it needs diamonds (or a diamond producer) in the article.
    assert tag("It was a rough week for markets.").commodities == []
    assert "diamonds" in tag("Alrosa sold more rough this month.").commodities


# ---------------------------------------------------------------- events


def test_lists_give_one_event_per_member():
    assert triples("Alrosa and De Beers both sold diamonds in November.") == {
        ("Alrosa", "sales", False),
        ("De Beers", "sales", False),
    }


def test_apposition_and_descriptors():
    assert triples("Russian giant Alrosa halted sales in September.") == {("Alrosa", "sales_halt", False)}
    text = "And De Beers, one of the world's largest diamond producers, allowed customers to back out of contracted purchases."
    assert triples(text) == {("De Beers", "purchase_deferral", False)}


def test_prepositional_objects_are_not_subjects():
    text = "Alrosa, which is majority-owned by Russia, halted sales."
    assert triples(text) == {("Alrosa", "sales_halt", False)}


def test_coreference_to_the_last_producer():
    text = "Glencore reported results on Tuesday. The company said it would shut its Mutanda copper mine."
    assert triples(text) == {("Glencore", "output_cut", False)}


def test_passive_voice_with_agent():
    event = only("Diamond sales were halted by Alrosa in September.")
    assert (event.actor, event.action, event.when.start) == ("Alrosa", "sales_halt", date(2023, 9, 1))


def test_nominalisations():
    assert triples("Alrosa's halt of sales lasted two months.") == {("Alrosa", "sales_halt", False)}
    assert triples("Indonesia announced a suspension of exports of nickel ore.") == {("Indonesia", "export_ban", False)}
    assert triples("The acquisition of Foo Mining by Glencore closed in May.") == {("Glencore", "acquisition", False)}


def test_negation_and_denial():
    assert events_of("OPEC will not cut output, the group said.") == {("OPEC", "output_cut", True, "planned")}
    assert triples("Alrosa denied it would halt sales.") == {("Alrosa", "sales_halt", True)}


def test_modality():
    assert events_of("Codelco plans to cut output at El Teniente.") == {("Codelco", "output_cut", False, "planned")}
    assert events_of("Codelco may cut output at El Teniente.") == {("Codelco", "output_cut", False, "possible")}
    assert events_of("Codelco is considering cutting output.") == {("Codelco", "output_cut", False, "possible")}
    assert events_of("Codelco cut output in May.") == {("Codelco", "output_cut", False, "asserted")}


def test_reported_speech():
    assert events_of("BHP said it would halt production at the mine.") == {("BHP", "output_cut", False, "planned")}


def test_negation_belongs_to_its_own_verb_phrase():
    text = "Moscow said it would not sell oil to those countries and would rather cut production."
    assert ("Russia", "output_cut", False) in triples(text)


def test_price_moves_belong_to_the_commodity():
    event = only("Gold fell 2.5% on Tuesday.")
    assert (event.actor, event.action, event.change_pct) == ("gold", "price_fall", -2.5)
    event = only("Diamond prices, which have fallen nearly 30% since March 2022, were flat.")
    assert (event.actor, event.action, event.change_pct) == ("diamonds", "price_fall", -30)


def test_share_prices_are_not_commodity_prices():
    assert triples("Share prices fell 3% in London.") == set()


def test_the_same_fact_twice_is_one_event():
    text = "Alrosa halted sales in September. In September, Alrosa halted its sales entirely."
    assert len(tag(text, PUBLISHED).events) == 1


def test_event_offsets_locate_the_sentence():
    text = "Markets were calm. India banned all imports of the gemstone in October."
    event = only(text)
    assert text[event.start : event.end] == event.sentence == "India banned all imports of the gemstone in October."


def test_amounts_and_times_attach_to_events():
    event = only("OPEC+ agreed to cut output by 2 million barrels per day from November.")
    assert (event.amount.value, event.amount.unit) == (2_000_000, "bpd")
    assert event.when.start == date(2023, 11, 1)


def test_empty_and_eventless_text():
    assert tag("").events == []
    assert tag("The weather was fine.").events == []


def test_datetime_published_is_accepted():
    from datetime import datetime

    event = only("India banned imports of diamonds in October.", datetime(2023, 12, 18, 9, tzinfo=UTC))
    assert event.when.start == date(2023, 10, 1)


# ---------------------------------------------------------------- the seed article


def test_seed_article_exact_result():
    tags = tag(seed_article_text(), PUBLISHED)
    assert [p.name for p in tags.producers] == ["Alrosa", "De Beers"]
    assert {"Russia", "India", "United States", "China"} <= set(tags.countries)
    assert tags.commodities == ["diamonds"]
    got = {(e.actor, e.action, e.object): e for e in tags.events}
    assert set(got) == {
        ("Alrosa", "sales", "diamonds"),
        ("De Beers", "sales", "diamonds"),
        ("Alrosa", "sales_halt", "diamonds"),
        ("India", "import_ban", "diamonds"),
        ("De Beers", "purchase_deferral", "diamonds"),
        ("diamonds", "price_fall", "diamonds"),
    }
    assert all(not e.negated and e.modality == "asserted" for e in tags.events)
    for actor in ("Alrosa", "De Beers"):
        sale = got[(actor, "sales", "diamonds")]
        assert (sale.amount.value, sale.amount.unit, sale.amount.approximate) == (100_000_000, "USD", True)
        assert date(2023, 11, 1) <= sale.when.start <= sale.when.end <= date(2023, 11, 30)
        assert sale.when.start >= date(2023, 11, 15)  # "late" November
    halt = got[("Alrosa", "sales_halt", "diamonds")].when
    assert (halt.start, halt.end) == (date(2023, 9, 1), date(2023, 9, 30))
    ban = got[("India", "import_ban", "diamonds")].when
    assert (ban.start, ban.end) == (date(2023, 10, 1), date(2023, 10, 31))
    deferral = got[("De Beers", "purchase_deferral", "diamonds")].when
    assert (deferral.start, deferral.end) == (date(2023, 11, 1), date(2023, 11, 30))
    fall = got[("diamonds", "price_fall", "diamonds")]
    assert fall.change_pct == -30
    assert (fall.amount.value, fall.amount.unit, fall.amount.approximate) == (30, "%", True)  # "nearly 30%"
    assert fall.when.start == date(2022, 3, 1)


# ---------------------------------------------------------------- harder language


def test_denial_of_a_report():
    assert triples("The Kremlin denied reports that Russia would halt gas exports to Europe.") == {("Russia", "export_ban", True)}


def test_pronoun_after_named_subject_keeps_negation():
    assert events_of("OPEC+ will not deepen its oil supply cuts, delegates said.") == {("OPEC+", "output_cut", True, "planned")}


def test_selling_a_company_is_not_a_sale_of_goods():
    assert triples("Anglo American said it had no plans to sell De Beers.") == set()


def test_habitual_and_relative_sales_are_background():
    assert triples("Nornickel has long sold much of its metal to European customers.") == set()
    assert triples("Petrobras will lower the price of diesel it sells to distributors.") == {("Petrobras", "price_cut", False)}


def test_lifting_a_ban_is_the_ban_negated():
    # the convention, enrich/gold/CONVENTION.md: lifting a measure with no resume code is the code, negated.
    assert triples("Argentina lifted restrictions on beef exports on Tuesday.") == {("Argentina", "export_ban", True)}


def test_subordinate_clause_subject_is_not_the_actor():
    text = "India banned wheat exports on Saturday as a scorching heatwave curtailed production."
    assert triples(text) == {("India", "export_ban", False)}


def test_subjectless_verb_phrase_after_but_shares_the_subject():
    text = "BHP and Fortescue also suspended loading but had not declared force majeure."
    assert triples(text) == {("BHP", "force_majeure", True), ("Fortescue", "force_majeure", True)}


def test_apposition_is_not_a_list():
    text = "Glencore, the largest cobalt supplier outside China, is offering bigger discounts on spot cargoes."
    assert triples(text) == {("Glencore", "price_cut", False)}


def test_relative_clause_head_is_the_actor():
    text = "The move follows a similar increase by Aurubis, Europe's largest copper smelter, which lifted its own premium to $228."
    assert ("Aurubis", "price_increase", False) in triples(text)


def test_country_adjective_with_government_is_the_country():
    assert triples("Guinea's military government ordered a halt to bauxite exports.") == {("Guinea", "export_ban", False)}
    assert triples("Indian buyers bought more rough diamonds.") == set()


def test_capital_cities_stand_for_governments():
    assert triples("Washington imposed sanctions on Rusal.") == {("United States", "sanctions", False)}


def test_commodity_subject_with_market_phrase():
    assert triples("Copper on the London Metal Exchange rose 1.2% to $8,285 a ton.") == {("copper", "price_rise", False)}
    assert triples("Brent crude futures settled up $1.23, or 1.5%, at $84.15 a barrel.") == {("crude oil", "price_rise", False)}


def test_talks_about_a_merger_are_possible_acquisitions():
    found = events_of("Rio Tinto and Glencore held talks about a possible merger, people familiar with the matter said.")
    assert found == {("Rio Tinto", "acquisition", False, "possible"), ("Glencore", "acquisition", False, "possible")}


def test_headline_future_is_planned_but_agreed_is_decided():
    assert events_of("De Beers to halt sales in March, sources say.") == {("De Beers", "sales_halt", False, "planned")}
    assert events_of("OPEC+ agreed to cut output by 2 million barrels per day.") == {("OPEC+", "output_cut", False, "asserted")}


def test_passive_with_the_owner_inside():
    assert triples("Production at Glencore's Mutanda mine was halted in May.") == {("Glencore", "output_cut", False)}


def test_lifting_force_majeure_resumes_sales():
    # the convention, enrich/gold/CONVENTION.md: lifting a measure that has a resume code is that code.
    assert triples("Rio Tinto lifted force majeure on iron ore shipments.") == {("Rio Tinto", "sales_resume", False)}


def test_opec_and_allies_is_opec_plus():
    text = "The Organization of the Petroleum Exporting Countries and allies are holding back 5.86 million barrels per day."
    assert triples(text) == {("OPEC+", "output_cut", False)}


def test_control_verbs_keep_their_object_as_agent():
    text = "Shell said a leak on the Trans Niger Pipeline forced it to shut the line."
    assert triples(text) == {("Shell", "output_cut", False)}
    text = "The Philippines will not follow Indonesia in banning exports of nickel ore."
    assert ("Indonesia", "export_ban", False) not in triples(text)


def test_future_words_move_a_bare_date_ahead():
    event = only("Russia has banned exports of gasoline for six months from March 1.", date(2024, 2, 27))
    assert event.when.start == date(2024, 3, 1)


def test_percentage_is_kept_as_an_approximate_amount_when_there_is_no_other():
    event = only("De Beers has lowered prices for some of its larger rough diamonds by about 10%.")
    assert (event.change_pct, event.amount.unit, event.amount.approximate) == (-10, "%", True)
