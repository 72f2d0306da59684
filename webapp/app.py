"""The Starlette application: routes, templates, read-only data access.

Every page reads; none writes. Templates autoescape everything (titles, text
and names are strangers' bytes), and the Content-Security-Policy allows only
this package's own stylesheet and script, so even a slip in escaping could not
run a stranger's script.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from webapp import queries
from webapp.catalogue import Catalogue, ProducerFacts
from webapp.database import ReadOnlyDatabase
from webapp.filters import ACTIONS, KINDS, LANES, FilterError, Filters, parse_filters
from webapp.highlight import pieces
from webapp.timeline import Chart, bucket_unit, count_chart, event_chart, padded_window

HERE = Path(__file__).parent
# With no dates and too many events to draw, the timeline counts the last 90
# days up to the newest article: recent news first, and a quarter of counts
# stays fast on any table (see benchmarks/bench_serve.py).
DEFAULT_WINDOW = timedelta(days=90)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
EXPORT_FIELDS = (
    "actor", "action", "object", "kind", "negated", "modality", "when_text", "when_start", "when_end",
    "on_date", "amount_value", "amount_unit", "amount_text", "change_pct", "confidence", "sentence",
    "article_id", "ordinal", "title", "url", "site_name", "published_at",
)  # fmt: skip


def create_app(dsn: str, catalogue: Catalogue) -> Starlette:
    """The app on the database at ``dsn`` (read-only) with the enrich ``catalogue``."""
    database = ReadOnlyDatabase(dsn)
    templates = _templates()
    pages = Pages(database, catalogue, templates)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        database.open()
        try:
            yield
        finally:
            database.close()

    routes = [
        Route("/", pages.timeline),
        Route("/timeline", pages.timeline),
        Route("/events", pages.events),
        Route("/export.csv", pages.export_csv),
        Route("/export.json", pages.export_json),
        Route("/producers/{name:path}", pages.producer),
        Route("/articles/{article_id}", pages.article),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={FilterError: pages.bad_filter, HTTPException: pages.http_error},
    )
    app.state.database = database
    return app


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Pages:
    def __init__(self, database: ReadOnlyDatabase, catalogue: Catalogue, templates: jinja2.Environment) -> None:
        self.database = database
        self.catalogue = catalogue
        self.countries_of = catalogue.countries_of
        self.templates = templates

    # -- pages -----------------------------------------------------------------

    def timeline(self, request: Request) -> Response:
        filters = parse_filters(request.query_params)
        with self.database.connection() as conn:
            chart, window_note = self._chart(conn, filters)
        return self._render("timeline.html", request, filters=filters, chart=chart, window_note=window_note)

    def events(self, request: Request) -> Response:
        filters = parse_filters(request.query_params)
        with self.database.connection() as conn:
            rows, more = queries.event_page(conn, queries.scope(filters, self.countries_of), filters.page)
        return self._render("events.html", request, filters=filters, rows=rows, more=more,
                            first=(filters.page - 1) * queries.PAGE_SIZE + 1)

    def producer(self, request: Request) -> Response:
        name = request.path_params["name"]
        recent = Filters(producers=(name,))
        with self.database.connection() as conn:
            facts = self.catalogue.producers.get(name) or _seen(queries.producer_seen(conn, name), name)
            actions = queries.producer_actions(conn, name)
            events, _ = queries.event_page(conn, queries.scope(recent, self.countries_of), 1)
            articles = queries.producer_articles(conn, name)
        if facts is None and not events and not articles:
            raise HTTPException(404, f"no producer named {name!r} in the catalogue or the data")
        return self._render("producer.html", request, name=name, facts=facts, action_counts=actions,
                            events=events[:20], articles=articles, filters=recent,
                            subsidiaries=self.catalogue.subsidiaries(name))

    def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        with self.database.connection() as conn:
            found = queries.article(conn, article_id)
            if found is None:
                raise HTTPException(404, "no such article")
            events = queries.article_events(conn, article_id)
            producers = queries.article_producers(conn, article_id)
        text_pieces, highlighted = pieces(found["text"], events)
        return self._render("article.html", request, article=found, events=events, producers=producers,
                            pieces=text_pieces, highlighted=highlighted, source=_http_url(found["url"]))

    def export_csv(self, request: Request) -> Response:
        filters = parse_filters(request.query_params)
        return StreamingResponse(self._csv(filters), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="newsflow-events.csv"'})

    def export_json(self, request: Request) -> Response:
        filters = parse_filters(request.query_params)
        return StreamingResponse(self._json(filters), media_type="application/json",
                                 headers={"Content-Disposition": 'attachment; filename="newsflow-events.json"'})

    # -- errors ----------------------------------------------------------------

    async def bad_filter(self, request: Request, exc: Exception) -> Response:
        return self._render("message.html", request, status_code=400, title="Bad filter", message=str(exc))

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return self._render("message.html", request, status_code=exc.status_code,
                            title="Not found" if exc.status_code == 404 else "Error", message=exc.detail)

    # -- the timeline ----------------------------------------------------------

    def _chart(self, conn, filters: Filters) -> tuple[Chart, str]:
        """Each event when few match; else counts, over :data:`DEFAULT_WINDOW` up to the
        newest article unless the filter gives dates."""
        events = queries.timeline_events(conn, queries.scope(filters, self.countries_of), self.countries_of,
                                         queries.INDIVIDUAL_LIMIT + 1)
        if len(events) <= queries.INDIVIDUAL_LIMIT:
            start, end = _event_window(filters, events)
            return event_chart(events, start, end, self._lane_link(filters)), ""
        end = filters.date_to or queries.newest_publication(conn) or date.today()
        start = filters.date_from or end - DEFAULT_WINDOW
        note = "" if filters.date_from and filters.date_to else (
            f"Showing {start.isoformat()} to {end.isoformat()}; set the dates to see another period.")
        windowed = replace(filters, date_from=start, date_to=end)
        unit = bucket_unit(start, end)
        counts = queries.timeline_counts(conn, windowed, self.countries_of, unit)
        return count_chart(counts, start, end, unit, cell_links(windowed)), note

    def _lane_link(self, filters: Filters):
        def link(name: str) -> str:
            if filters.lanes == "producer":
                return "/producers/" + quote(name, safe="")
            return "/events?" + _narrowed(filters, name).query(page=1)
        return link

    # -- exports ---------------------------------------------------------------

    def _csv(self, filters: Filters) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_FIELDS)
        for row in self._export_rows(filters):
            writer.writerow([_csv_cell(row[f]) for f in EXPORT_FIELDS])
            if buffer.tell() > 65536:
                yield _drain(buffer)
        yield _drain(buffer)

    def _json(self, filters: Filters) -> Iterator[str]:
        yield "["
        separator = "\n"
        for row in self._export_rows(filters):
            yield separator + json.dumps({f: row[f] for f in EXPORT_FIELDS}, default=_json_value, ensure_ascii=False)
            separator = ",\n"
        yield "\n]\n"

    def _export_rows(self, filters: Filters) -> Iterator[dict]:
        with self.database.connection() as conn:
            yield from queries.export_rows(conn, queries.scope(filters, self.countries_of))

    # -- rendering -------------------------------------------------------------

    def _render(self, template: str, request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("filters", Filters())
        html = self.templates.get_template(template).render(
            request=request, catalogue=self.catalogue, action_codes=ACTIONS, kinds=KINDS, lane_kinds=LANES,
            quote=lambda s: quote(s, safe=""), **context,
        )
        return HTMLResponse(html, status_code=status_code)


def _templates() -> jinja2.Environment:
    # autoescape on for every template, whatever its name.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def cell_links(filters: Filters):
    """Links to the event list for one lane (and one bucket and kind of it).

    The lane's part of the query string is built once, and each kind's: a
    count chart has up to a few thousand cells, and urlencoding each whole
    link was most of its cost. ISO dates need no quoting.
    """
    whole_lane: dict[str, str] = {}  # the lane's filter, as it is
    lane_only: dict[str, str] = {}  # the lane's filter without dates or kinds, for a cell
    kind_part: dict[str, str] = {}  # "modality=..." per kind

    def link(name: str, start: date | None, end: date | None, kind: str | None) -> str:
        if name not in whole_lane:
            narrowed = _narrowed(filters, name)
            whole_lane[name] = narrowed.query(page=1)
            lane_only[name] = narrowed.query(page=1, date_from=None, date_to=None, kinds=())
        if not (start and end and kind):
            return "/events?" + whole_lane[name]
        if kind not in kind_part:
            kind_part[kind] = urlencode([("modality", kind)])
        first, last = max(start, filters.date_from or start), min(end, filters.date_to or end)
        cell = f"from={first.isoformat()}&to={last.isoformat()}&{kind_part[kind]}"
        return "/events?" + "&".join(q for q in (lane_only[name], cell) if q)
    return link


def _narrowed(filters: Filters, lane: str) -> Filters:
    """``filters`` restricted to one lane's value."""
    field = {"producer": "producers", "country": "countries", "commodity": "commodities"}[filters.lanes]
    return replace(filters, **{field: (lane,)})


def _event_window(filters: Filters, events: list[dict]) -> tuple[date, date]:
    if not events:
        end = filters.date_to or date.today()
        return filters.date_from or end - DEFAULT_WINDOW, end
    first = min(e["on_date"] for e in events)
    last = max(max(e["on_date"], e["when_end"] or e["on_date"]) for e in events)
    padded_first, padded_last = padded_window(first, last)
    return filters.date_from or padded_first, filters.date_to or padded_last


def _seen(row: dict | None, name: str) -> ProducerFacts | None:
    """What the sink stored about a producer the catalogue does not know."""
    if row is None:
        return None
    return ProducerFacts(name, row["kind"], row["country"], tuple(row["commodities"] or ()), None,
                         in_catalogue=bool(row["in_catalogue"]))


def _http_url(url: str | None) -> str | None:
    """The URL if it is http(s): a ``javascript:`` or ``data:`` link is never made clickable."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def _csv_cell(value: Any) -> Any:
    """A value for CSV; text a spreadsheet would run as a formula is quoted with a leading '."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _json_value(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
