"""HTTPS through the guarded backend: certificate checked against the host name, no downgrade."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.fetcher import Fetcher, FetchResult
from newsflow.errors import PermanentError, TransientError
from newsflow.settings import FetchConfig

FEED = b"<rss version='2.0'><channel><title>tls</title></channel></rss>"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("openssl is not available to make a test certificate")
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/downgrade":
                self.send_response(301)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/feed")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str, cert: Path | None) -> FetchResult:
    context = ssl.create_default_context(cafile=str(cert)) if cert else None

    async def run() -> FetchResult:
        config = FetchConfig(allow_private_addresses=True, total_timeout_s=5)
        async with Fetcher(config, ssl_context=context) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


def test_https_fetch_verifies_the_certificate(https_server: str, certificate: tuple[Path, Path]) -> None:
    assert get(https_server + "/feed", certificate[0]).body == FEED
    localhost = https_server.replace("127.0.0.1", "localhost")
    assert get(localhost + "/feed", certificate[0]).body == FEED


def test_untrusted_certificate_is_refused(https_server: str) -> None:
    with pytest.raises(TransientError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        get(https_server + "/feed", None)


def test_https_to_http_redirect_is_refused(https_server: str, certificate: tuple[Path, Path]) -> None:
    with pytest.raises(PermanentError, match="https to http"):
        get(https_server + "/downgrade", certificate[0])
