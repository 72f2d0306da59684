"""A small loopback HTTP server for the demo, the tests and the benchmark.

It serves a folder of feeds and pages. Feed files may say ``{{BASE_URL}}``
where the server's own address belongs, so links work whatever port it got.
It answers conditional requests (RFC 9110 §13: ``If-None-Match`` against a
strong ETag) so the demo exercises the poller's 304 path.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mimetypes
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

BASE_URL_MARK = b"{{BASE_URL}}"
_TYPES = {
    ".xml": "application/rss+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".html": "text/html; charset=utf-8",
}


class _Handler(BaseHTTPRequestHandler):
    server: _FolderServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the second
    # waits for the client's delayed ACK (tens of ms per response).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        body = self.server.read(urlsplit(self.path).path)
        if body is None:
            self._reply(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._reply(HTTPStatus.NOT_MODIFIED, b"", None, etag)
            return
        self._reply(HTTPStatus.OK, body, self.server.content_type(self.path), etag)

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str | None, etag: str | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != HTTPStatus.NOT_MODIFIED:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's console is for the pipeline, not for access logs


class _FolderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.root = root.resolve()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def read(self, url_path: str) -> bytes | None:
        path = (self.root / unquote(url_path).lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path.read_bytes().replace(BASE_URL_MARK, self.base_url.encode())

    def content_type(self, url_path: str) -> str:
        suffix = Path(urlsplit(url_path).path).suffix.lower()
        return _TYPES.get(suffix) or mimetypes.guess_type(url_path)[0] or "application/octet-stream"

    def handle_error(self, request: object, client_address: tuple) -> None:
        """A client that hung up is not an error of ours; anything else goes to our log, not raw stderr.

        socketserver prints every exception of a request thread to stderr with
        a traceback; the fetcher closing a kept-alive connection as a run ends
        is enough to put one on the screen of a first run (issue 10).
        """
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.debug("client %s went away: %s", client_address, error)
        else:
            log.warning("error serving a request from %s", client_address, exc_info=True)  # noqa: LOG014 - socketserver calls this inside its except


@contextlib.contextmanager
def serve_folder(root: Path, preferred_port: int = 0) -> Iterator[str]:
    """Serve ``root`` on loopback (``preferred_port`` if it is free); yield the base URL."""
    try:
        server = _FolderServer(root, preferred_port)
    except OSError:
        server = _FolderServer(root)
    thread = threading.Thread(target=server.serve_forever, name="feedserver", daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python -m devstack.feedserver DIR [--port N]``: serve a folder until killed."""
    import argparse

    parser = argparse.ArgumentParser(description="serve a folder of feeds and pages on loopback")
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = _FolderServer(args.root, args.port)
    print(server.base_url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
