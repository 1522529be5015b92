"""Check media for <PlayAudio> as Bandwidth does: pick its format, decode it.

Bandwidth plays WAV and MP3 only. The format comes from the response's
Content-Type; when that is missing or names something else, from the URL
path's extension; failing that, the media is taken for WAV. The body must
then decode in that format: MP3 through mutagen (Home Assistant's own TTS
requirement, imported only when needed), WAV by reading its RIFF chunks
(PCM 16-bit, G.711 A-law or µ-law).
"""

from __future__ import annotations

import io
import struct
from pathlib import PurePosixPath

from yarl import URL

MP3 = "mp3"
WAV = "wav"

_CONTENT_TYPES = {
    "audio/wav": WAV,
    "audio/x-wav": WAV,
    "audio/mpeg": MP3,
    "audio/mpeg3": MP3,
    "audio/mp3": MP3,
}
_EXTENSIONS = {".mp3": MP3, ".wav": WAV}
# WAVE format tag -> bits per sample it must have.
_WAV_ENCODINGS = {1: 16, 6: 8, 7: 8}  # PCM, A-law, µ-law
_RIFF_HEADER = 12
_CHUNK_HEADER = 8
_FMT_SIZE = 16
_MPEG_LAYER = 3


class AudioError(Exception):
    """The media does not decode in the format it was taken for."""


def audio_format(content_type: str | None, url: str) -> str:
    """Return "mp3" or "wav": the format Bandwidth would play the media as."""
    mime = (content_type or "").partition(";")[0].strip().lower()
    if mime in _CONTENT_TYPES:
        return _CONTENT_TYPES[mime]
    # The last segment's: "/a.mp3/" has none.
    suffix = PurePosixPath(URL(url).path.rpartition("/")[2]).suffix.lower()
    return _EXTENSIONS.get(suffix, WAV)


def audio_duration(body: bytes, kind: str) -> float:
    """Decode the body as MP3 or WAV; return its length in seconds.

    Raise AudioError when it does not decode or holds no sound.
    """
    duration = _mp3_duration(body) if kind == MP3 else _wav_duration(body)
    if duration <= 0:
        msg = "no audio in it"
        raise AudioError(msg)
    return duration


def _mp3_duration(body: bytes) -> float:
    from mutagen import MutagenError  # noqa: PLC0415 - needed only for MP3 media
    from mutagen.mp3 import MP3 as MP3File  # noqa: PLC0415, N811

    try:
        info = MP3File(io.BytesIO(body)).info
    except MutagenError as err:
        msg = f"not MP3: {err}"
        raise AudioError(msg) from None
    if info.layer != _MPEG_LAYER:
        msg = f"MPEG layer {info.layer}, not layer 3"
        raise AudioError(msg)
    return float(info.length)


def _wav_duration(body: bytes) -> float:
    """Read a RIFF/WAVE file's fmt and data chunks: data bytes / byte rate."""
    if body[:4] != b"RIFF" or body[8:_RIFF_HEADER] != b"WAVE":
        msg = "not WAV: no RIFF/WAVE header"
        raise AudioError(msg)
    fmt: bytes | None = None
    data: int | None = None
    offset = _RIFF_HEADER
    while offset + _CHUNK_HEADER <= len(body):
        name = body[offset : offset + 4]
        (size,) = struct.unpack_from("<I", body, offset + 4)
        start = offset + _CHUNK_HEADER
        if name == b"fmt ":
            fmt = body[start : start + size]
        elif name == b"data":
            # A streamed WAV may declare more than it holds: count what is there.
            data = len(body[start : start + size])
        offset = start + size + size % 2  # chunks are padded to even sizes
    if fmt is None or len(fmt) < _FMT_SIZE:
        msg = "not WAV: no fmt chunk"
        raise AudioError(msg)
    if data is None:
        msg = "not WAV: no data chunk"
        raise AudioError(msg)
    tag, _channels, _rate, byte_rate, _align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag not in _WAV_ENCODINGS:
        msg = f"WAV format tag {tag:#06x}: only PCM, A-law and µ-law play"
        raise AudioError(msg)
    if bits != _WAV_ENCODINGS[tag]:
        msg = f"WAV with {bits} bits per sample for format tag {tag}"
        raise AudioError(msg)
    if byte_rate == 0:
        msg = "WAV with a byte rate of 0"
        raise AudioError(msg)
    return data / byte_rate


def silence_wav(seconds: float) -> bytes:
    """Return `seconds` of silence as WAV (8 kHz, 16-bit PCM, mono)."""
    data = bytes(2 * round(8000 * seconds))
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
