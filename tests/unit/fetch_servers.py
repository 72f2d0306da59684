"""Loopback HTTP servers for fetcher tests, down to the raw socket (for trickles and lies), and a one-shot fetch."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from ingest.addresses import Resolver, resolve
from ingest.fetcher import Fetcher, FetchResult
from newsflow.settings import FetchConfig

Respond = Callable[[socket.socket, bytes], None]


@dataclass
class RawServer:
    """Accepts connections on ``host``; ``respond(conn, request_head)`` writes whatever it likes."""

    respond: Respond
    host: str = "127.0.0.1"
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    bytes_sent: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@contextmanager
def raw_server(respond: Respond, host: str = "127.0.0.1") -> Iterator[RawServer]:
    server = RawServer(respond, host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(16)
    sock.settimeout(0.2)
    server.port = sock.getsockname()[1]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                while True:
                    head = read_head(conn)
                    if not head:
                        return
                    server.requests.append(head)
                    server.respond(conn, head)
            except OSError:
                pass  # the client hung up on us: that is what most of these tests want

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            server.connections += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def send(conn: socket.socket, server: RawServer, data: bytes) -> None:
    conn.sendall(data)
    server.bytes_sent += len(data)


def response(status: str, headers: dict[str, str], body: bytes = b"", close: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def path_of(head: bytes) -> str:
    return head.split(b" ", 2)[1].decode("latin-1")


def header_of(head: bytes, name: str) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower().encode():
            return value.strip().decode("latin-1")
    return None


@contextmanager
def never_contacted_listener() -> Iterator[socket.socket]:
    """A real 127.0.0.1 listener (and [::1] on the same port when IPv6 is there) that must never be reached.

    Yields the IPv4 socket; on exit, fails if either socket has a connection waiting.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    server6 = _ipv6_twin(server.getsockname()[1])
    try:
        yield server
        for sock in (server, server6):
            if sock is not None:
                try:
                    sock.accept()
                except BlockingIOError:
                    continue
                raise AssertionError(f"the listener on {sock.getsockname()} was contacted")
    finally:
        for sock in (server, server6):
            if sock is not None:
                sock.close()


def _ipv6_twin(port: int) -> socket.socket | None:
    try:
        server6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        server6.bind(("::1", port))
    except OSError:
        return None
    server6.listen(8)
    server6.setblocking(False)
    return server6


async def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    config: FetchConfig,
    resolver: Resolver = resolve,
) -> FetchResult:
    """One fetch with a client of its own (the service shares one :class:`Fetcher` instead)."""
    async with Fetcher(config, resolver) as fetcher:
        return await fetcher.fetch(url, etag=etag, last_modified=last_modified, headers=headers)
