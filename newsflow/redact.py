"""Keeping credentials out of what is logged, stored and published (issue 8 #7).

Feed URLs from the configuration may carry credentials: ``user:password@``
or a query parameter such as ``?token=``. The raw URL is used only to fetch;
everything else sees :func:`redact_url`, and :func:`url_secrets` lists the
values to scrub from free text (error messages, log lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Query parameters whose values are credentials (issue 8 #7): "token",
# "api_key", "X-Amz-Signature", "sig", "password", "auth"... A harmless
# parameter caught by these is only hidden, never lost from the fetch.
_SECRET_PARAM = re.compile(r"token|key|secret|sig|pass|pwd|auth|credential|session", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` without its credentials: no userinfo, secret-named query values replaced.

    What is logged, stored and published for a feed; the raw URL is used only
    to fetch.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[1] if "@" in parts.netloc else parts.netloc
    except ValueError:
        return url.split("?", 1)[0].split("@")[-1]  # unparseable: keep the least that identifies it
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(_SECRET_PARAM.search(name) for name, _ in pairs):
        query = urlencode([(n, REDACTED if _SECRET_PARAM.search(n) else v) for n, v in pairs], safe="")
    else:
        query = parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The credential values in ``url`` (userinfo, secret-named query values), to scrub from text."""
    try:
        parts = urlsplit(url)
        # The user name alone is not secret (and short names would blank out words).
        found = [unquote(parts.password)] if parts.password else []
        if parts.password:
            found.append(parts.netloc.rsplit("@", 1)[0])
    except ValueError:
        return []
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    found += [value for name, value in pairs if value and _SECRET_PARAM.search(name)]
    found += [quote(v, safe="") for v in found] + [quote_plus(v, safe="") for v in found]
    return sorted({v for v in found if len(v) >= 3}, key=len, reverse=True)




def scrub(text: str, secrets: Iterable[str], mask: str = REDACTED) -> str:
    """``text`` with every one of ``secrets`` replaced (longest first)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, mask)
    return text
