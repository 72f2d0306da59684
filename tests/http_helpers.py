"""Plain HTTP reads for the tests of the services' metrics and health endpoints."""

from __future__ import annotations

import urllib.error
import urllib.request


def http_get(url: str) -> tuple[int, str]:
    """(status, body) of a GET; an error status is an answer, an unreachable server is status 0."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)
