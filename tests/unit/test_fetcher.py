"""The fetcher against real loopback servers: statuses, conditional GET, and the
hostile bodies of docs/bad-inputs.md #9-#13."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
import zlib
from datetime import UTC

import pytest

from ingest.fetcher import FetchResult
from ingest.statuses import RetryLater, parse_retry_after
from newsflow.errors import PermanentError, TransientError
from newsflow.settings import FetchConfig
from tests.unit.fetch_servers import fetch

from .fetch_servers import header_of, raw_server, response, send

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def config(**overrides: object) -> FetchConfig:
    values: dict[str, object] = {"allow_private_addresses": True, "total_timeout_s": 5.0, "connect_timeout_s": 2.0}
    values.update(overrides)
    return FetchConfig(**values)


def get(url: str, **kwargs: object) -> FetchResult:
    cfg = kwargs.pop("config", None) or config()
    return asyncio.run(fetch(url, config=cfg, **kwargs))


def serve_body(body: bytes, headers: dict[str, str] | None = None, status: str = "200 OK"):
    def respond(conn: socket.socket, head: bytes) -> None:
        all_headers = {"Content-Type": "application/rss+xml", "Content-Length": str(len(body)), **(headers or {})}
        conn.sendall(response(status, all_headers, body))

    return raw_server(respond)


# --- statuses and conditional GET ------------------------------------------------------


def test_plain_200() -> None:
    with serve_body(FEED, {"ETag": '"v1"', "Last-Modified": "Mon, 18 Dec 2023 10:00:00 GMT"}) as server:
        result = get(server.url + "/feed")
    assert (result.status, result.body, result.not_modified) == (200, FEED, False)
    assert result.etag == '"v1"' and result.last_modified == "Mon, 18 Dec 2023 10:00:00 GMT"
    assert result.content_type == "application/rss+xml"
    assert header_of(server.requests[0], "accept-encoding") == "gzip, deflate"


def test_conditional_get_304() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        if header_of(head, "if-none-match") == '"v1"':
            conn.sendall(response("304 Not Modified", {"ETag": '"v1"'}))
        else:
            conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))

    with raw_server(respond) as server:
        result = get(server.url, etag='"v1"', last_modified="Mon, 18 Dec 2023 10:00:00 GMT")
    assert result.not_modified and result.status == 304 and result.body == b""
    assert header_of(server.requests[0], "if-modified-since") == "Mon, 18 Dec 2023 10:00:00 GMT"


def test_304_to_an_unconditional_request_is_transient() -> None:
    with serve_body(b"", status="304 Not Modified") as server, pytest.raises(TransientError, match="304"):
        get(server.url)


@pytest.mark.parametrize(
    ("status", "error"),
    [("404 Not Found", PermanentError), ("410 Gone", PermanentError), ("401 Unauthorized", PermanentError),
     ("500 Internal Server Error", RetryLater), ("502 Bad Gateway", RetryLater), ("429 Too Many Requests", RetryLater),
     ("408 Request Timeout", RetryLater)],
)
def test_error_statuses_are_classified(status: str, error: type[Exception]) -> None:
    with serve_body(b"nope", status=status) as server, pytest.raises(error, match=status.split()[0]):
        get(server.url)


def test_retry_after_is_reported() -> None:
    with serve_body(b"", {"Retry-After": "120"}, status="503 Service Unavailable") as server:
        with pytest.raises(RetryLater) as caught:
            get(server.url)
    assert caught.value.retry_after_s == 120


def test_parse_retry_after() -> None:
    from datetime import datetime

    now = datetime(2023, 12, 18, 10, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Mon, 18 Dec 2023 10:05:00 GMT", now) == 300
    assert parse_retry_after("Mon, 18 Dec 2023 09:00:00 GMT", now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError):
        get(f"http://127.0.0.1:{port}/")


def test_bad_scheme_is_permanent() -> None:
    for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "not a url"):
        with pytest.raises(PermanentError):
            get(url)


# --- docs/bad-inputs.md #9: a gzip bomb ---------------------------------------------------


def test_9_gzip_bomb_of_300_mib_is_cut_at_the_cap() -> None:
    state = {"compressed": 0}

    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Encoding": "gzip", "Content-Type": "text/html"}, close=True))
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(1 << 20)
        for _ in range(300):  # 300 MiB of zeros, about 300 KB on the wire, made as it is sent
            chunk = compressor.compress(zeros)
            state["compressed"] += len(chunk)
            send(conn, server, chunk)
        send(conn, server, compressor.flush())
        conn.shutdown(socket.SHUT_WR)

    started = time.monotonic()
    with raw_server(respond) as server, pytest.raises(PermanentError, match="after decompression"):
        get(server.url, config=config(max_body_bytes=15 * 1024 * 1024))
    assert time.monotonic() - started < 10


def test_9_bomb_under_deflate_too() -> None:
    body = zlib.compress(bytes(50 << 20), 9)
    with serve_body(body, {"Content-Encoding": "deflate"}) as server, pytest.raises(PermanentError, match="after decompression"):
        get(server.url, config=config(max_body_bytes=1 << 20))


# --- docs/bad-inputs.md #10, #11: stacked and undeclared encodings ----------------------------


def test_10_gzip_gzip_is_refused() -> None:
    body = gzip.compress(gzip.compress(bytes(10 << 20)))
    with serve_body(body, {"Content-Encoding": "gzip, gzip"}) as server, pytest.raises(PermanentError, match="stacked"):
        get(server.url)


def test_10_stacked_encodings_in_two_header_lines_are_refused() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        body = gzip.compress(gzip.compress(FEED))
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )

    with raw_server(respond) as server, pytest.raises(PermanentError, match="stacked"):
        get(server.url)


def test_11_gzip_without_content_encoding_is_inflated() -> None:
    with serve_body(gzip.compress(FEED)) as server:
        assert get(server.url).body == FEED


def test_11_undeclared_gzip_bomb_is_still_capped() -> None:
    with serve_body(gzip.compress(bytes(20 << 20))) as server, pytest.raises(PermanentError, match="after decompression"):
        get(server.url, config=config(max_body_bytes=1 << 20))


@pytest.mark.parametrize("raw", [False, True])
def test_deflate_zlib_wrapped_and_raw(raw: bool) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15 if raw else 15)
    body = compressor.compress(FEED) + compressor.flush()
    with serve_body(body, {"Content-Encoding": "deflate"}) as server:
        assert get(server.url).body == FEED


def test_corrupt_gzip_is_permanent() -> None:
    with serve_body(b"\x1f\x8b\x08\x00garbage-garbage", {"Content-Encoding": "gzip"}) as server:
        with pytest.raises(PermanentError, match="corrupt"):
            get(server.url)


def test_unknown_encoding_is_refused() -> None:
    with serve_body(b"xx", {"Content-Encoding": "br"}) as server, pytest.raises(PermanentError, match="unsupported"):
        get(server.url)


# --- docs/bad-inputs.md #12: big bodies and lying Content-Length ------------------------------

BIG = 25 * 1000 * 1000


def test_12_25mb_body_with_content_length_is_refused_before_reading() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": str(BIG)}))
        for _ in range(BIG // 65536):
            send(conn, server, bytes(65536))

    with raw_server(respond) as server, pytest.raises(PermanentError, match="Content-Length"):
        get(server.url)


def test_12_25mb_body_without_content_length_is_cut_at_the_cap() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {}, close=True))
        for _ in range(BIG // 65536 + 1):
            send(conn, server, b"a" * 65536)
        conn.shutdown(socket.SHUT_WR)

    with raw_server(respond) as server, pytest.raises(PermanentError, match="larger than"):
        get(server.url)
    assert server.bytes_sent < BIG


def test_12_content_length_too_low_gives_the_declared_bytes() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": "10"}, b"0123456789EXTRA-BYTES-BEYOND"))

    with raw_server(respond) as server:
        assert get(server.url).body == b"0123456789"


def test_12_content_length_too_high_is_transient() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": "1000"}, b"only a hundred bytes" * 5))
        conn.shutdown(socket.SHUT_WR)

    with raw_server(respond) as server, pytest.raises(TransientError):
        get(server.url)


def test_12_content_length_absent_reads_to_close() -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {}, FEED, close=True))
        conn.shutdown(socket.SHUT_WR)

    with raw_server(respond) as server:
        assert get(server.url).body == FEED


# --- docs/bad-inputs.md #13: trickles -----------------------------------------------------


def _trickle(data: bytes):
    def respond(conn: socket.socket, head: bytes) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(1.0)

    return respond


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",  # headers at 1 byte/s
        None,  # headers at once, the body at 1 byte/s
    ],
)
def test_13_one_byte_per_second_is_cut_by_the_total_deadline(data: bytes | None) -> None:
    if data is None:
        def respond(conn: socket.socket, head: bytes) -> None:
            conn.sendall(response("200 OK", {"Content-Length": "100"}))
            for _ in range(100):
                conn.sendall(b"x")
                time.sleep(1.0)
    else:
        respond = _trickle(data)
    started = time.monotonic()
    with raw_server(respond) as server, pytest.raises(TransientError, match="within 2s"):
        get(server.url, config=config(total_timeout_s=2.0))
    assert 1.8 < time.monotonic() - started < 5.0  # a full trickle would take 40+ s


def test_truncated_gzip_is_transient() -> None:
    body = gzip.compress(FEED * 50)[:-20]
    with serve_body(body, {"Content-Encoding": "gzip"}) as server, pytest.raises(TransientError, match="ended early"):
        get(server.url)


def test_empty_body_declared_gzip_is_empty() -> None:
    with serve_body(b"", {"Content-Encoding": "gzip"}) as server:
        assert get(server.url).body == b""


def test_per_host_concurrency_is_capped() -> None:
    import threading

    from ingest.fetcher import Fetcher

    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(conn: socket.socket, head: bytes) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.2)
        with lock:
            state["now"] -= 1
        conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))

    async def many(url: str) -> list[FetchResult]:
        async with Fetcher(config(per_host_concurrency=2, concurrency=16)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(f"{url}/{n}") for n in range(8)))

    with raw_server(slow) as server:
        started = time.monotonic()
        results = asyncio.run(many(server.url))
    assert all(r.body == FEED for r in results)
    assert state["max"] == 2
    assert time.monotonic() - started >= 0.8  # 8 requests, 2 at a time, 0.2 s each
