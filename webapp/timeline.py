"""The timeline chart as plain shapes: lanes, ticks and marks, laid out in Python.

Pure: rows in, a :class:`Chart` out; the template turns it into SVG (escaped
like any other text). Up to a few hundred events each one is drawn and
labelled with its action; beyond that each lane shows counts per week, month
or year. Asserted events are filled dots, planned ones hollow, merely possible
ones dashed, negated ones a cross: they never look alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import Markup

LEFT = 180  # room for lane names
PLOT_WIDTH = 880
RIGHT = 24
TOP = 34  # room for the date ticks
ROW = 18  # one row of labelled events
KIND_ROW = 12  # one kind's row in a lane of counts
KIND_ORDER = ("asserted", "planned", "possible", "negated")
CHAR_WIDTH = 6.6  # of the 11px label font, near enough to keep labels apart


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    kind: str
    href: str
    title: str
    label: str = ""
    radius: float = 4.5
    x_end: float | None = None  # the end of the event's span, when it lasts

    @property
    def glyph(self) -> Markup:
        """The mark's shape as SVG: a cross when negated, else a circle.

        Made of numbers only, so it needs no escaping; built here because a
        count chart has thousands of marks and escaping each coordinate in the
        template was half the page's rendering time.
        """
        x, y, r = float(self.x), float(self.y), float(self.radius)
        if self.kind == "negated":
            left, right, top, bottom = round(x - r, 1), round(x + r, 1), round(y - r, 1), round(y + r, 1)
            d = f"M{left},{top}L{right},{bottom}M{left},{bottom}L{right},{top}"
            return Markup(f'<path class="glyph" d="{d}"></path>')
        return Markup(f'<circle class="glyph" cx="{x}" cy="{y}" r="{r}"></circle>')


@dataclass(frozen=True)
class Lane:
    name: str
    y: float
    height: float
    href: str
    count: int = 0


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Chart:
    start: date
    end: date
    width: int = LEFT + PLOT_WIDTH + RIGHT
    height: int = TOP
    lanes: list[Lane] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    mode: str = "events"  # or "counts"
    unit: str = ""

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return LEFT + PLOT_WIDTH


class Scale:
    """Dates to x positions over [start, end]."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.days = max((end - start).days, 1)

    def x(self, day: date) -> float:
        offset = min(max((day - self.start).days, 0), self.days)
        return round(LEFT + offset / self.days * PLOT_WIDTH, 1)


def bucket_unit(start: date, end: date) -> str:
    """The bucket for counts: weeks up to four months, months up to four years, then years
    (a few dozen columns at most, so the page stays small)."""
    days = (end - start).days
    if days <= 122:
        return "week"
    return "month" if days <= 4 * 366 else "year"


def bucket_end(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=6)
    if unit == "month":
        return _add_months(start, 1) - timedelta(days=1)
    return date(start.year, 12, 31)


def event_chart(events: list[dict], start: date, end: date, lane_href) -> Chart:
    """Each event a labelled mark; a lane gets as many rows as its labels need."""
    scale = Scale(start, end)
    chart = Chart(start, end, ticks=ticks(start, end, scale), mode="events")
    y = TOP
    for name, lane_events in _by_lane(events).items():
        rows: list[float] = []  # where each row's last label ends
        for event in lane_events:
            x = scale.x(event["on_date"])
            label = event["action"]
            row = _free_row(rows, x, x + 10 + len(label) * CHAR_WIDTH)
            chart.marks.append(Mark(
                x=x, y=y + 10 + row * ROW, kind=event["kind"], label=label,
                href=f"/articles/{event['article_id']}#event-{event['ordinal']}",
                title=_event_title(event),
                x_end=_span_end(scale, event),
            ))
        height = max(len(rows), 1) * ROW + 6
        height = max(height, 36)  # room for the name and its count
        chart.lanes.append(Lane(name, y, height, lane_href(name), len(lane_events)))
        y += height
    chart.height = int(y + 8)
    return chart


def count_chart(counts: list[dict], start: date, end: date, unit: str, cell_href) -> Chart:
    """Per lane and bucket, one mark per kind, its area proportional to the count."""
    scale = Scale(start, end)
    chart = Chart(start, end, ticks=ticks(start, end, scale), mode="counts", unit=unit)
    biggest = max((row["n"] for row in counts), default=1)
    # A bucket's place and name are the same in every lane: worked out once
    # (a four-year chart per month has ~2,900 marks in 48 buckets).
    columns: dict[date, tuple[date, float, str]] = {}
    y = TOP
    for name, lane_rows in _by_lane(counts).items():
        for row in lane_rows:
            bucket = row["bucket"]
            if bucket not in columns:
                last = bucket_end(bucket, unit)
                middle = (scale.x(max(bucket, start)) + scale.x(min(last, end))) / 2
                columns[bucket] = (last, round(middle, 1), _period(bucket, unit))
            last, x, period = columns[bucket]
            chart.marks.append(Mark(
                x=x,
                y=y + 8 + KIND_ORDER.index(row["kind"]) * KIND_ROW,
                kind=row["kind"],
                radius=round(1.5 + 4 * math.sqrt(row["n"] / biggest), 1),
                href=cell_href(name, bucket, last, row["kind"]),
                title=f"{name} · {period} · {row['n']:,} {row['kind']}",
            ))
        height = len(KIND_ORDER) * KIND_ROW + 6
        total = sum(row["n"] for row in lane_rows)
        chart.lanes.append(Lane(name, y, height, cell_href(name, None, None, None), total))
        y += height
    chart.height = int(y + 8)
    return chart


def ticks(start: date, end: date, scale: Scale) -> list[Tick]:
    """Month (or year) starts inside the window, thinned to about a dozen labels."""
    days = (end - start).days
    if days > 6 * 366:
        firsts = [date(year, 1, 1) for year in range(start.year, end.year + 1)]
        found = [Tick(scale.x(d), str(d.year)) for d in firsts if start <= d <= end]
    else:
        month = date(start.year, start.month, 1)
        firsts = []
        while month <= end:
            if month >= start:
                firsts.append(month)
            month = _add_months(month, 1)
        found = [Tick(scale.x(d), d.strftime("%b %Y")) for d in firsts]
    step = max(1, math.ceil(len(found) / 12))
    return found[::step]


def padded_window(first: date, last: date) -> tuple[date, date]:
    """A window around the events' dates with a little room at each side."""
    pad = max(timedelta(days=7), (last - first) / 20)
    return first - pad, last + pad


def _by_lane(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows grouped by lane, the busiest lane first (ties by name); row order kept."""
    lanes: dict[str, list[dict]] = {}
    for row in rows:
        lanes.setdefault(row["lane"], []).append(row)
    weight = {name: sum(r.get("n", 1) for r in rows) for name, rows in lanes.items()}
    return dict(sorted(lanes.items(), key=lambda item: (-weight[item[0]], item[0])))


def _free_row(rows: list[float], left: float, right: float) -> int:
    """The first row whose last label ends before ``left`` (a new row if none); claim it."""
    for index, row_end in enumerate(rows):
        if row_end + 4 <= left:
            rows[index] = right
            return index
    rows.append(right)
    return len(rows) - 1


def _span_end(scale: Scale, event: dict) -> float | None:
    end = event.get("when_end")
    if end is None or end <= event["on_date"]:
        return None
    x_end = scale.x(end)
    # Spans shorter than a label (an event "in November" on a five-year axis) would only look like underlines.
    return x_end if x_end - scale.x(event["on_date"]) >= 20 else None


def _event_title(event: dict) -> str:
    when = event.get("when_text") or f"published {event['on_date'].isoformat()}"
    obj = f" {event['object']}" if event.get("object") else ""
    return f"{event['actor']} · {event['action']}{obj} · {when} · {event['kind']}"


def _period(bucket: date, unit: str) -> str:
    if unit == "week":
        return f"week of {bucket.isoformat()}"
    return bucket.strftime("%b %Y") if unit == "month" else str(bucket.year)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
