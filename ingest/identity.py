"""Stable identities: the canonical form of a URL, and an entry's id within its feed.

Entry identity follows miniflux: the GUID, else the (canonical) link, else a
hash of title and content. Ids are stored in a Postgres primary key, whose
b-tree rows cannot exceed ~2.7 kB, so long ids are replaced by their hash.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsflow.redact import redact_url

MAX_ID_CHARS = 512

# Query parameters that only say how a reader arrived, never which page it is.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "igshid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "vero_id", "rb_clickid", "s_cid", "cmpid", "ncid", "ocid", "sr_share", "spm",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, no default port, no fragment or credentials, no
    tracking parameters, query sorted; an empty path becomes ``/``.

    Raises ``ValueError`` for a URL that cannot be parsed (e.g. a bad port).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal: urlsplit removed the brackets
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, _canonical_query(parts.query), ""))


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
    return urlencode(sorted(kept))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def loggable_url(url: str, max_chars: int = 300) -> str:
    """A URL fit for a log line: credentials removed (:func:`redact_url`), length bounded."""
    url = redact_url(url)
    return url if len(url) <= max_chars else url[:max_chars] + "..."


def feed_key(url: str) -> str:
    """A feed's stable key in the database: a hash of its URL, which may hold credentials."""
    return "feed:" + hashlib.sha256(url.strip().encode("utf-8", "replace")).hexdigest()[:32]


def entry_identity(guid: str | None, link: str | None, title: str | None, content: str | None) -> str:
    """The entry's id in its feed: GUID, else canonical link, else sha256(title + content)."""
    if guid and guid.strip():
        return bounded_id(guid.strip())
    if link:
        try:
            return bounded_id(canonical_url(link))
        except ValueError:
            pass
    digest = hashlib.sha256(f"{title or ''}\x1f{content or ''}".encode("utf-8", "replace")).hexdigest()
    return f"sha256:{digest}"


def bounded_id(value: str) -> str:
    """``value`` itself when short enough for an index, else its hash."""
    if len(value) <= MAX_ID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
