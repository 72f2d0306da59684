"""HTTP fetching of strangers' bytes, feeds and article pages alike.

Everything a hostile or broken server can do to us is handled here, once
(docs/bad-inputs.md #9-#16):

* a total deadline around the whole fetch (httpx's timeouts bound each read,
  so a 1 byte/s trickle would otherwise hold a request for ever);
* raw bytes are streamed and decompressed by us with a running cap
  (:mod:`ingest.decompress`);
* redirects are followed by hand, each hop re-validated (http/https only, no
  https -> http downgrade, loops and long chains refused);
* every connection goes to an address checked *after* DNS resolution, and to
  that very address (:mod:`ingest.addresses`).

Errors are classified in one place, :func:`ingest.statuses.classify_status` and
:meth:`Fetcher.fetch`, into :class:`~newsflow.errors.TransientError` (timeouts,
connection failures, 5xx, 429: retry later) and
:class:`~newsflow.errors.PermanentError` (4xx, refused address, oversized
body, bad scheme, redirect trouble).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ingest.addresses import GuardedBackend, Resolver, check_url, resolve
from ingest.decompress import ACCEPT_ENCODING, read_body
from ingest.hostslots import WorkerHostSlots
from ingest.statuses import REDIRECTS, classify_status
from newsflow.errors import PermanentError, TransientError
from newsflow.settings import FetchConfig


class DeadlineExceeded(TransientError):
    """The whole fetch did not complete within ``total_timeout_s``."""


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch. ``not_modified`` for a 304 answer to a conditional GET."""

    status: int
    final_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    not_modified: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


class Fetcher:
    """One HTTP client for a run: connection reuse, global and per-host concurrency caps.

    Use as ``async with Fetcher(config) as fetcher: await fetcher.fetch(url)``.
    """

    def __init__(
        self, config: FetchConfig, resolver: Resolver = resolve, ssl_context: ssl.SSLContext | None = None,
        shared_host_slots: WorkerHostSlots | None = None,
    ) -> None:
        self._config = config
        self._backend = GuardedBackend(config.allow_private_addresses, resolver)
        self._client = _make_client(config, self._backend, ssl_context)
        self._slots = asyncio.Semaphore(config.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        # In an ingest worker: the per-host cap shared with the other workers.
        self._shared_host_slots = shared_host_slots

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET ``url`` within every limit of :class:`FetchConfig`; raise Transient/PermanentError."""
        request_headers = _request_headers(self._config, etag, last_modified)
        conditional = bool(etag or last_modified)
        async with self._slots, self._host_slot(url), self._shared_host_slot(url):
            try:
                async with asyncio.timeout(self._config.total_timeout_s):
                    return await self._follow(url, request_headers, headers or {}, conditional)
            except TimeoutError as exc:
                raise DeadlineExceeded(f"no complete response within {self._config.total_timeout_s:g}s") from exc
            except httpx.TimeoutException as exc:
                raise TransientError(f"timed out: {type(exc).__name__}") from exc
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                raise PermanentError(f"invalid URL: {exc}") from exc
            except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
                raise TransientError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = _host(url)
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self._config.per_host_concurrency)
        return self._host_slots[host]

    def _shared_host_slot(self, url: str) -> contextlib.AbstractAsyncContextManager[None]:
        if self._shared_host_slots is None:
            return contextlib.nullcontext()
        return self._shared_host_slots.hold(_host(url))

    async def _follow(
        self, url: str, headers: dict[str, str], extra: Mapping[str, str], conditional: bool
    ) -> FetchResult:
        """Follow redirects by hand, re-checking every hop.

        The feed's own headers (``extra``: often credentials) go to its origin
        only, never to where a redirect points elsewhere.
        """
        visited: set[str] = set()
        previous: str | None = None
        check_url(url, None, self._config.allow_private_addresses)
        origin = _origin(url)
        for _hop in range(self._config.max_redirects + 1):
            check_url(url, previous, self._config.allow_private_addresses)
            if url in visited:
                raise PermanentError(f"redirect loop at {url[:200]}")
            visited.add(url)
            hop_headers = {**extra, **headers} if _origin(url) == origin else headers
            async with self._client.stream("GET", url, headers=hop_headers) as response:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    previous, url = url, urljoin(url, location.strip())
                    continue
                return await self._result(response, url, conditional)
        raise PermanentError(f"more than {self._config.max_redirects} redirects")

    async def _result(self, response: httpx.Response, url: str, conditional: bool) -> FetchResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
        classify_status(response.status_code, headers, conditional)
        if response.status_code == 304:
            return FetchResult(304, url, headers, b"", not_modified=True)
        body = await read_body(response, self._config.max_body_bytes)
        return FetchResult(response.status_code, url, headers, body)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""  # check_url refuses it in a moment


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _request_headers(config: FetchConfig, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING}
    # Conditional GET, RFC 9110 §13.1.2 / §13.1.3: the server answers 304 when
    # our copy is current. If-None-Match takes precedence when both are sent.
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _make_client(
    config: FetchConfig, backend: GuardedBackend, ssl_context: ssl.SSLContext | None
) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; the pool is rebuilt with
    # ours so every connection goes through the address check.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        max_connections=config.concurrency * 2,
        max_keepalive_connections=config.concurrency * 2,
        keepalive_expiry=30.0,
        network_backend=backend,
    )
    timeout = httpx.Timeout(
        connect=config.connect_timeout_s,
        read=config.total_timeout_s,
        write=config.total_timeout_s,
        pool=config.total_timeout_s,
    )
    # trust_env=False: a proxy from the environment would bypass the address check.
    return httpx.AsyncClient(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
        event_hooks={"response": [_redirect_checker(config.allow_private_addresses)]},
    )


def _redirect_checker(allow_private: bool) -> Callable[[httpx.Response], Awaitable[None]]:
    """A response hook refusing a bad redirect target before httpx parses it.

    httpx builds the next request from ``Location`` even when not following
    redirects, and raises a protocol error (transient) on hosts it cannot
    parse, such as ``0177.0.0.1``; checked here first, such a target is
    refused like any private address (issue 8 #10).
    """

    async def check(response: httpx.Response) -> None:
        location = response.headers.get("location")
        if response.status_code in REDIRECTS and location:
            current = str(response.request.url)
            check_url(urljoin(current, location.strip()), current, allow_private)

    return check
