"""A speech-to-text entity that hears the same request whenever anything is said.

Silence is heard as nothing: a call left quiet does not switch the porch
light on again and again; Assist's conversation then ends by itself.
"""

from __future__ import annotations

import array
from collections.abc import AsyncIterable
from typing import Final

from homeassistant.components.stt import (
    AudioBitRates,
    AudioChannels,
    AudioCodecs,
    AudioFormats,
    AudioSampleRates,
    SpeechMetadata,
    SpeechResult,
    SpeechResultState,
    SpeechToTextEntity,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

# What the sandbox's caller asks for (tests/fixtures/audio/porch-ulaw.wav).
HEARD = "turn on the porch light"
# The loudest 16-bit sample of audio that is only silence (or line noise).
SILENCE: Final = 500


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entity."""
    async_add_entities([DevelopSpeechToText(entry)])


class DevelopSpeechToText(SpeechToTextEntity):
    """Takes Assist's 16 kHz mono audio, as calls send it, and hears HEARD."""

    _attr_name = "Develop voice"

    def __init__(self, entry: ConfigEntry) -> None:
        """Name the entity after its entry."""
        self._attr_unique_id = f"{entry.entry_id}_stt"

    @property
    def supported_languages(self) -> list[str]:
        """Return English only."""
        return ["en"]

    @property
    def supported_formats(self) -> list[AudioFormats]:
        """Return WAV."""
        return [AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[AudioCodecs]:
        """Return PCM."""
        return [AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[AudioBitRates]:
        """Return 16 bits."""
        return [AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[AudioSampleRates]:
        """Return 16 kHz."""
        return [AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[AudioChannels]:
        """Return mono."""
        return [AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Listen until the pipeline's voice detection ends the request.

        Hears HEARD if anything louder than silence was said, else nothing.
        """
        del metadata
        said = False
        async for chunk in stream:
            said = said or _loud(chunk)
        if not said:
            return SpeechResult(None, SpeechResultState.ERROR)
        return SpeechResult(HEARD, SpeechResultState.SUCCESS)


def _loud(chunk: bytes) -> bool:
    """Tell whether 16-bit little-endian PCM audio is louder than silence."""
    samples = array.array("h", chunk[: len(chunk) - len(chunk) % 2])
    return any(abs(sample) > SILENCE for sample in samples)
