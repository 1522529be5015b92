"""The options flow: what calls do when an action does not say.

Call defaults, the call rate, where calls may go, what happens to calls
received, Assist and voicemail. Options are read at call time, so saving them
reloads nothing; a request for a new address replaces the secret in the URL
for calls received and shows the new URL.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    AssistPipelineSelector,
    AssistPipelineSelectorConfig,
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .cloudhook import async_inbound_url
from .const import (
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_PIPELINE,
    CONF_CALLS_PER_SECOND,
    CONF_FORWARD_TO,
    CONF_FROM,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_INBOUND_SECRET,
    CONF_LANGUAGE,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NOTIFY_TO,
    CONF_RING_TIMEOUT,
    CONF_TTS_ENTITY_ID,
    CONF_VOICE,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_MAX_DURATION,
    CONF_VOICEMAIL_RETENTION_DAYS,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_TRANSCRIPTION,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    DEFAULT_ASSIST_MAX_CONVERSATIONS,
    DEFAULT_ASSIST_MAX_MINUTES,
    DEFAULT_CALLS_PER_SECOND,
    DEFAULT_HOLD_TIME,
    DEFAULT_MAX_CALLS_PER_HOUR,
    DEFAULT_RING_TIMEOUT,
    DEFAULT_VOICEMAIL_GREETING,
    DEFAULT_VOICEMAIL_MAX_DURATION,
    DEFAULT_VOICEMAIL_RETENTION_DAYS,
    INBOUND_MODES,
    INBOUND_REJECT,
    TRANSCRIPTION_BANDWIDTH,
    TRANSCRIPTIONS,
    VOICES,
)
from .countries import ALLOWABLE_COUNTRY_CODES, allowed_country_codes
from .flow_checks import trimmed
from .flow_selectors import TEXT_SELECTOR, whole_number_selector
from .media import speech_error
from .option_rules import (
    MAX_ASSIST_CONVERSATIONS,
    MAX_ASSIST_MINUTES,
    MAX_CALLS_PER_HOUR,
    MAX_CALLS_PER_SECOND,
    MAX_RETENTION_DAYS,
    MAX_SECONDS,
    MAX_VOICEMAIL_DURATION,
    MIN_CALLS_PER_HOUR,
    MIN_CALLS_PER_SECOND,
    MIN_SECONDS,
    MIN_VOICEMAIL_DURATION,
    refused_option_destinations,
    validate_options,
)

if TYPE_CHECKING:
    # Home Assistant 2026 validates with probatio and aliases `voluptuous` to it
    # at runtime; type against what the running Home Assistant really uses.
    import probatio as vol
else:
    import voluptuous as vol

# The options form's request for a new address for the Voice application.
CONF_NEW_ADDRESS: Final = "new_address"
DESTINATIONS_SELECTOR: Final = TextSelector(TextSelectorConfig(multiple=True))
VOICE_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=list(VOICES),
        custom_value=True,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
# The codes themselves ("+44"): typed into the list's search, they find one.
COUNTRY_CODES_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=list(ALLOWABLE_COUNTRY_CODES),
        multiple=True,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
SECONDS_SELECTOR: Final = whole_number_selector(MIN_SECONDS, MAX_SECONDS, "s")
INBOUND_CALLS_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(INBOUND_MODES),
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_INBOUND_CALLS,
    )
)
TRANSCRIPTION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(TRANSCRIPTIONS),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_VOICEMAIL_TRANSCRIPTION,
    )
)
TTS_ENTITY_SELECTOR = EntitySelector(EntitySelectorConfig(domain="tts"))
STT_ENTITY_SELECTOR = EntitySelector(EntitySelectorConfig(domain="stt"))
ASSIST_PIPELINE_SELECTOR = AssistPipelineSelector(AssistPipelineSelectorConfig())

# The options form's fields, in its order; options it does not show are kept
# as they are.
OPTIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_FROM): TEXT_SELECTOR,
        vol.Optional(CONF_VOICE): VOICE_SELECTOR,
        vol.Optional(CONF_TTS_ENTITY_ID): TTS_ENTITY_SELECTOR,
        vol.Optional(CONF_LANGUAGE): TEXT_SELECTOR,
        vol.Optional(CONF_NOTIFY_TO): DESTINATIONS_SELECTOR,
        vol.Required(
            CONF_CALLS_PER_SECOND, default=DEFAULT_CALLS_PER_SECOND
        ): whole_number_selector(MIN_CALLS_PER_SECOND, MAX_CALLS_PER_SECOND),
        vol.Required(
            CONF_MAX_CALLS_PER_HOUR, default=DEFAULT_MAX_CALLS_PER_HOUR
        ): whole_number_selector(MIN_CALLS_PER_HOUR, MAX_CALLS_PER_HOUR),
        vol.Optional(CONF_ALLOWED_COUNTRY_CODES): COUNTRY_CODES_SELECTOR,
        vol.Required(CONF_HOLD_TIME, default=DEFAULT_HOLD_TIME): SECONDS_SELECTOR,
        vol.Required(
            CONF_INBOUND_CALLS, default=INBOUND_REJECT
        ): INBOUND_CALLS_SELECTOR,
        vol.Required(CONF_RING_TIMEOUT, default=DEFAULT_RING_TIMEOUT): SECONDS_SELECTOR,
        vol.Optional(CONF_FORWARD_TO): DESTINATIONS_SELECTOR,
        vol.Optional(CONF_ASSIST_PIPELINE): ASSIST_PIPELINE_SELECTOR,
        vol.Required(
            CONF_ASSIST_MAX_MINUTES, default=DEFAULT_ASSIST_MAX_MINUTES
        ): whole_number_selector(1, MAX_ASSIST_MINUTES, "min"),
        vol.Required(
            CONF_ASSIST_MAX_CONVERSATIONS, default=DEFAULT_ASSIST_MAX_CONVERSATIONS
        ): whole_number_selector(1, MAX_ASSIST_CONVERSATIONS),
        vol.Required(CONF_VOICEMAIL_WHEN_UNANSWERED, default=True): BooleanSelector(),
        vol.Required(
            CONF_VOICEMAIL_FOR_OTHER_CALLERS, default=False
        ): BooleanSelector(),
        vol.Required(
            CONF_VOICEMAIL_GREETING, default=DEFAULT_VOICEMAIL_GREETING
        ): TEXT_SELECTOR,
        vol.Required(
            CONF_VOICEMAIL_MAX_DURATION, default=DEFAULT_VOICEMAIL_MAX_DURATION
        ): whole_number_selector(MIN_VOICEMAIL_DURATION, MAX_VOICEMAIL_DURATION, "s"),
        vol.Required(
            CONF_VOICEMAIL_TRANSCRIPTION, default=TRANSCRIPTION_BANDWIDTH
        ): TRANSCRIPTION_SELECTOR,
        vol.Optional(CONF_VOICEMAIL_STT_ENTITY_ID): STT_ENTITY_SELECTOR,
        vol.Required(
            CONF_VOICEMAIL_DELETE_AT_BANDWIDTH, default=True
        ): BooleanSelector(),
        vol.Required(
            CONF_VOICEMAIL_RETENTION_DAYS, default=DEFAULT_VOICEMAIL_RETENTION_DAYS
        ): whole_number_selector(1, MAX_RETENTION_DAYS, "d"),
        # Not an option: a request for a new inbound secret.
        vol.Optional(CONF_NEW_ADDRESS, default=False): BooleanSelector(),
    }
)
# The options the form shows, and so replaces when saved.
OPTION_KEYS: Final = frozenset(
    str(marker.schema) for marker in OPTIONS_SCHEMA.schema
) - {CONF_NEW_ADDRESS}
# What the errors about numbers name: their range.
RANGES: Final = {
    "min": str(MIN_CALLS_PER_SECOND),
    "max": str(MAX_CALLS_PER_SECOND),
    "min_seconds": str(MIN_SECONDS),
    "max_seconds": str(MAX_SECONDS),
    "min_voicemail_duration": str(MIN_VOICEMAIL_DURATION),
    "max_voicemail_duration": str(MAX_VOICEMAIL_DURATION),
    "max_retention_days": str(MAX_RETENTION_DAYS),
    "min_calls_per_hour": str(MIN_CALLS_PER_HOUR),
    "max_calls_per_hour": str(MAX_CALLS_PER_HOUR),
}


class BandwidthOptionsFlow(OptionsFlow):
    """Call defaults and the call rate; read at call time, so no reload is needed."""

    _options: dict[str, Any]

    async def async_step_new_address(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Give the Voice application a new address; the old one stops working.

        The secret in the URL for calls received is replaced at once (the
        webhook reads it from the entry on each request), then the new URL is
        shown to copy into the Voice application.
        """
        if user_input is not None:
            return self.async_create_entry(data=self._options)
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_INBOUND_SECRET: secrets.token_urlsafe(24)},
        )
        return self.async_show_form(
            step_id="new_address",
            data_schema=vol.Schema({}),
            description_placeholders={
                "title": entry.title,
                "callback_url": async_inbound_url(self.hass, entry) or "",
            },
        )

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit the defaults used when an action does not give its own."""
        errors: dict[str, str] = {}
        # What a refused destination's error names.
        refused: dict[str, str] = {}
        if user_input is not None:
            user_input = trimmed(user_input)
            submitted, errors = validate_options(user_input)
            if not errors:
                # Where the numbers to call go, under the codes submitted with them.
                errors, refused = refused_option_destinations(submitted)
            if not errors and (engine := submitted.get(CONF_TTS_ENTITY_ID)):
                # The engine must exist and speak the language, as calls need.
                language = submitted.get(CONF_LANGUAGE)
                if error := speech_error(self.hass, engine, language):
                    # A language the engine does not speak is the language's.
                    on_language = error == "tts_refused" and language
                    errors[CONF_LANGUAGE if on_language else CONF_TTS_ENTITY_ID] = error
            if not errors:
                kept = {
                    key: value
                    for key, value in self.config_entry.options.items()
                    if key not in OPTION_KEYS
                }
                self._options = kept | submitted
                if user_input.get(CONF_NEW_ADDRESS):
                    return await self.async_step_new_address()
                return self.async_create_entry(data=self._options)

        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA,
                self.config_entry.options if user_input is None else user_input,
            ),
            description_placeholders={
                "title": self.config_entry.title,
                # Where the Voice application sends the calls it receives.
                "callback_url": async_inbound_url(self.hass, self.config_entry) or "",
                **RANGES,
                # Where calls may go now, and a refused number's country.
                "allowed_country_codes": ", ".join(
                    allowed_country_codes(self.config_entry.options)
                ),
                "country_code": "",
                **refused,
            },
            errors=errors,
        )
