"""Voicemail transcripts by a Home Assistant speech-to-text entity.

Messages to transcribe this way are recorded as WAV: telephone audio, 8 kHz
(16-bit PCM or µ-law), which is turned into the 16 kHz 16-bit PCM every
speech-to-text engine takes, and streamed to the entity in Home Assistant's
language (or the closest it speaks).
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterable, Sequence
from typing import Final

from homeassistant.components import stt
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from . import ulaw
from .const import LOGGER

# WAV format tags.
PCM: Final = 1
MULAW: Final = 7
CHUNK: Final = 3200  # bytes: 100 ms of 16 kHz 16-bit audio
_HEADER: Final = 12
_FMT: Final = 16


def pcm16k(wav: bytes) -> bytes | None:
    """Return a mono 8 or 16 kHz WAV (PCM or µ-law) as 16 kHz 16-bit PCM.

    None for anything else.
    """
    if wav[:4] != b"RIFF" or wav[8:_HEADER] != b"WAVE":
        return None
    fmt: bytes | None = None
    data: bytes | None = None
    offset = _HEADER
    while offset + 8 <= len(wav):
        name = wav[offset : offset + 4]
        (size,) = struct.unpack_from("<I", wav, offset + 4)
        chunk = wav[offset + 8 : offset + 8 + size]
        if name == b"fmt ":
            fmt = chunk
        elif name == b"data":
            data = chunk
        offset += 8 + size + size % 2
    if fmt is None or len(fmt) < _FMT or data is None:
        return None
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", fmt)
    if channels != 1:
        return None
    if tag == PCM and bits == 16 and rate == 16000:  # noqa: PLR2004
        return data
    if tag == PCM and bits == 16 and rate == 8000:  # noqa: PLR2004
        data = ulaw.encode(data)
    elif tag != MULAW or rate != 8000:  # noqa: PLR2004
        return None
    return ulaw.to_pcm16k(data)[0]


def _language(supported: Sequence[str], wanted: str) -> str | None:
    """Return the entity's language closest to Home Assistant's."""
    if wanted in supported:
        return wanted
    base = wanted.partition("-")[0].lower()
    return next(
        (language for language in supported if language.lower().startswith(base)),
        None,
    )


async def async_transcribe(
    hass: HomeAssistant, entity_id: str, wav: bytes
) -> str | None:
    """Return what the entity heard in a message; None when it heard nothing."""
    entity = (
        stt.async_get_speech_to_text_entity(hass, entity_id)
        if stt.DOMAIN in hass.config.components
        else None
    )
    if entity is None:
        LOGGER.warning("No speech-to-text entity %s for voicemail", entity_id)
        return None
    # Sample by sample in Python: seconds for a long message, off the loop.
    if (audio := await hass.async_add_executor_job(pcm16k, wav)) is None:
        LOGGER.warning("A voicemail message is not audio %s can hear", entity_id)
        return None
    language = _language(entity.supported_languages, hass.config.language)
    if language is None:
        LOGGER.warning("%s does not speak %s", entity_id, hass.config.language)
        return None

    async def stream() -> AsyncIterable[bytes]:
        for start in range(0, len(audio), CHUNK):
            yield audio[start : start + CHUNK]

    try:
        result = await entity.internal_async_process_audio_stream(
            stt.SpeechMetadata(
                language=language,
                format=stt.AudioFormats.WAV,
                codec=stt.AudioCodecs.PCM,
                bit_rate=stt.AudioBitRates.BITRATE_16,
                sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
                channel=stt.AudioChannels.CHANNEL_MONO,
            ),
            stream(),
        )
    except HomeAssistantError as err:
        LOGGER.warning(
            "%s could not transcribe a voicemail message: %s", entity_id, err
        )
        return None
    if result.result is not stt.SpeechResultState.SUCCESS:
        return None
    return result.text or None
