"""Score the tagger against the hand-labelled gold set (``enrich/gold/articles.yaml``).

Two scores, each as precision, recall and F1, micro-averaged over articles:

- events, as (actor, action, negated) triples per article, overall and per
  action. A predicted triple listed under an article's ``optional_events``
  counts neither for nor against the tagger.
- producers, as the set of producer names per article against the gold
  ``producers`` (which include producers missing from the catalogue).

``newsflow eval [PATH]`` prints :func:`format_report` of :func:`evaluate`;
``python -m enrich.eval [PATH] [-v]`` does the same and, with ``-v``, lists
every miss and false alarm.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from enrich.corpus import batch_paths, load_batch
from enrich.producers import INDUSTRY_WORDS
from enrich.tagger import TAGGER_VERSION, tag
from enrich.taxonomy import load_taxonomy

GOLD_PATH = Path(__file__).parent / "gold" / "articles.yaml"

Triple = tuple[str, str, bool]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: set, gold: set, ignore: set = frozenset()) -> None:
        predicted = predicted - (ignore - gold)
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)


@dataclass
class ArticleResult:
    id: str
    missed: list = field(default_factory=list)
    spurious: list = field(default_factory=list)
    producers_missed: list = field(default_factory=list)
    producers_spurious: list = field(default_factory=list)


@dataclass
class Agreement:
    """On events found with the right (actor, action, negated): how often an
    attribute agrees with the gold one."""

    agree: int = 0
    total: int = 0

    @property
    def rate(self) -> float:
        return self.agree / self.total if self.total else 1.0


@dataclass
class Report:
    path: Path
    articles: int = 0
    triples: Score = field(default_factory=Score)
    per_action: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    producers: Score = field(default_factory=Score)
    modality: Agreement = field(default_factory=Agreement)
    when: Agreement = field(default_factory=Agreement)
    results: list[ArticleResult] = field(default_factory=list)
    negated: Score = field(default_factory=Score)
    with_events: int = 0  # articles with any predicted event
    with_false_events: int = 0  # articles with a predicted event that is neither required nor optional
    tagger_version: str = TAGGER_VERSION


def evaluate(path: Path | None = None) -> Report:
    """Tag every gold article and score the result."""
    path = Path(path) if path is not None else GOLD_PATH
    report = Report(path=path)
    for article in load_gold(path):
        _score_article(report, article)
    return report


def load_gold(path: Path) -> list[dict]:
    """Labelled articles with their text (corpus items kept out of the repo are read from ``local/``)."""
    batch = load_batch(path)
    if batch.missing or batch.mismatched:
        print(f"{path}: {len(batch.missing)} texts missing, {len(batch.mismatched)} not matching their hash: skipped", file=sys.stderr)
    return [a for a in batch.items if a.get("text")]


def _score_article(report: Report, article: dict) -> None:
    tags = tag(article["text"], _as_date(article.get("published")), article.get("title"))
    predicted = {(_name(e.actor), e.action, bool(e.negated)) for e in tags.events}
    gold = {_triple(e) for e in article.get("events") or []}
    optional = {_triple(e) for e in article.get("optional_events") or []}
    report.articles += 1
    report.with_events += bool(predicted)
    report.with_false_events += bool(predicted - gold - optional)
    report.triples.add(predicted, gold, optional)
    negated_gold = {t for t in gold if t[2]}
    report.negated.add({t for t in predicted if t[2]}, negated_gold, optional)
    for action in {t[1] for t in predicted | gold}:
        report.per_action[action].add({t for t in predicted if t[1] == action}, {t for t in gold if t[1] == action}, optional)
    _score_attributes(report, tags.events, article.get("events") or [])
    found = {_name(p.name) for p in tags.producers}
    expected = {_name(p) for p in article.get("producers") or []}
    report.producers.add(found, expected)
    counted = predicted - (optional - gold)
    report.results.append(
        ArticleResult(
            id=str(article.get("id")),
            missed=sorted(gold - predicted),
            spurious=sorted(counted - gold),
            producers_missed=sorted(expected - found),
            producers_spurious=sorted(found - expected),
        )
    )


def _score_attributes(report: Report, events: list, gold_events: list[dict]) -> None:
    by_triple = {(_name(e.actor), e.action, bool(e.negated)): e for e in events}
    for gold in gold_events:
        event = by_triple.get(_triple(gold))
        if event is None:
            continue
        report.modality.total += 1
        report.modality.agree += event.modality == gold.get("modality", "asserted")
        period = _gold_period(str(gold["when"])) if gold.get("when") is not None else None
        if period is not None:
            report.when.total += 1
            report.when.agree += event.when is not None and event.when.start <= period[1] and period[0] <= event.when.end


def _gold_period(gold: str) -> tuple[date, date] | None:
    """The first and last day of a gold time ("2023", "2023-Q4", "2023-H1", "2023-11", "2023-11-21"),
    or None for one the scorer does not read (a crop year, "2009/10")."""
    span = _PART_OF_YEAR.fullmatch(gold)
    if span:
        year, n = int(span["year"]), int(span["n"])
        months = 3 if span["kind"].upper() == "Q" else 6
        return date(year, (n - 1) * months + 1, 1), _month_end(year, n * months)
    if not _CALENDAR.fullmatch(gold):
        return None
    parts = [int(p) for p in gold.split("-")]
    if len(parts) == 3:
        day = date(*parts)
        return day, day
    if len(parts) == 2:
        return date(parts[0], parts[1], 1), _month_end(parts[0], parts[1])
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


_CALENDAR = re.compile(r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?")
_PART_OF_YEAR = re.compile(r"(?P<year>\d{4})-(?P<kind>[QqHh])(?P<n>[1-4])")


def _triple(event: dict) -> Triple:
    return (_name(str(event["actor"])), str(event["action"]), bool(event.get("negated", False)))


_LEGAL_SUFFIX = re.compile(r"(?:,?\s+(?:Corp(?:oration)?|Inc|Ltd|Limited|PLC|plc|SA|AG|NV|ASA|LLC|Co|PJSC|Tbk)\.?)+$")


def _name(name: str) -> str:
    """Compare names as the catalogue does: gold and tagger may spell one
    producer or country differently ("Norilsk Nickel" / "Nornickel"). A name
    the catalogue lacks is compared without a trailing industry word or
    group suffix ("Validus Energy" / "Validus", "Dynacor Group" / "Dynacor")."""
    name = _LEGAL_SUFFIX.sub("", name.strip())
    taxonomy = load_taxonomy()
    canonical = taxonomy.canonical(name)
    if canonical in taxonomy.commodities and name[:1].isupper():
        # "Canada's Potash" is Potash Corp: a capitalised commodity word standing
        # for the producer whose catalogue name or alias it begins.
        producer = _producer_starting(taxonomy, name)
        if producer:
            return producer
    if canonical in taxonomy.producers or canonical in taxonomy.countries or canonical in taxonomy.commodities:
        return canonical
    words = canonical.split()
    while len(words) > 1 and words[-1] in _NAME_TAILS:
        words.pop()
    return " ".join(words)


def _producer_starting(taxonomy, word: str) -> str | None:
    """The one catalogue producer with a surface form "<word> ..." ("Potash Corp"), if exactly one."""
    prefix = word.lower() + " "
    found = {target for surface, target in taxonomy.names.items() if surface.startswith(prefix) and target in taxonomy.producers}
    return found.pop() if len(found) == 1 else None


_NAME_TAILS = frozenset(INDUSTRY_WORDS) | {"Group", "Holdings", "Company", "Corporation", "International", "Industries"}


def _as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def format_report(report: Report, verbose: bool = False) -> str:
    lines = [
        f"gold set: {report.path} ({report.articles} articles), tagger {report.tagger_version}",
        "",
        f"{'events (actor, action, negated)':<34}{'P':>7}{'R':>7}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}",
    ]
    for action in sorted(report.per_action):
        lines.append(_row(f"  {action}", report.per_action[action]))
    lines.append(_row("  overall", report.triples))
    lines.append(_row("  negated events", report.negated))
    lines.append(_row("producers", report.producers))
    lines.append(f"articles with any event: {report.with_events}/{report.articles}; with a false event: {report.with_false_events}/{report.articles} ({report.with_false_events / max(1, report.articles):.1%})")
    lines.append("")
    lines.append(f"on matched events: modality agrees {report.modality.rate:.3f} ({report.modality.agree}/{report.modality.total}), "
                 f"time overlaps gold {report.when.rate:.3f} ({report.when.agree}/{report.when.total})")
    if verbose:
        lines.append("")
        for result in report.results:
            if result.missed or result.spurious or result.producers_missed or result.producers_spurious:
                lines.append(f"{result.id}:")
                lines.extend(f"  missed   {t}" for t in result.missed)
                lines.extend(f"  spurious {t}" for t in result.spurious)
                if result.producers_missed:
                    lines.append(f"  producers missed   {result.producers_missed}")
                if result.producers_spurious:
                    lines.append(f"  producers spurious {result.producers_spurious}")
    return "\n".join(lines)


def _row(label: str, score: Score) -> str:
    return f"{label:<34}{score.precision:>7.3f}{score.recall:>7.3f}{score.f1:>7.3f}{score.tp:>5}{score.fp:>5}{score.fn:>5}"


def evaluate_corpus(corpus_dir: Path) -> list[Report]:
    """One report per batch file of the real-text corpus (``enrich/corpus``)."""
    return [evaluate(path) for path in batch_paths(corpus_dir)]


def format_corpus(reports: list[Report]) -> str:
    """A line per batch, then the totals per register and overall."""
    lines = [f"{'batch':<12}{'articles':>9}{'events P':>10}{'R':>7}{'F1':>7}{'neg R':>7}{'prod F1':>9}{'false-event articles':>22}"]
    total = Report(path=Path("all"))
    for report in reports:
        lines.append(_corpus_row(report.path.stem, report))
        _add_report(total, report)
    lines.append(_corpus_row("all", total))
    return "\n".join(lines)


def _corpus_row(name: str, r: Report) -> str:
    share = f"{r.with_false_events}/{r.articles} ({r.with_false_events / max(1, r.articles):.1%})"
    return f"{name:<12}{r.articles:>9}{r.triples.precision:>10.3f}{r.triples.recall:>7.3f}{r.triples.f1:>7.3f}{r.negated.recall:>7.3f}{r.producers.f1:>9.3f}{share:>22}"


def _add_report(total: Report, report: Report) -> None:
    total.articles += report.articles
    total.with_events += report.with_events
    total.with_false_events += report.with_false_events
    for name in ("triples", "producers", "negated"):
        mine, theirs = getattr(total, name), getattr(report, name)
        mine.tp, mine.fp, mine.fn = mine.tp + theirs.tp, mine.fp + theirs.fp, mine.fn + theirs.fn


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args
    paths = [a for a in args if a != "-v"]
    if paths and Path(paths[0]).is_dir():
        print(format_corpus(evaluate_corpus(Path(paths[0]))))
        return 0
    print(format_report(evaluate(Path(paths[0]) if paths else None), verbose=verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
