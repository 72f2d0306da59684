"""What an analyst asked to see: the filters of a page, parsed from its query string.

Pure: no database. Every page (timeline, list, exports) takes the same
:class:`Filters`, so a view can be exported exactly as it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

# The action vocabulary (README "Actions"); codes are stable. A code outside
# it is still accepted in a URL: the database may hold newer ones.
ACTIONS = (
    "sales", "sales_halt", "sales_resume", "purchase_deferral", "supply_restriction",
    "output_cut", "output_increase", "price_cut", "price_increase", "price_fall", "price_rise",
    "import_ban", "export_ban", "sanctions", "acquisition", "force_majeure", "strike",
)  # fmt: skip

# How an event is drawn: asserted, planned, merely possible, or negated
# (a negated event is negated whatever its modality).
KINDS = ("asserted", "planned", "possible", "negated")
LANES = ("producer", "country", "commodity")
MAX_VALUES = 50  # per filter: a URL cannot ask for a thousand producers
MAX_NAME = 512  # the sink's cap on names


class FilterError(ValueError):
    """A query string that cannot be a filter (bad date, unknown kind)."""


@dataclass(frozen=True)
class Filters:
    producers: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    commodities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    lanes: str = "producer"
    page: int = 1

    def query(self, **changes: object) -> str:
        """This filter (with ``changes``) as a query string, for links."""
        target = replace(self, **changes) if changes else self
        return urlencode(target.pairs())

    def pairs(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for key, values in (
            ("producer", self.producers), ("action", self.actions), ("commodity", self.commodities),
            ("country", self.countries), ("modality", self.kinds),
        ):  # fmt: skip
            pairs += [(key, v) for v in values]
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.lanes != "producer":
            pairs.append(("lanes", self.lanes))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs


def parse_filters(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> Filters:
    """Filters from query parameters (repeated keys allowed); :class:`FilterError` if malformed."""
    items = list(params.multi_items() if hasattr(params, "multi_items") else _items(params))
    values: dict[str, list[str]] = {}
    for key, value in items:
        value = " ".join(value.split())
        if value:
            values.setdefault(key, []).append(value)
    kinds = _names(values, "modality")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise FilterError(f"unknown modality {unknown[0]!r}: expected one of {', '.join(KINDS)}")
    lanes = _one(values, "lanes") or "producer"
    if lanes not in LANES:
        raise FilterError(f"unknown lanes {lanes!r}: expected one of {', '.join(LANES)}")
    date_from, date_to = _date(values, "from"), _date(values, "to")
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    return Filters(
        producers=_names(values, "producer"),
        actions=_names(values, "action"),
        commodities=_names(values, "commodity"),
        countries=_names(values, "country"),
        kinds=kinds,
        date_from=date_from,
        date_to=date_to,
        lanes=lanes,
        page=_page(_one(values, "page")),
    )


def _items(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> Iterable[tuple[str, str]]:
    return params.items() if isinstance(params, Mapping) else params


def _names(values: dict[str, list[str]], key: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(values.get(key, [])))
    if len(names) > MAX_VALUES:
        raise FilterError(f"at most {MAX_VALUES} values for {key}")
    if any(len(name) > MAX_NAME for name in names):
        raise FilterError(f"a {key} is longer than {MAX_NAME} characters")
    return names


def _one(values: dict[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[-1] if found else None


def _date(values: dict[str, list[str]], key: str) -> date | None:
    text = _one(values, key)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{key}: {text!r} is not a date (YYYY-MM-DD)") from None


def _page(text: str | None) -> int:
    if text is None:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise FilterError(f"page: {text!r} is not a page number")
    return int(text)
