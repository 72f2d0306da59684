"""Reading a body without trusting it: one content coding undone by us, under a running cap.

httpx would inflate a gzip bomb without limit (docs/bad-inputs.md #9-#12), so
raw bytes are streamed and decompressed here, counting both what came over the
wire and what came out; stacked encodings are refused (``statuses.content_encoding``),
and a gzip body sent without ``Content-Encoding`` is recognised by its magic.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from ingest.statuses import content_encoding
from newsflow.errors import PermanentError, TransientError

# Brotli is not accepted: the brotli bindings offer no output cap to stop a bomb.
ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"


class CappedDecoder:
    """Undoes one content coding while counting, refusing output beyond ``limit`` bytes.

    With no declared coding, a body starting with the gzip magic is inflated
    anyway (docs/bad-inputs.md #11: some servers serve feeds that way).
    """

    def __init__(self, coding: str | None, limit: int) -> None:
        self._coding = coding
        self._limit = limit
        self._size = 0
        self._wire = 0
        self._chunks: list[bytes] = []
        self._pending = b""
        self._zlib: Any = None

    def feed(self, data: bytes) -> None:
        self._wire += len(data)
        if self._wire > self._limit:
            raise PermanentError(f"body larger than {self._limit} bytes")
        if self._undecided():
            data = self._start(self._pending + data)
            if self._undecided():
                return
        if self._zlib is not None:
            self._inflate(data)
        else:
            self._append(data)

    def finish(self) -> bytes:
        if self._zlib is None:
            self._append(self._pending)  # fewer than two bytes in all: not compressed
        else:
            self._append(self._zlib.flush())
            if not self._zlib.eof:
                raise TransientError("compressed body ended early")
        return b"".join(self._chunks)

    def _undecided(self) -> bool:
        return self._zlib is None and self._coding != "identity"

    def _start(self, data: bytes) -> bytes:
        """Choose the decompressor once two bytes are known; returns the bytes to process."""
        if len(data) < 2:
            self._pending = data
            return b""
        self._pending = b""
        if self._coding == "gzip" or (self._coding is None and data.startswith(_GZIP_MAGIC)):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._coding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate.
            zlib_header = (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        else:
            self._coding = "identity"
        return data

    def _inflate(self, data: bytes) -> None:
        try:
            while data and not self._zlib.eof:
                out = self._zlib.decompress(data, self._limit - self._size + 1)
                self._append(out)
                if not out and self._zlib.unconsumed_tail == data:
                    break
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise PermanentError(f"corrupt compressed body: {exc}") from exc

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise PermanentError(f"body larger than {self._limit} bytes after decompression")
        if data:
            self._chunks.append(data)


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The response body, decompressed by us under ``limit`` (never by httpx)."""
    coding = content_encoding(response.headers)
    declared = response.headers.get("content-length", "")
    if coding is None and declared.isdigit() and int(declared) > limit:
        raise PermanentError(f"body larger than {limit} bytes (Content-Length {declared})")
    decoder = CappedDecoder(coding, limit)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)
    return decoder.finish()
