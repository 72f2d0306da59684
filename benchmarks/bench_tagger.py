"""Tagger cost: CPU per article and articles per second, single process.

    python benchmarks/bench_tagger.py              # the real-text corpus (enrich/corpus), as published
    python benchmarks/bench_tagger.py --generated [--articles 2000] [--words 800]
    python benchmarks/bench_tagger.py --gold

By default every article of the real-text corpus is tagged as it was
published (title, text, date), a few times over, and the CPU per article is
reported for the commodity registers (the issue-6 limit: at most 10 ms on
average) and for general news. With ``--generated``, articles are generated here from varied market-news sentences (producers,
countries, commodities, actions, times, amounts) and background prose, one
sentence in five reporting an action, like the seed article (``--event-share``
changes that; 1.0 is a worst case); ``--gold`` stitches the gold set's
hand-written texts instead (denser in names and events than most news).
The cost grows with the number of sentences that hold an action. The target (issue 3) is >= 1,000 articles/s per core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from enrich.tagger import tag
from enrich.taxonomy import load_taxonomy

PRODUCERS = ["Alrosa", "De Beers", "Glencore", "Codelco", "BHP", "Rio Tinto", "Saudi Aramco", "Gazprom", "Nutrien",
             "Vale", "Barrick", "Newmont", "Freeport-McMoRan", "Anglo American", "Petrobras", "OPEC+", "Albemarle"]  # fmt: skip
COUNTRIES = ["India", "China", "Russia", "Indonesia", "Chile", "the United States", "Australia", "Brazil", "Zimbabwe"]
ADJECTIVES = ["Indian", "Chinese", "Russian", "Indonesian", "Chilean", "Australian", "Brazilian"]
COMMODITIES = ["diamonds", "copper", "gold", "crude oil", "iron ore", "nickel", "lithium", "potash", "coal", "LNG", "cobalt"]
MONTHS = ["January", "March", "May", "June", "September", "October", "November", "December"]
# Sentences that report an action (the grammar runs on these) ...
EVENT_TEMPLATES = [
    "{p} and {p2} both sold about ${n} million worth of {c} in late {m}, sources told Bloomberg.",
    "{p} halted sales of {c} entirely in {m}.",
    "{k} banned all imports of {c} in {m}.",
    "{p}, one of the world's largest {c} producers, allowed customers to defer contracted purchases.",
    "{c} prices, which have fallen nearly {n}% since {m} 2022, stabilised this week.",
    "{p} said it would cut {c} output by {n},000 tonnes next year.",
    "{p} may raise production at its flagship mine in {k} if prices recover.",
    "The company denied it would halt exports to {a} buyers.",
    "{k} will not impose sanctions on {k2}, officials said on Monday.",
    "{p} agreed to buy a {n}% stake in {p2} for ${n} billion.",
    "Workers at {p}'s mine in {k} went on strike on Tuesday.",
    "{p} declared force majeure on {c} shipments after floods.",
    "{c} rose {n}% to a record on Wednesday as {a} demand picked up.",
]
# ... and the background that fills most of a real article.
BACKGROUND_TEMPLATES = [
    "Analysts at Goldman Sachs said the market remained oversupplied, with inventories at {n} weeks of demand.",
    "Demand from {a} consumers has been weak since the pandemic, traders said.",
    "The industry has seen major changes in recent years, with inventories building up at cutting centres.",
    "Shares in {p} were down {n}% in London trading, while the broader index was flat.",
    "Meanwhile, the rise of lab-grown stones has been a sticking point for the industry.",
    "At the same time, the industry's most important market was suffering from high inflation.",
    "Traders said the outlook for the second half of the year remained uncertain, citing weak demand and high stocks.",
    "\"We are watching the market very closely,\" chief executive John Smith told reporters in {k}.",
    "{p} is due to report quarterly results on {m} {n}, and investors will look for guidance on costs.",
    "The mine, which employs about {n},000 people, is one of the largest in {k} and has operated since the 1970s.",
    "{a} officials are expected to meet industry representatives later this month to discuss the outlook.",
    "Freight rates from {k} to {k2} have doubled since {m}, adding to costs for buyers of {c}.",
    "The central bank kept interest rates unchanged at its meeting, as expected by most economists.",
    "{p} did not immediately respond to a request for comment, and {p2} declined to comment.",
    "Consumption of {c} in {k} is forecast to grow by about {n}% a year through 2030, according to consultants.",
    "The government has been trying to attract foreign investment into its mining sector for a decade.",
    "Several smaller buyers have withdrawn from the market, while larger firms are running down stockpiles.",
    "Reporting by Jane Doe in {k}; editing by David Evans.",
]
# One sentence in five reports an action: about 11 events per 800 words, the
# density of the seed article (6 events in 480 words).
EVENT_SHARE = 0.2
def make_article(rng: random.Random, words: int, share: float = EVENT_SHARE) -> str:
    sentences, count = [], 0
    while count < words:
        template = rng.choice(EVENT_TEMPLATES if rng.random() < share else BACKGROUND_TEMPLATES)
        sentence = template.format(
            p=rng.choice(PRODUCERS), p2=rng.choice(PRODUCERS), k=rng.choice(COUNTRIES), k2=rng.choice(COUNTRIES),
            a=rng.choice(ADJECTIVES), c=rng.choice(COMMODITIES), m=rng.choice(MONTHS), n=rng.randint(2, 90),
        )  # fmt: skip
        sentences.append(sentence[0].upper() + sentence[1:])
        count += len(sentence.split())
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return "\n\n".join(paragraphs)


def gold_articles(rng: random.Random, count: int, words: int) -> list[str]:
    """~``words``-word articles stitched from the gold set: real wire-style prose,
    denser in names and events than most news (every gold text reports something)."""
    from enrich.eval import GOLD_PATH, load_gold

    texts = [article["text"] for article in load_gold(GOLD_PATH)]
    articles = []
    for _ in range(count):
        parts, total = [], 0
        while total < words:
            parts.append(rng.choice(texts))
            total += len(parts[-1].split())
        articles.append("\n\n".join(parts))
    return articles


def bench_corpus(rounds: int) -> int:
    """CPU per article on the real-text corpus, by register."""
    from enrich.corpus import batch_paths, load_batch
    from enrich.eval import _as_date

    started = time.perf_counter()
    load_taxonomy()
    print(f"catalogue load: {(time.perf_counter() - started) * 1000:.0f} ms (once per process)")
    items = [item for path in batch_paths() for item in load_batch(path).items]
    if not items:
        print("no corpus texts on this machine (see enrich/corpus.py)")
        return 1
    for item in items[:20]:
        tag(item["text"], _as_date(item.get("published")), item.get("title"))  # warm up
    cpu_by_register: dict[str, list[float]] = {}
    for _ in range(rounds):
        for item in items:
            t0 = time.process_time()
            tag(item["text"], _as_date(item.get("published")), item.get("title"))
            cpu_by_register.setdefault(item.get("register", "?"), []).append(time.process_time() - t0)
    words = statistics.mean(len(item["text"].split()) for item in items)
    print(f"articles: {len(items)} real ({len({str(p) for p in batch_paths()})} batch files), mean words {words:.0f}, {rounds} rounds")
    for register, cpu in sorted(cpu_by_register.items()):
        print(f"  {register:<9} mean CPU {statistics.mean(cpu) * 1000:6.2f} ms per article, p99 {sorted(cpu)[int(len(cpu) * 0.99)] * 1000:6.2f} ms, {len(cpu) / sum(cpu):,.0f} articles/s per core")
    commodity = [c for register, cpu in cpu_by_register.items() if register != "general" for c in cpu]
    print(f"commodity registers: mean CPU {statistics.mean(commodity) * 1000:.2f} ms per article (limit 10 ms), {len(commodity) / sum(commodity):,.0f} articles/s per core")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--words", type=int, default=800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--event-share", type=float, default=EVENT_SHARE, help="share of sentences that report an action")
    parser.add_argument("--gold", action="store_true", help="build the articles from the gold set's hand-written texts instead")
    parser.add_argument("--generated", action="store_true", help="generated articles instead of the real-text corpus")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the real-text corpus")
    args = parser.parse_args()
    if not args.gold and not args.generated:
        return bench_corpus(args.rounds)

    rng = random.Random(args.seed)
    if args.gold:
        articles = gold_articles(rng, args.articles, args.words)
    else:
        articles = [make_article(rng, args.words, args.event_share) for _ in range(args.articles)]
    published = date(2023, 12, 18)
    started = time.perf_counter()
    load_taxonomy()
    print(f"catalogue load: {(time.perf_counter() - started) * 1000:.0f} ms (once per process)")
    for text in articles[:50]:  # warm up
        tag(text, published)

    timings = []
    events = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for text in articles:
        t0 = time.perf_counter()
        events += len(tag(text, published).events)
        timings.append(time.perf_counter() - t0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    mean_words = statistics.mean(len(a.split()) for a in articles)
    corpus = "gold-set texts" if args.gold else f"generated, event share {args.event_share}"
    print(f"articles: {len(articles)} ({corpus}), mean words: {mean_words:.0f}, events per article: {events / len(articles):.1f}")
    print(f"per article: median {statistics.median(timings) * 1000:.3f} ms, p99 {sorted(timings)[int(len(timings) * 0.99)] * 1000:.3f} ms")
    # CPU time is what one core delivers; wall time also counts other load on the machine.
    print(f"throughput: {len(articles) / cpu:,.0f} articles/s per core (CPU time), {len(articles) / elapsed:,.0f} articles/s wall clock")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
