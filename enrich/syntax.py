"""The grammar's shared patterns: where clauses break, what a passive looks like.

Each reader of a sentence asks one of two questions about a break, and the
two patterns below answer them:

- :data:`CLAUSE_BREAK`: does a new clause with a subject of its own start here
  ("... as a heatwave curtailed production")? The actor search stops at it.
- :data:`SEGMENT_BREAK`: where does the stretch of words that belongs to one
  trigger end (for its time and amount)? Punctuation-led, and wider: a comma
  before "as", "which", "and the ..." or a gerund ends the segment too.
"""

from __future__ import annotations

import re

CLAUSE_BREAK = re.compile(
    r";|\bbut\b|\bwhile\b|\bwhereas\b|\balthough\b|\bthough\b|\s[—–]\s"
    r"|\b(?:after|before|because|as|since|when|once|until|unless|amid|despite)\s+(?:a|an|the|its|their|his|her|this|that|these|those|some|many|several|more|lower|higher|weak|strong|rising|falling|record)\b",
    re.I,
)
# (Opens with one character class so the regex engine skips ahead to punctuation.)
SEGMENT_BREAK = re.compile(
    r"[;,—–()](?:(?<=,)\s+(?:as|while|but|whereas|although|though|because|after|which|who|when|and\s+(?:the|it|its|they)|\w+ing)\b"
    r"|(?<=\s[—–])(?=\s)|(?<=[;()]))",
    re.I,
)
# A passive auxiliary: "were halted", "has been suspended".
PASSIVE = re.compile(r"\b(?:were|was|been|be|being)\b", re.I)
