"""Money, quantities and percentages in news prose.

"about $100 million" -> Amount(100000000, "USD", approximate=True);
"20,000 bpd" -> Amount(20000, "bpd"); "nearly 30%" -> a percentage of 30,
approximate. One compiled regex per kind; the numbers are ours to normalise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrich.trusted import trusted
from newsflow.models import Amount

_APPROX = (
    r"(?P<approx>(?i:about|around|roughly|nearly|almost|some|approximately|approx\.|close\s+to|more\s+than"
    r"|over|up\s+to|at\s+least|less\s+than|under|just\s+over|just\s+under|an\s+estimated|estimated|as\s+much\s+as"
    r"|as\s+many\s+as|upwards\s+of|circa|c\.|~)\s+)?"
)
# A number starts at its first digit (the lookbehind stops retries inside
# "2,100"); starting the pattern with a bare digit lets the engine skip
# straight to digits.
_NUMBER = r"(?P<num>\d(?<![\d.,]\d)(?:\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?))"
_SCALE = r"(?P<scale>(?i:trillion|billion|million|thousand|crore|lakh|tn|bn|mn|mln|bln|m|b|k)\b)"
_CURRENCY_SIGN = r"(?P<cur>US\$|U\.S\.\s?\$|A\$|C\$|HK\$|\$|€|£|¥|₹|Rs\.?\s?)"
_CURRENCY_CODE = r"(?P<code>USD|EUR|GBP|JPY|CNY|INR|RUB|AUD|CAD|CHF|ZAR)"
_CURRENCY_WORD = r"(?P<word>(?i:dollars|euros|pounds\s+sterling|yuan|rupees|roubles|rubles|rand))\b"
_QUANTITY_UNIT = (
    r"(?P<unit>(?i:barrels?\s+(?:per|a)\s+day|b/d|bpd|bbl/d|barrels?|bbl|metric\s+tons?|metric\s+tonnes?|tonnes?|tons?"
    r"|mt|kt|carats?|cts|troy\s+ounces?|ounces?|oz|cubic\s+met(?:er|re)s?|bcm|mmbtu|kilograms?|kg|pounds|lbs?"
    r"|megawatts?|mw|gigawatts?|gw)\b)"
)

# The openers ("about", "nearly") are looked up right before a figure rather
# than inside the big regexes: an optional leading group costs a try at every
# character of the text.
_APPROX_BEFORE = re.compile(r"\b" + _APPROX.removesuffix("?") + "$")

_MONEY = re.compile(
    rf"(?:{_CURRENCY_SIGN}\s?{_NUMBER}(?:\s?{_SCALE})?"
    rf"|{_CURRENCY_CODE}\s?(?P<num2>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<scale2>(?i:trillion|billion|million|thousand|bn|mn|m|k)\b))?"
    rf"|(?P<num3>\d(?<![\d.,]\d)[\d,]*(?:\.\d+)?)(?:\s?(?P<scale3>(?i:trillion|billion|million|thousand|bn|mn)\b))?\s+{_CURRENCY_WORD})"
)
_QUANTITY = re.compile(
    rf"{_NUMBER}(?:\s?(?P<scale>(?i:trillion|billion|million|thousand|mln|bln|mn|bn|m|k)\b))?\s?(?:(?i:of)\s+)?{_QUANTITY_UNIT}"
)
_PERCENT = re.compile(r"(?P<num>\d(?<![\d.,]\d)\d*(?:\.\d+)?)\s?(?:%|(?i:per\s?cent|percent|pct)\b)")

_SCALES = {
    "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9,
    "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3, "crore": 1e7, "lakh": 1e5,
}  # fmt: skip
_SIGNS = {"$": "USD", "us$": "USD", "u.s.$": "USD", "u.s. $": "USD", "a$": "AUD", "c$": "CAD", "hk$": "HKD",
          "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "rs": "INR", "rs.": "INR"}  # fmt: skip
_WORDS = {"dollars": "USD", "euros": "EUR", "yuan": "CNY", "rupees": "INR", "roubles": "RUB", "rubles": "RUB", "rand": "ZAR"}
_UNITS = [
    (re.compile(r"barrels?\s+(?:per|a)\s+day|b/d|bpd|bbl/d", re.I), "bpd"),
    (re.compile(r"barrels?|bbl", re.I), "barrels"),
    (re.compile(r"kt", re.I), "kt"),
    (re.compile(r"metric\s+ton|ton|mt", re.I), "tonnes"),
    (re.compile(r"carat|cts", re.I), "carats"),
    (re.compile(r"troy\s+ounce|ounce|oz", re.I), "ounces"),
    (re.compile(r"cubic|bcm", re.I), "cubic metres"),
    (re.compile(r"mmbtu", re.I), "mmBtu"),
    (re.compile(r"kilogram|kg", re.I), "kg"),
    (re.compile(r"pound|lb", re.I), "lb"),
    (re.compile(r"megawatt|mw", re.I), "MW"),
    (re.compile(r"gigawatt|gw", re.I), "GW"),
]
# Openers that make a figure a bound or an estimate rather than an exact count.
_APPROXIMATE = {"about", "around", "roughly", "nearly", "almost", "some", "approximately", "approx.", "close to",
                "up to", "an estimated", "estimated", "as much as", "as many as", "circa", "c.", "~", "more than",
                "over", "at least", "less than", "under", "just over", "just under", "upwards of"}  # fmt: skip


@dataclass(slots=True)
class Percent:
    value: float
    approximate: bool
    text: str


def find_amounts(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, Amount]]:
    """Money and physical quantities in ``text[start:end]``, in text order."""
    end = len(text) if end is None else end
    found = []
    for m in _MONEY.finditer(text, start, end) if _may_hold_money(text[start:end]) else ():
        opener = _opener(text, m.start(), start)
        found.append((m.start() - len(opener), m.end(), _money(m, opener)))
    taken = [(s, e) for s, e, _ in found]
    for m in _QUANTITY.finditer(text, start, end):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            opener = _opener(text, m.start(), start)
            found.append((m.start() - len(opener), m.end(), _quantity(m, opener)))
    found.sort(key=lambda item: item[0])
    return found


_MONEY_MARKS = ("$", "€", "£", "¥", "₹", "Rs", "USD", "EUR", "GBP", "JPY", "CNY", "INR", "RUB", "AUD", "CAD", "CHF", "ZAR")
_MONEY_WORDS = ("dollar", "euro", "pound", "yuan", "rupee", "rouble", "ruble", "rand")


def _may_hold_money(chunk: str) -> bool:
    """A cheap test before the money regex, which cannot skip ahead on its own."""
    if any(mark in chunk for mark in _MONEY_MARKS):
        return True
    lowered = chunk.lower()
    return any(word in lowered for word in _MONEY_WORDS)


# The last word of every opener: most figures follow some other word, and a
# set lookup rules them out before the (searching, so slower) regex runs.
_OPENER_LAST_WORDS = frozenset(opener.split()[-1] for opener in _APPROXIMATE)


def _opener(text: str, at: int, floor: int) -> str:
    """"about " / "nearly " right before a figure, or ""."""
    lo = max(floor, at - 24)
    words = text[lo:at].split()
    if not words or words[-1].lower() not in _OPENER_LAST_WORDS or not text[at - 1 : at].isspace():
        return ""
    match = _APPROX_BEFORE.search(text, lo, at)
    return match.group(0) if match else ""


def find_percents(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, Percent]]:
    end = len(text) if end is None else end
    found = []
    for m in _PERCENT.finditer(text, start, end):
        opener = _opener(text, m.start(), start)
        found.append((m.start() - len(opener), m.end(), _percent(m, opener)))
    return found


def parse_amount(phrase: str) -> Amount | None:
    """The first amount in ``phrase`` ("about $100 million" -> 1e8 USD, approximate)."""
    found = find_amounts(phrase)
    return found[0][2] if found else None


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _approximate(opener: str) -> bool:
    return bool(opener) and " ".join(opener.lower().split()) in _APPROXIMATE


def _money(match: re.Match, opener: str = "") -> Amount:
    g = match.groupdict()
    if g["cur"]:
        value, scale = g["num"], g["scale"]
        unit = _SIGNS.get(" ".join(g["cur"].lower().split()), "USD")
    elif g["code"]:
        value, scale, unit = g["num2"], g["scale2"], g["code"]
    else:
        value, scale = g["num3"], g["scale3"]
        unit = _WORDS.get(g["word"].lower().split()[0], "GBP")
    amount = _number(value) * _SCALES.get((scale or "").lower(), 1.0)
    return trusted(Amount, {"value": amount, "unit": unit, "approximate": _approximate(opener), "text": (opener + match.group(0)).strip()})


def _quantity(match: re.Match, opener: str = "") -> Amount:
    amount = _number(match.group("num")) * _SCALES.get((match.group("scale") or "").lower(), 1.0)
    raw_unit = match.group("unit")
    unit = next((name for pattern, name in _UNITS if pattern.match(raw_unit)), raw_unit.lower())
    if unit == "kt":
        amount, unit = amount * 1000, "tonnes"
    return trusted(Amount, {"value": amount, "unit": unit, "approximate": _approximate(opener), "text": (opener + match.group(0)).strip()})


def _percent(match: re.Match, opener: str = "") -> Percent:
    return Percent(value=_number(match.group("num")), approximate=_approximate(opener), text=(opener + match.group(0)).strip())
