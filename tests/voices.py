"""A text-to-speech entity and a media folder, for the tests of HA's voices on calls.

The entity is set up the way integrations set theirs up (a config entry
forwarding to its tts platform), on Home Assistant's real tts component, so
rendering, conversion with ffmpeg and caching are Home Assistant's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

AUDIO = Path(__file__).parent / "fixtures" / "audio"
MP3 = (AUDIO / "silence.mp3").read_bytes()
WAV = (AUDIO / "silence.wav").read_bytes()
TTS_ENTITY_ID = "tts.test_voice"
TEST_DOMAIN = "test_voice"


class FakeVoice(TextToSpeechEntity):
    """Speaks MP3 (or what a test sets) and remembers every render."""

    _attr_name = "Test voice"

    def __init__(self) -> None:
        """Start with MP3 audio and no renders."""
        self.audio: tuple[str | None, bytes | None] = ("mp3", MP3)
        self.error: Exception | None = None
        self.renders: list[tuple[str, str, dict[str, Any]]] = []
        self.options = ["voice"]

    @property
    def default_language(self) -> str:
        """English unless asked otherwise."""
        return "en-US"

    @property
    def supported_languages(self) -> list[str]:
        """English and German."""
        return ["en-US", "de-DE"]

    @property
    def supported_options(self) -> list[str]:
        """The options this engine takes."""
        return self.options

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Render a message (or fail, as a test asks)."""
        self.renders.append((message, language, dict(options)))
        if self.error is not None:
            raise self.error
        return self.audio


class VoiceFlow(ConfigFlow):
    """The config flow the test integration's entry claims to come from."""


@pytest.fixture
async def voice(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeVoice]:
    """A text-to-speech entity, tts.test_voice, its cache in a temporary folder.

    Ask for it before anything starts Home Assistant's HTTP test client: the
    tts component registers its views when it is set up.
    """
    from homeassistant.components import tts  # noqa: PLC0415 - patched here

    monkeypatch.setattr(tts, "DEFAULT_CACHE_DIR", str(tmp_path / "tts"))
    with mock_config_flow(TEST_DOMAIN, VoiceFlow):
        yield await async_set_up_voice(hass)


async def async_set_up_voice(hass: HomeAssistant) -> FakeVoice:
    """Set up Home Assistant's tts component with one entity; return it."""
    voice = FakeVoice()

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["tts"])
        return True

    async def setup_platform(
        _hass: HomeAssistant,
        _entry: ConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_entities([voice])

    mock_integration(hass, MockModule(TEST_DOMAIN, async_setup_entry=setup_entry))
    mock_platform(hass, f"{TEST_DOMAIN}.config_flow")
    mock_platform(
        hass, f"{TEST_DOMAIN}.tts", MockPlatform(async_setup_entry=setup_platform)
    )
    assert await async_setup_component(hass, "tts", {})
    entry = MockConfigEntry(domain=TEST_DOMAIN)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(TTS_ENTITY_ID) is not None
    return voice
