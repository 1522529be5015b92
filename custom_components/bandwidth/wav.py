"""The answers' audio as it arrives: 8 kHz mono 16-bit WAV, read to its samples.

Home Assistant's text-to-speech renders the answers at the phone network's
rate; a streamed answer may not know its length, and is played (stream.py)
while it is still being written.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

SAMPLE_RATE: Final = 8000


async def wav_samples(data: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Yield the samples of 8 kHz mono 16-bit WAV audio as it arrives.

    A streamed WAV may not know its length: its data chunk is read to the end.

    Raises:
        ValueError: the audio is not that.

    """
    buffer = b""
    chunks = aiter(data)
    body = False
    remaining: int | None = None
    async for chunk in chunks:
        if body:
            if remaining is not None:
                chunk = chunk[:remaining]  # noqa: PLW2901 - what is left of the data
                remaining -= len(chunk)
            if chunk:
                yield chunk
            continue
        buffer += chunk
        parsed = _wav_header(buffer)
        if parsed is None:
            continue
        offset, remaining = parsed
        body = True
        chunk = buffer[offset:]  # noqa: PLW2901 - the samples after the header
        if remaining is not None:
            chunk = chunk[:remaining]  # noqa: PLW2901
            remaining -= len(chunk)
        if chunk:
            yield chunk
    if not body:
        msg = "not WAV audio" if len(buffer) < 12 else "no audio in the WAV"  # noqa: PLR2004
        raise ValueError(msg)


def _wav_header(data: bytes) -> tuple[int, int | None] | None:
    """Return where a WAV's samples start and how many bytes (None: to the end).

    None while more of the header is needed.

    Raises:
        ValueError: the header is not 8 kHz mono 16-bit PCM WAV.

    """
    if len(data) < 12:  # noqa: PLR2004
        return None
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        msg = "not WAV audio"
        raise ValueError(msg)
    offset = 12
    shape: tuple[int, int, int, int] | None = None
    while len(data) >= offset + 8:
        name, size = (
            data[offset : offset + 4],
            struct.unpack_from("<I", data, offset + 4)[0],
        )
        offset += 8
        if name == b"data":
            if shape is None:
                msg = "WAV audio without a format"
                raise ValueError(msg)
            # Streamed WAVs say 0 or the largest size: read to the end.
            return offset, None if size in (0, 0xFFFFFFFF) else size
        if len(data) < offset + size:
            return None
        if name == b"fmt ":
            encoding, channels, rate = struct.unpack_from("<HHI", data, offset)
            bits = struct.unpack_from("<H", data, offset + 14)[0]
            shape = (encoding, channels, rate, bits)
            if shape != (1, 1, SAMPLE_RATE, 16):
                msg = f"{rate} Hz, {bits}-bit, {channels} channels"
                raise ValueError(msg)
        offset += size + (size & 1)
    return None
