"""A text-to-speech entity that answers every text with a short tone."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

RATE = 8000
SECONDS = 0.6
PITCH = 440.0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entity."""
    async_add_entities([DevelopTextToSpeech(entry)])


class DevelopTextToSpeech(TextToSpeechEntity):
    """Says every text as the same tone: what comes back on a call is heard."""

    _attr_name = "Develop voice"
    _attr_default_language = "en"
    _attr_supported_languages = ["en"]  # noqa: RUF012 - Home Assistant's attribute

    def __init__(self, entry: ConfigEntry) -> None:
        """Name the entity after its entry."""
        self._attr_unique_id = f"{entry.entry_id}_tts"

    def get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Return a tone as 8 kHz mono WAV."""
        del message, language, options
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * PITCH * n / RATE)))
            for n in range(int(RATE * SECONDS))
        )
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(frames)
        return ("wav", buffer.getvalue())
