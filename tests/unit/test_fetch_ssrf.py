"""Redirects and address checks (docs/bad-inputs.md #14-#16): refusal happens before any connection.

A connect spy replaces httpcore's socket opener, a resolver spy replaces DNS,
and a real listener on 127.0.0.1 is the target that must never be reached.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpcore
import pytest

from ingest import addresses as address_module
from ingest.addresses import AddressRefused, check_url, is_public_address, legacy_ipv4, resolve
from newsflow.errors import PermanentError, TransientError
from newsflow.settings import FetchConfig
from tests.unit.fetch_servers import fetch

from .fetch_servers import header_of, never_contacted_listener, path_of, raw_server, response

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def config(allow_private: bool) -> FetchConfig:
    return FetchConfig(allow_private_addresses=allow_private, total_timeout_s=5.0, connect_timeout_s=1.0)


class Spies:
    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.resolved: list[str] = []


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> Spies:
    """Record every socket connect and DNS lookup the fetcher attempts."""
    spies = Spies()
    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def connect_spy(self, host, port, *args, **kwargs):
        spies.connects.append((host, port))
        return await real_connect(self, host, port, *args, **kwargs)

    async def resolver_spy(host: str, port: int) -> list[str]:
        spies.resolved.append(host)
        return await resolve(host, port)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_spy)
    monkeypatch.setattr(address_module, "resolve", resolver_spy)
    return spies


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real 127.0.0.1 listener (and [::1] on the same port when IPv6 is there) never to be reached."""
    with never_contacted_listener() as server:
        yield server


def get(url: str, allow_private: bool = False):
    return asyncio.run(fetch(url, config=config(allow_private), resolver=address_module.resolve))


# --- #15: private and metadata addresses -------------------------------------------------

PRIVATE_FORMS = [
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://169.254.169.254:{port}/latest/meta-data/",
    "http://100.64.0.1:{port}/",
    "http://[fd00::1]:{port}/",
    "http://localhost.:{port}/",
    "http://localhost:{port}/",
    "http://a.com@127.0.0.1:{port}/",
    "http://10.0.0.1:{port}/",
    "http://192.168.1.1:{port}/",
    "http://172.16.0.1:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::]:{port}/",
    "http://224.0.0.1:{port}/",
    "http://[fe80::1]:{port}/",
]


@pytest.mark.parametrize("form", PRIVATE_FORMS)
def test_15_private_addresses_are_refused_before_connecting(form: str, spies: Spies, listener: socket.socket) -> None:
    url = form.format(port=listener.getsockname()[1])
    with pytest.raises(PermanentError):
        get(url)
    assert spies.connects == []


def test_15_a_name_resolving_to_loopback_is_refused_after_dns(
    spies: Spies, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def to_loopback(host: str, port: int) -> list[str]:
        spies.resolved.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(address_module, "resolve", to_loopback)
    with pytest.raises(AddressRefused):
        get(f"http://innocent.example:{listener.getsockname()[1]}/")
    assert spies.resolved == ["innocent.example"] and spies.connects == []


def test_15_allowed_when_configured(spies: Spies) -> None:
    def respond(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))

    with raw_server(respond) as server:
        assert get(server.url, allow_private=True).body == FEED
    assert spies.connects == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False), ("100.64.0.1", False),
     ("169.254.169.254", False), ("::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
     ("fd00::1", False), ("fe80::1%eth0", False), ("224.0.0.1", False), ("0.0.0.0", False), ("not-an-ip", False),
     ("::127.0.0.1", False), ("2002:7f00:1::1", False), ("2002:a00:1::1", False), ("64:ff9b::7f00:1", False),
     ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::808:808", True), ("2002:808:808::1", True)],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# --- #16: DNS rebinding --------------------------------------------------------------------


def test_16_rebinding_name_connects_only_to_the_checked_address(
    spies: Spies, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name resolves public, then loopback: the socket goes to the checked (public) address."""
    answers = iter([["203.0.113.7"], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        spies.resolved.append(host)
        return next(answers)

    async def refuse(self, host, port, *args, **kwargs):
        spies.connects.append((host, port))
        raise httpcore.ConnectError("test network: unreachable")

    monkeypatch.setattr(address_module, "resolve", rebinding)
    monkeypatch.setattr(address_module, "is_public_address", lambda a: a == "203.0.113.7")
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", refuse)
    with pytest.raises(TransientError):
        get(f"http://rebind.example:{listener.getsockname()[1]}/")
    assert spies.connects == [("203.0.113.7", listener.getsockname()[1])]
    assert spies.resolved == ["rebind.example"]


# --- #14: redirects ------------------------------------------------------------------------


def _redirecting(location_for):
    def respond(conn: socket.socket, head: bytes) -> None:
        location = location_for(path_of(head))
        if location is None:
            conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))
        else:
            conn.sendall(response("302 Found", {"Location": location, "Content-Length": "0"}))

    return respond


def test_14_relative_redirects_are_followed() -> None:
    with raw_server(_redirecting(lambda p: {"/a": "/b", "/b": "c"}.get(p))) as server:
        result = get(server.url + "/a", allow_private=True)
    assert result.body == FEED and result.final_url == server.url + "/c"


def test_14_redirect_to_itself_is_a_loop() -> None:
    with raw_server(_redirecting(lambda p: p)) as server, pytest.raises(PermanentError, match="loop"):
        get(server.url + "/self", allow_private=True)
    assert len(server.requests) == 1


def test_14_fifty_hops_stop_at_the_cap() -> None:
    def hop(path: str) -> str | None:
        n = int(path.rsplit("/", 1)[1])
        return f"/hop/{n + 1}" if n < 50 else None

    with raw_server(_redirecting(hop)) as server, pytest.raises(PermanentError, match="more than 5 redirects"):
        get(server.url + "/hop/0", allow_private=True)
    assert len(server.requests) == 6


def test_14_redirect_to_file_scheme_is_refused() -> None:
    with raw_server(_redirecting(lambda p: "file:///etc/passwd")) as server, pytest.raises(PermanentError, match="scheme"):
        get(server.url + "/x", allow_private=True)


def test_14_redirect_to_loopback_is_refused_when_private_is_not_allowed(
    spies: Spies, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first hop is on 127.0.0.2, which this test treats as public; the redirect aims at 127.0.0.1."""
    port = listener.getsockname()[1]
    monkeypatch.setattr(address_module, "is_public_address", lambda a: a == "127.0.0.2")
    with raw_server(_redirecting(lambda p: f"http://127.0.0.1:{port}/admin"), host="127.0.0.2") as server:
        with pytest.raises(AddressRefused):
            get(server.url + "/start")
    assert spies.connects == [("127.0.0.2", server.port)]


def test_14_redirect_to_a_name_resolving_to_loopback_is_refused(
    spies: Spies, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = listener.getsockname()[1]
    monkeypatch.setattr(address_module, "is_public_address", lambda a: a == "127.0.0.2")
    with raw_server(_redirecting(lambda p: f"http://localtest.example:{port}/"), host="127.0.0.2") as server:

        async def resolver(host: str, port: int) -> list[str]:
            return {"localtest.example": ["127.0.0.1"]}.get(host, [host])

        monkeypatch.setattr(address_module, "resolve", resolver)
        with pytest.raises(AddressRefused):
            get(server.url + "/start")
    assert all(host == "127.0.0.2" for host, _ in spies.connects)


# Issue 8 #10: inet_aton's octal, hex and dword forms mean loopback to the C
# resolver; httpx calls some of them invalid, which on a redirect came out as a
# transient protocol error (retried for ever) instead of a refusal.
LEGACY_LOOPBACK = ["0177.0.0.1", "0x7f.0.0.1", "2130706433", "0x7f000001", "017700000001", "0177.1", "0x7f.1"]


@pytest.mark.parametrize("host", LEGACY_LOOPBACK + ["0x0a.0.0.1", "0251.0376.0251.0376"])
def test_15_octal_hex_and_dword_forms_are_refused_as_addresses(host: str, spies: Spies, listener: socket.socket) -> None:
    with pytest.raises(AddressRefused):
        get(f"http://{host}:{listener.getsockname()[1]}/")
    assert spies.connects == [] and spies.resolved == []


@pytest.mark.parametrize("host", LEGACY_LOOPBACK)
def test_14_redirect_to_an_octal_hex_or_dword_loopback_is_refused(
    host: str, spies: Spies, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = listener.getsockname()[1]
    monkeypatch.setattr(address_module, "is_public_address", lambda a: a == "127.0.0.2")
    with raw_server(_redirecting(lambda p: f"http://{host}:{port}/admin"), host="127.0.0.2") as server:
        with pytest.raises(AddressRefused):
            get(server.url + "/start")
    assert spies.connects == [("127.0.0.2", server.port)]


@pytest.mark.parametrize(
    ("host", "address"),
    [("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("8.8.8.8", "8.8.8.8"),
     ("010.0.0.1", "8.0.0.1"), ("example.com", None), ("1.2.3.4.5", None), ("0x", "0.0.0.0")],
)
def test_legacy_ipv4_reads_hosts_as_the_c_resolver_does(host: str, address: str | None) -> None:
    assert legacy_ipv4(host) == address


def test_14_https_to_http_downgrade_is_refused() -> None:
    with pytest.raises(PermanentError, match="https to http"):
        check_url("http://example.com/x", previous="https://example.com/", allow_private=False)
    check_url("https://example.com/x", previous="http://example.com/", allow_private=False)  # upgrade is fine


def test_redirect_hops_are_under_one_total_deadline() -> None:
    def slow_hop(conn: socket.socket, head: bytes) -> None:
        time.sleep(0.6)
        n = int(path_of(head).rsplit("/", 1)[1])
        conn.sendall(response("302 Found", {"Location": f"/h/{n + 1}", "Content-Length": "0"}))

    cfg = FetchConfig(allow_private_addresses=True, total_timeout_s=1.5, max_redirects=10)
    started = time.monotonic()
    with raw_server(slow_hop) as server, pytest.raises(TransientError, match="within"):
        asyncio.run(fetch(server.url + "/h/0", config=cfg))
    assert time.monotonic() - started < 2.5


def test_feed_headers_go_to_the_feed_origin_only() -> None:
    def final(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))

    with raw_server(final) as elsewhere:
        hops = {"/feed": "/moved", "/moved": elsewhere.url + "/feed"}
        with raw_server(_redirecting(hops.get)) as origin:
            cfg = config(allow_private=True)
            result = asyncio.run(fetch(origin.url + "/feed", config=cfg, headers={"Authorization": "Bearer s3cret"}))
    assert result.body == FEED
    assert [header_of(h, "authorization") for h in origin.requests] == ["Bearer s3cret", "Bearer s3cret"]
    assert header_of(elsewhere.requests[0], "authorization") is None


def test_next_address_is_tried_when_the_first_refuses() -> None:
    def ok(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response("200 OK", {"Content-Length": str(len(FEED))}, FEED))

    async def two_addresses(host: str, port: int) -> list[str]:
        return ["127.0.0.2", "127.0.0.1"]  # nothing listens on 127.0.0.2

    with raw_server(ok) as server:
        result = asyncio.run(
            fetch(f"http://multi.example:{server.port}/", config=config(allow_private=True), resolver=two_addresses)
        )
    assert result.body == FEED


@pytest.mark.parametrize("url", ["http://[::1", "http://exa mple.com/", "http://e.com:port/", "https://", "//e.com/x", ""])
def test_malformed_urls_are_permanent_errors(url: str) -> None:
    with pytest.raises(PermanentError):
        get(url, allow_private=True)
