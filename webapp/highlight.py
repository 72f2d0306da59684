"""An article's text cut into pieces, each knowing which events' sentences cover it.

Pure. Events carry ``start_offset``/``end_offset`` into the article text; when
those do not frame the event's sentence (text cleaned or cut by the sink after
tagging) the sentence is looked up in the text instead, and an event whose
sentence cannot be found is listed but not highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass

_KIND_RANK = {"asserted": 0, "planned": 1, "possible": 2, "negated": 3}


@dataclass(frozen=True)
class Piece:
    text: str
    events: tuple[int, ...] = ()  # ordinals of the events whose sentence covers this piece
    anchors: tuple[int, ...] = ()  # ordinals of the events whose sentence starts here
    kind: str = ""


def locate(text: str, event: dict) -> tuple[int, int] | None:
    """Where the event's sentence is in ``text``, or None."""
    start, end, sentence = event.get("start_offset"), event.get("end_offset"), event.get("sentence") or ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if not sentence or text[start:end].strip() == sentence.strip():
            return start, end
    if sentence.strip():
        found = text.find(sentence.strip())
        if found >= 0:
            return found, found + len(sentence.strip())
    return None


def pieces(text: str, events: list[dict]) -> tuple[list[Piece], set[int]]:
    """The text as pieces, and the ordinals of events that could be highlighted."""
    spans = {e["ordinal"]: span for e in events if (span := locate(text, e)) is not None}
    kinds = {e["ordinal"]: e.get("kind", "asserted") for e in events}
    cuts = sorted({0, len(text), *(p for span in spans.values() for p in span)})
    result: list[Piece] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = tuple(sorted(o for o, (s, e) in spans.items() if s <= left and right <= e))
        starting = tuple(sorted(o for o, (s, _) in spans.items() if s == left))
        kind = min((kinds[o] for o in covering), key=lambda k: _KIND_RANK.get(k, 9), default="")
        piece = Piece(text[left:right], covering, starting, kind)
        if result and not starting and result[-1].events == covering:
            last = result.pop()
            piece = Piece(last.text + piece.text, covering, last.anchors, last.kind)
        result.append(piece)
    return result, set(spans)
