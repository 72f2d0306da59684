"""Generate varied, real-looking market-news pages and feeds for the benchmarks.

Pages differ in layout (site chrome, sidebars, comment blocks, tables), length
and wording, so extraction costs what it costs on real sites rather than on
one page repeated. Everything is produced from a seed: runs are repeatable.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

PRODUCERS = [
    ("Alrosa", "diamonds"), ("De Beers", "diamonds"), ("Codelco", "copper"), ("Freeport-McMoRan", "copper"),
    ("Glencore", "cobalt"), ("Vale", "iron ore"), ("Rio Tinto", "iron ore"), ("BHP", "copper"),
    ("Albemarle", "lithium"), ("SQM", "lithium"), ("Norilsk Nickel", "nickel"), ("Newmont", "gold"),
    ("Barrick Gold", "gold"), ("Saudi Aramco", "crude oil"), ("QatarEnergy", "LNG"), ("Nutrien", "potash"),
    ("Anglo American", "platinum"), ("Fortescue", "iron ore"), ("Alcoa", "aluminium"), ("Coal India", "coal"),
]
COUNTRIES = ["India", "China", "Indonesia", "Chile", "Peru", "Australia", "Brazil", "Canada", "Russia", "Japan"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
ACTION_SENTENCES = [
    "{p} halted sales of {c} in {m}, citing weak demand from {k} buyers.",
    "{p} said on {d} it would cut {c} output by {n}% this year after prices slumped.",
    "{k} banned imports of {c} in {m} to support its domestic processors.",
    "{p} raised its {c} premium for {k} customers to ${n}0 a tonne for next year.",
    "Shares of {p} rose {n}% after the company reported higher {c} sales in {m}.",
    "{p} allowed customers to defer contracted purchases of {c} until {m}.",
    "{p} declared force majeure on {c} shipments from its main port after flooding.",
    "Workers at a {p} {c} mine in {k} went on strike on {d} over pay.",
    "{p} agreed to buy a {n}% stake in a {k} {c} project for about ${n}0 million.",
    "{c} prices fell nearly {n}% since {m}, traders said, as inventories built up.",
    "{p} will restart a {c} plant in {k} in {m} once maintenance is complete.",
    "{p} does not plan to cut {c} production, its chief executive told reporters.",
]
FILLER = [
    "Analysts said the market remained finely balanced, with stockpiles still above their five-year average.",
    "The company did not immediately respond to a request for comment outside business hours.",
    "Traders pointed to weaker industrial activity in the world's second-largest economy as a drag on demand.",
    "Freight rates for bulk carriers have eased since the summer, lowering delivered costs for importers.",
    "Several smaller producers have already curtailed output, according to an industry survey published last week.",
    "Consumers have been slow to return after a post-pandemic boom in spending on durable goods faded.",
    "The central bank is expected to keep interest rates on hold at its next meeting, economists said.",
    "Inventories at exchange-registered warehouses rose for a third straight week, data showed.",
    "Mining executives gathered in the capital for an annual conference dominated by talk of the energy transition.",
    "Environmental groups have criticised the expansion plans, arguing that water use in the region is unsustainable.",
    "A spokesperson said the group would review its guidance when it reports quarterly results next month.",
    "Spot premiums in Asia were little changed, reflecting thin trade ahead of a regional holiday.",
    "The government has promised to simplify permitting for new projects, but few approvals have followed.",
    "Hedge funds trimmed their net long positions for a second week, regulatory data showed.",
]
CHROME = [
    ("<header class='masthead'><a href='/'>{site}</a><nav>{nav}</nav></header>",
     "<footer><p>&copy; 2024 {site}. All rights reserved.</p><p>{links}</p></footer>"),
    (("<div id='top'><div class='logo'>{site}</div><ul class='menu'>{nav}</ul><div class='ticker'>"
     "Gold 1,983.20 +0.4% | Brent 82.10 -0.7% | Copper 8,412 +1.1%</div></div>"),
     "<div id='bottom'><div class='newsletter'>Sign up for our morning briefing</div><ul>{links}</ul></div>"),
    ("<div class='topbar'><span>{site}</span><span class='login'>Log in</span></div><nav class='sections'>{nav}</nav>",
     "<section class='footer-links'>{links}</section><small>Prices delayed by 15 minutes.</small>"),
]
SITES = ["Metals Daily", "Commodity Wire", "Resource Ledger", "Energy Monitor", "Softs & Grains Report"]


@dataclass(frozen=True)
class Corpus:
    root: Path
    feed_paths: list[str]
    page_paths: list[str]


def write_corpus(root: Path, pages: int, feeds: int = 4, seed: int = 7) -> Corpus:
    """Write ``pages`` article pages under ``root/pages`` and ``feeds`` RSS feeds linking to them."""
    rng = random.Random(seed)
    (root / "pages").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    items: list[tuple[str, str, datetime]] = []
    page_paths = []
    for n in range(pages):
        published = start + timedelta(minutes=37 * n)
        title, body = _article(rng)
        path = f"/pages/{n:05d}.html"
        (root / path.lstrip("/")).write_text(_page(rng, title, body, published), encoding="utf-8")
        items.append((title, path, published))
        page_paths.append(path)
    feed_paths = []
    for f in range(feeds):
        path = f"/feeds/feed{f}.xml"
        (root / path.lstrip("/")).write_text(_rss(f, items[f::feeds]), encoding="utf-8")
        feed_paths.append(path)
    return Corpus(root, feed_paths, page_paths)


def _article(rng: random.Random) -> tuple[str, list[str]]:
    producer, commodity = rng.choice(PRODUCERS)
    country = rng.choice(COUNTRIES)
    title = f"{producer} {rng.choice(['weighs', 'moves on', 'faces', 'bets on'])} {commodity} " \
            f"{rng.choice(['outlook', 'supply', 'demand', 'prices'])} as {country} {rng.choice(['slows', 'steps in', 'buys more'])}"
    paragraphs = []
    target_words = rng.randint(650, 950)
    words = 0
    while words < target_words:
        # About one sentence in seven reports an action, as in the seed article.
        sentences = [_action_sentence(rng) if rng.random() < 0.15 else rng.choice(FILLER)
                     for _ in range(rng.randint(2, 5))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return title, paragraphs


def _action_sentence(rng: random.Random) -> str:
    producer, commodity = rng.choice(PRODUCERS)
    return rng.choice(ACTION_SENTENCES).format(
        p=producer, c=commodity, k=rng.choice(COUNTRIES), m=rng.choice(MONTHS),
        n=rng.randint(2, 40), d=rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
    )


def _page(rng: random.Random, title: str, paragraphs: list[str], published: datetime) -> str:
    site = rng.choice(SITES)
    header, footer = rng.choice(CHROME)
    nav = "".join(f"<a href='/{s.lower()}'>{s}</a> " for s in ["Markets", "Metals", "Energy", "Agriculture", "Opinion"])
    links = " | ".join(f"<a href='/{s}'>{s.title()}</a>" for s in ["about", "contact", "terms", "privacy", "careers"])
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    sidebar = "<aside class='most-read'><h3>Most read</h3><ol>" + "".join(
        f"<li><a href='/story/{rng.randint(1000, 9999)}'>{html.escape(_article(rng)[0])}</a></li>" for _ in range(5)
    ) + "</ol></aside>"
    table = ""
    if rng.random() < 0.3:
        table = "<table class='prices'><tr><th>Contract</th><th>Last</th><th>Chg</th></tr>" + "".join(
            f"<tr><td>{m[:3]}-25</td><td>{rng.uniform(100, 9000):.2f}</td><td>{rng.uniform(-3, 3):+.2f}%</td></tr>"
            for m in MONTHS[:4]) + "</table>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | {site}</title>
{_assets(rng)}
<meta property="og:title" content="{html.escape(title)}"><meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{published.isoformat()}">
<meta name="author" content="{rng.choice(['Staff reporter', 'Maria Jensen', 'Ravi Menon', 'Chen Wei', 'Ana Souza'])}">
</head><body>
{header.format(site=site, nav=nav)}
{_mega_menu(rng)}
<main><article><h1>{html.escape(title)}</h1>
<p class="byline">{published.strftime('%B %d, %Y %H:%M')} UTC</p>
{body}
{table}
</article>{sidebar}</main>
{_story_grid(rng)}
<div class="comments"><h3>Comments</h3><p>Comments are closed for this article.</p></div>
{footer.format(site=site, links=links)}
</body></html>
"""


def _assets(rng: random.Random) -> str:
    """Inline CSS and scripts of the size real news pages carry (tens of KB)."""
    css = "\n".join(
        f".c{i} {{ margin: {i % 7}px; padding: {i % 5}px {i % 9}px; color: #{rng.randrange(0xFFFFFF):06x}; }}"
        for i in range(rng.randint(250, 450))
    )
    js = "\n".join(
        f"window.__cfg{i} = {{id: {i}, slot: 'ad-{rng.randint(1, 99)}', sizes: [[300, 250], [728, 90]], "
        f"targeting: {{section: 'markets', kw: ['{rng.choice(MONTHS).lower()}', 'commodities']}}}};"
        for i in range(rng.randint(150, 300))
    )
    return f"<style>{css}</style><script>{js}</script>"


def _mega_menu(rng: random.Random) -> str:
    columns = []
    for column in range(rng.randint(6, 10)):
        links = "".join(
            f"<li class='c{column}'><a href='/topic/{column}-{i}'>{rng.choice(FILLER).split(' ')[1].title()} "
            f"{rng.choice(PRODUCERS)[1].title()} {i}</a></li>"
            for i in range(rng.randint(15, 25))
        )
        columns.append(f"<div class='col'><div class='inner'><ul>{links}</ul></div></div>")
    return f"<div class='mega-menu' hidden><div class='wrap'>{''.join(columns)}</div></div>"


def _story_grid(rng: random.Random) -> str:
    cards = "".join(
        f"<div class='card c{i}'><div class='media'><img src='/img/{rng.randint(1, 10**6)}.jpg' alt=''></div>"
        f"<div class='body'><h4><a href='/story/{rng.randint(1, 10**6)}'>{html.escape(_article(rng)[0])}</a></h4>"
        f"<p class='teaser'>{html.escape(rng.choice(FILLER))}</p><span class='time'>{rng.randint(1, 59)} min ago</span>"
        f"</div></div>"
        for i in range(rng.randint(20, 36))
    )
    return f"<section class='more-stories'><h2>More stories</h2><div class='grid'>{cards}</div></section>"


def _rss(number: int, items: list[tuple[str, str, datetime]]) -> str:
    entries = "\n".join(
        f"""<item><title>{html.escape(title)}</title><link>{{{{BASE_URL}}}}{path}</link>
<guid isPermaLink="false">bench-{path}</guid><pubDate>{format_datetime(published)}</pubDate></item>"""
        for title, path, published in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Benchmark feed {number}</title><link>{{{{BASE_URL}}}}/</link>
<description>Generated for the newsflow benchmark</description>
{entries}
</channel></rss>
"""
