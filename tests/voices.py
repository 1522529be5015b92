"""A text-to-speech entity and a media folder, for the tests of HA's voices on calls.

The entity is set up the way integrations set theirs up (a config entry
forwarding to its tts platform), on Home Assistant's real tts component, so
rendering, conversion with ffmpeg and caching are Home Assistant's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import conversation
from homeassistant.components.assist_pipeline.pipeline import (
    KEY_ASSIST_PIPELINE,
    async_create_default_pipeline,
    async_update_pipeline,
)
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
from homeassistant.components.tts import TextToSpeechEntity, TtsAudioType
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import intent
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    async_mock_service,
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
    await _async_set_up_entity(hass, TEST_DOMAIN, "tts", voice, TTS_ENTITY_ID)
    return voice


async def _async_set_up_entity(
    hass: HomeAssistant, domain: str, platform: str, entity: Entity, entity_id: str
) -> None:
    """Set up a platform's component with one entity, from a test integration."""

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, [platform])
        return True

    async def setup_platform(
        _hass: HomeAssistant,
        _entry: ConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_entities([entity])

    # A custom integration, as ours is: from Home Assistant 2026.11 only those
    # may still return a boolean from async_setup_entry, which every release
    # before it requires.
    mock_integration(
        hass, MockModule(domain, async_setup_entry=setup_entry), built_in=False
    )
    mock_platform(hass, f"{domain}.config_flow", built_in=False)
    mock_platform(
        hass,
        f"{domain}.{platform}",
        MockPlatform(async_setup_entry=setup_platform),
        built_in=False,
    )
    assert await async_setup_component(hass, platform, {})
    entry = MockConfigEntry(domain=domain)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id) is not None


# --- Speech-to-text and Assist -------------------------------------------------

STT_ENTITY_ID = "stt.test_ears"
EARS_DOMAIN = "test_ears"
PORCH_LIGHT = "light.porch"
PORCH = AUDIO / "porch-ulaw.wav"


class FakeEars(SpeechToTextEntity):
    """Hears what a test says was said, once it has heard the whole request.

    `texts` are returned one per request, then "" (nothing recognized).
    """

    _attr_name = "Test ears"

    def __init__(self) -> None:
        """Hear "turn on the porch light" first, then nothing."""
        self.texts = ["turn on the porch light"]
        self.heard: list[int] = []  # bytes of audio of each request

    @property
    def supported_languages(self) -> list[str]:
        """English."""
        return ["en-US"]

    @property
    def supported_formats(self) -> list[AudioFormats]:
        """WAV."""
        return [AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[AudioCodecs]:
        """PCM."""
        return [AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[AudioBitRates]:
        """16 bits."""
        return [AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[AudioSampleRates]:
        """16 kHz."""
        return [AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[AudioChannels]:
        """Mono."""
        return [AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Listen until the pipeline stops the stream, then say what was heard."""
        del metadata
        size = 0
        async for chunk in stream:
            size += len(chunk)
        self.heard.append(size)
        text = self.texts.pop(0) if self.texts else ""
        return SpeechResult(text, SpeechResultState.SUCCESS)


@dataclass
class Assist:
    """Home Assistant's voice pipeline with the test engines, and a porch light."""

    ears: FakeEars
    voice: FakeVoice
    pipeline_id: str
    turned_on: list[ServiceCall]


@pytest.fixture
async def assist(hass: HomeAssistant, voice: FakeVoice) -> AsyncIterator[Assist]:
    """Assist set up with tts.test_voice, stt.test_ears and a light to turn on.

    The pipeline ("Phone") is Home Assistant's preferred one. The light is
    light.porch, named Porch light, whose light.turn_on is recorded. Ask for
    it before anything starts Home Assistant's HTTP test client.
    """
    with mock_config_flow(EARS_DOMAIN, VoiceFlow):
        ears = await async_set_up_ears(hass)
        assert await async_setup_component(hass, "homeassistant", {})
        assert await async_setup_component(hass, "conversation", {})
        assert await async_setup_component(hass, "assist_pipeline", {})
        # Contacts' satellites: its views must exist before the HTTP server starts.
        assert await async_setup_component(hass, "assist_satellite", {})
        hass.states.async_set(PORCH_LIGHT, "off", {"friendly_name": "Porch light"})
        turned_on = async_mock_service(hass, "light", "turn_on")
        hass.config.components.add("light")
        pipeline = await async_create_default_pipeline(
            hass,
            stt_engine_id=STT_ENTITY_ID,
            tts_engine_id=TTS_ENTITY_ID,
            pipeline_name="Phone",
        )
        assert pipeline is not None
        hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_set_preferred_item(
            pipeline.id
        )
        yield Assist(ears, voice, pipeline.id, turned_on)


@pytest.fixture
async def ears(hass: HomeAssistant) -> AsyncIterator[FakeEars]:
    """stt.test_ears, set up before Home Assistant's HTTP server starts."""
    with mock_config_flow(EARS_DOMAIN, VoiceFlow):
        yield await async_set_up_ears(hass)


async def async_set_up_ears(hass: HomeAssistant) -> FakeEars:
    """Set up Home Assistant's stt component with one entity; return it."""
    ears = FakeEars()
    await _async_set_up_entity(hass, EARS_DOMAIN, "stt", ears, STT_ENTITY_ID)
    return ears


class ChatAgent(conversation.AbstractConversationAgent):
    """A conversation agent that is not Home Assistant's own: it can start talking.

    Answers every request with "Sure." and keeps what it was asked.
    """

    def __init__(self) -> None:
        """Nothing asked yet."""
        self.inputs: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> str:
        """Any language."""
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer, keeping the conversation going."""
        self.inputs.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech("Sure.")
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )


@dataclass
class Chat:
    """A pipeline named Chat whose agent is a ChatAgent."""

    agent: ChatAgent
    pipeline_id: str


@pytest.fixture
async def chat(hass: HomeAssistant, assist: Assist) -> Chat:
    """The Assist pipeline "Chat", with an agent that can start conversations."""
    agent = ChatAgent()
    entry = MockConfigEntry(domain="chat_agent")
    entry.add_to_hass(hass)
    conversation.async_set_agent(hass, entry, agent)
    pipeline = await async_create_default_pipeline(
        hass,
        stt_engine_id=STT_ENTITY_ID,
        tts_engine_id=TTS_ENTITY_ID,
        pipeline_name="Chat",
    )
    assert pipeline is not None
    await async_update_pipeline(hass, pipeline, conversation_engine=entry.entry_id)
    return Chat(agent, pipeline.id)
