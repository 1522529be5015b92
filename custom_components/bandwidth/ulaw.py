"""G.711 µ-law, the phone network's audio, to and from 16-bit PCM.

Bandwidth streams calls as 8 kHz µ-law; Home Assistant's voice pipeline
hears 16 kHz and speaks whatever its text-to-speech is asked for (8 kHz
here). Python has no audioop any more: both directions are table lookups
built once, so a 20 ms frame costs a few microseconds in the event loop.
"""

from __future__ import annotations

import struct
from typing import Final

_BIAS: Final = 0x84
_CLIP: Final = 32635


def _decode_sample(byte: int) -> int:
    """Return the linear 16-bit sample a µ-law byte stands for."""
    byte = ~byte & 0xFF
    exponent = (byte >> 4) & 0x07
    magnitude = (((byte & 0x0F) << 3) + _BIAS) << exponent
    return _BIAS - magnitude if byte & 0x80 else magnitude - _BIAS


def _encode_sample(sample: int) -> int:
    """Return the µ-law byte of a linear 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _CLIP) + _BIAS
    exponent = max(magnitude.bit_length() - 8, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


_SAMPLES: Final = tuple(_decode_sample(byte) for byte in range(256))
# Indexed by a sample's top 14 bits, offset to be positive: µ-law keeps no more.
_ENCODE: Final = bytes(_encode_sample(high << 2) for high in range(-8192, 8192))


def decode(data: bytes) -> list[int]:
    """Return the samples of µ-law audio."""
    return [_SAMPLES[byte] for byte in data]


def encode(pcm: bytes) -> bytes:
    """Return 16-bit little-endian PCM as µ-law (an odd last byte is dropped)."""
    count = len(pcm) // 2
    samples = struct.unpack(f"<{count}h", pcm[: count * 2])
    return bytes([_ENCODE[(sample >> 2) + 8192] for sample in samples])


def to_pcm16k(data: bytes, previous: int = 0) -> tuple[bytes, int]:
    """Return 8 kHz µ-law as 16 kHz 16-bit little-endian PCM, and its last sample.

    Each new sample lies halfway between its neighbours (linear
    interpolation); `previous` is the last sample of the frame before, so
    consecutive frames join without a click.
    """
    samples = decode(data)
    if not samples:
        return b"", previous
    doubled: list[int] = []
    append = doubled.append
    for sample in samples:
        append((previous + sample) >> 1)
        append(sample)
        previous = sample
    return struct.pack(f"<{len(doubled)}h", *doubled), previous
