"""Config flow for the Bandwidth Voice integration.

Setup offers Bandwidth's two API authentication schemes: OAuth 2.0 client
credentials (recommended) and a legacy API user (HTTP Basic). Credentials and
the Voice application are checked against Bandwidth before anything is
stored. An entry is one account and one Voice application, titled after the
application's name in Bandwidth; it also holds the webhook id and the secret
of the URL given to the Voice application for calls received, generated once
at creation and kept through re-authentication and reconfiguration (the
options can replace the secret).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    AssistPipelineSelector,
    AssistPipelineSelectorConfig,
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

from .api import (
    Application,
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthClient,
    BandwidthConnectionError,
    BandwidthError,
)
from .cloudhook import async_inbound_url
from .const import (
    AUTH_BASIC,
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_PIPELINE,
    CONF_AUTH_TYPE,
    CONF_CALLS_PER_SECOND,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
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
    DOMAIN,
    INBOUND_MODES,
    INBOUND_REJECT,
    LOGGER,
    TRANSCRIPTION_BANDWIDTH,
    TRANSCRIPTIONS,
    VOICES,
)
from .contact_flow import ContactFlow
from .countries import ALLOWABLE_COUNTRY_CODES, allowed_country_codes
from .helpers import async_create_client
from .identity import SUBENTRY_CONTACT
from .media import speech_error
from .validation import (
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

# (identifier, secret) entry data keys of each authentication scheme.
CREDENTIAL_KEYS: dict[str, tuple[str, str]] = {
    AUTH_OAUTH: (CONF_CLIENT_ID, CONF_CLIENT_SECRET),
    AUTH_BASIC: (CONF_USERNAME, CONF_PASSWORD),
}
SECRET_KEYS = frozenset(secret for _, secret in CREDENTIAL_KEYS.values())

STEP_RECONFIGURE_OAUTH = "reconfigure_oauth"
# The options form's request for a new address for the Voice application.
CONF_NEW_ADDRESS = "new_address"
STEP_RECONFIGURE_BASIC = "reconfigure_basic"

ACCOUNT_ID_RE = re.compile(r"[0-9]+")

TEXT_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="off"))
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
DESTINATIONS_SELECTOR = TextSelector(TextSelectorConfig(multiple=True))
# Set by scripts/develop so its instance can point entries at the sandbox.
SANDBOX_URL_ENV = "BANDWIDTH_SANDBOX_URL"
VOICE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(VOICES),
        custom_value=True,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
CALLS_PER_SECOND_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_CALLS_PER_SECOND,
        max=MAX_CALLS_PER_SECOND,
        step=1,
        mode=NumberSelectorMode.BOX,
    )
)
CALLS_PER_HOUR_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_CALLS_PER_HOUR,
        max=MAX_CALLS_PER_HOUR,
        step=1,
        mode=NumberSelectorMode.BOX,
    )
)
# The codes themselves ("+44"): typed into the list's search, they find one.
COUNTRY_CODES_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(ALLOWABLE_COUNTRY_CODES),
        multiple=True,
        mode=SelectSelectorMode.DROPDOWN,
    )
)
SECONDS_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_SECONDS,
        max=MAX_SECONDS,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="s",
    )
)
INBOUND_CALLS_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(INBOUND_MODES),
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_INBOUND_CALLS,
    )
)
VOICEMAIL_DURATION_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_VOICEMAIL_DURATION,
        max=MAX_VOICEMAIL_DURATION,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="s",
    )
)
RETENTION_DAYS_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=1,
        max=MAX_RETENTION_DAYS,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="d",
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
ASSIST_MINUTES_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=1,
        max=MAX_ASSIST_MINUTES,
        step=1,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement="min",
    )
)
ASSIST_CONVERSATIONS_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=1, max=MAX_ASSIST_CONVERSATIONS, step=1, mode=NumberSelectorMode.BOX
    )
)
# The options form's fields; options it does not show are kept as they are.
OPTION_KEYS = (
    CONF_FROM,
    CONF_VOICE,
    CONF_TTS_ENTITY_ID,
    CONF_LANGUAGE,
    CONF_NOTIFY_TO,
    CONF_CALLS_PER_SECOND,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_HOLD_TIME,
    CONF_INBOUND_CALLS,
    CONF_RING_TIMEOUT,
    CONF_FORWARD_TO,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_MAX_MINUTES,
    CONF_ASSIST_MAX_CONVERSATIONS,
    CONF_VOICEMAIL_WHEN_UNANSWERED,
    CONF_VOICEMAIL_FOR_OTHER_CALLERS,
    CONF_VOICEMAIL_GREETING,
    CONF_VOICEMAIL_MAX_DURATION,
    CONF_VOICEMAIL_TRANSCRIPTION,
    CONF_VOICEMAIL_STT_ENTITY_ID,
    CONF_VOICEMAIL_DELETE_AT_BANDWIDTH,
    CONF_VOICEMAIL_RETENTION_DAYS,
)


def _unique_id(account_id: str, application_id: str) -> str:
    """Return the unique id of an account + application pair."""
    return f"{account_id}_{application_id}"


def _title(
    account_id: str, application_id: str, application: Application | None
) -> str:
    """Return an entry title telling apart the applications of one account.

    The application's name in Bandwidth when it could be read, its id
    otherwise; never a secret.
    """
    name = application.name if application is not None else None
    if name is None:
        return f"Bandwidth {account_id} {application_id}"
    return name if name.casefold().startswith("bandwidth") else f"Bandwidth {name}"


def _updated_title(
    entry: ConfigEntry, application_id: str, application: Application | None
) -> str:
    """Return an entry's title once its credentials or application changed.

    A new application gets its own title. Otherwise the title is kept (the
    user may have renamed the entry), unless it is still the one entries got
    before they were titled after their application and the name is known.
    """
    account_id: str = entry.data[CONF_ACCOUNT_ID]
    if application_id != entry.data[CONF_APPLICATION_ID] or (
        entry.title == f"Bandwidth {account_id}"
        and application is not None
        and application.name is not None
    ):
        return _title(account_id, application_id, application)
    return entry.title


def _placeholders(entry: ConfigEntry) -> dict[str, str]:
    """Return what the reauth and reconfigure steps name: the entry and account."""
    return {"title": entry.title, "account_id": entry.data[CONF_ACCOUNT_ID]}


def _trimmed(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip surrounding whitespace from every text value of a submitted form."""
    return {
        key: value.strip() if isinstance(value, str) else value
        for key, value in user_input.items()
    }


def _without_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return form values safe to show again as suggestions."""
    return {key: value for key, value in values.items() if key not in SECRET_KEYS}


def _is_http_url(value: str) -> bool:
    """Return whether value is an absolute http(s) URL."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _format_errors(user_input: dict[str, Any]) -> dict[str, str]:
    """Check what can be checked without asking Bandwidth; drop an empty api_url.

    Bandwidth account ids are all digits; anything else would only earn a 403
    (or a malformed URL) from Bandwidth, so it is refused here.
    """
    errors: dict[str, str] = {}
    account_id = user_input.get(CONF_ACCOUNT_ID)
    if account_id is not None and not ACCOUNT_ID_RE.fullmatch(account_id):
        errors[CONF_ACCOUNT_ID] = "invalid_account_id"
    if user_input[CONF_APPLICATION_ID] in ("", ".", ".."):
        errors[CONF_APPLICATION_ID] = "invalid_application_id"
    if CONF_API_URL in user_input:
        if not user_input[CONF_API_URL]:
            del user_input[CONF_API_URL]
        elif not _is_http_url(user_input[CONF_API_URL]):
            errors[CONF_API_URL] = "invalid_api_url"
    return errors


# Errors about the application itself, shown on its field.
APPLICATION_ERRORS = frozenset({"application_not_found", "not_voice_application"})


async def _async_verify(
    flow: ConfigFlow, data: Mapping[str, Any], *, application_field: bool
) -> tuple[dict[str, str], Application | None]:
    """Check credentials and the Voice application against Bandwidth.

    Returns the form errors (none if valid) and the application as Bandwidth
    describes it (None when it could not be read). An application error goes
    on its field when the form shows one (`application_field`), on the form
    otherwise.
    """
    client = async_create_client(flow.hass, data)
    try:
        await client.verify()
    except BandwidthAuthenticationError:
        return {"base": "invalid_auth"}, None
    except BandwidthConnectionError:
        return {"base": "cannot_connect"}, None
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error checking the Bandwidth credentials")
        return {"base": "unknown"}, None
    error, application = await _async_read_application(
        client, data[CONF_APPLICATION_ID]
    )
    if error is None:
        return {}, application
    if error in APPLICATION_ERRORS and application_field:
        return {CONF_APPLICATION_ID: error}, None
    return {"base": error}, None


async def _async_read_application(
    client: BandwidthClient, application_id: str
) -> tuple[str | None, Application | None]:
    """Read the application from Bandwidth; return an error key or it.

    Only a clear answer stops the flow: Bandwidth's 404 (the account has no
    such application), or a service type that is not Voice's. Any other
    answer leaves the application unchecked (no error; the application when
    it was read, for its name): the credentials were just proven on the Voice
    API, and an answer that cannot be read, a failure on Bandwidth's side or
    credentials that may place calls but not read applications say nothing
    about the application.
    """
    try:
        application = await client.get_application(application_id)
    except BandwidthAuthenticationError:
        LOGGER.info(
            "These credentials may not read Bandwidth application %s; "
            "it was not checked",
            application_id,
        )
        return None, None
    except BandwidthError as err:
        if isinstance(err, BandwidthApiError) and err.status == HTTPStatus.NOT_FOUND:
            return "application_not_found", None
        _log_unchecked(application_id, err)
        return None, None
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error reading the Bandwidth application")
        return "unknown", None
    if application.service_type is None:
        _log_unchecked(application_id, "Bandwidth gave no service type")
    elif not application.is_voice:
        return "not_voice_application", None
    return None, application


def _log_unchecked(application_id: str, reason: str | BandwidthError) -> None:
    """Say that an application was accepted without being checked, and why.

    The client's errors name what happened, never the credentials; Bandwidth's
    own refusals are its description, or only the status.
    """
    if isinstance(reason, BandwidthApiError) and str(reason) != f"HTTP {reason.status}":
        reason = f"HTTP {reason.status}: {reason}"
    LOGGER.warning(
        "Could not check Bandwidth application %s (%s); it was accepted unchecked",
        application_id,
        reason,
    )


class BandwidthConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one Bandwidth account + Voice application."""

    VERSION = 1
    # 1.2: who may talk to Assist is contacts, no longer an option; 1.3: no
    # callback credentials any more (see async_migrate_entry).
    MINOR_VERSION = 3

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> BandwidthOptionsFlow:  # noqa: ARG004
        """Return the options flow (call defaults and the call rate)."""
        return BandwidthOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the entry's kinds of subentry: contacts."""
        return {SUBENTRY_CONTACT: ContactFlow}

    @property
    def _advanced_mode(self) -> bool:
        """Return whether to offer the sandbox-only API root field.

        Shown in advanced mode (read from the flow context, as
        `show_advanced_options` did: releases without advanced mode make that
        property always true, which would show the field to everyone), or when
        a development instance names its sandbox in BANDWIDTH_SANDBOX_URL.
        """
        context: Mapping[str, object] = self.context
        return bool(context.get("show_advanced_options")) or bool(_sandbox_url())

    def _credentials_schema(
        self,
        auth_type: str,
        *,
        account_id: bool,
    ) -> vol.Schema:
        """Return the form for one scheme's credentials and the application."""
        identifier, secret = CREDENTIAL_KEYS[auth_type]
        fields: dict[vol.Marker, Any] = {}
        if account_id:
            fields[vol.Required(CONF_ACCOUNT_ID)] = TEXT_SELECTOR
        fields[vol.Required(CONF_APPLICATION_ID)] = TEXT_SELECTOR
        fields[vol.Required(identifier)] = TEXT_SELECTOR
        fields[vol.Required(secret)] = PASSWORD_SELECTOR
        if self._advanced_mode:
            fields[vol.Optional(CONF_API_URL)] = URL_SELECTOR
        return vol.Schema(fields)

    async def async_step_user(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Let the user pick an authentication scheme."""
        return self.async_show_menu(
            step_id="user", menu_options=[AUTH_OAUTH, AUTH_BASIC]
        )

    async def async_step_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up with OAuth 2.0 client credentials."""
        return await self._async_step_setup(AUTH_OAUTH, user_input)

    async def async_step_basic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up with a legacy API user."""
        return await self._async_step_setup(AUTH_BASIC, user_input)

    async def _async_step_setup(
        self, auth_type: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the account, application and credentials; check them live."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _trimmed(user_input)
            errors = _format_errors(user_input)
            if not errors:
                account_id = user_input[CONF_ACCOUNT_ID]
                await self.async_set_unique_id(
                    _unique_id(account_id, user_input[CONF_APPLICATION_ID])
                )
                self._abort_if_unique_id_configured()
                data = {CONF_AUTH_TYPE: auth_type, **user_input}
                errors, application = await _async_verify(
                    self, data, application_field=True
                )
                if not errors:
                    return self.async_create_entry(
                        title=_title(
                            account_id, user_input[CONF_APPLICATION_ID], application
                        ),
                        data={
                            **data,
                            CONF_WEBHOOK_ID: webhook.async_generate_id(),
                            CONF_INBOUND_SECRET: secrets.token_urlsafe(24),
                        },
                    )

        return self.async_show_form(
            step_id=auth_type,
            data_schema=self.add_suggested_values_to_schema(
                self._credentials_schema(auth_type, account_id=True),
                _without_secrets(user_input or {CONF_API_URL: _sandbox_url()}),
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start re-authentication after Bandwidth refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials of the entry's scheme; keep everything else."""
        entry = self._get_reauth_entry()
        identifier, secret = CREDENTIAL_KEYS[entry.data[CONF_AUTH_TYPE]]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _trimmed(user_input)
            errors, application = await _async_verify(
                self, {**entry.data, **user_input}, application_field=False
            )
            if not errors:
                return self._async_update_and_abort(
                    entry,
                    title=_updated_title(
                        entry, entry.data[CONF_APPLICATION_ID], application
                    ),
                    data={**entry.data, **user_input},
                )

        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(identifier): TEXT_SELECTOR,
                        vol.Required(secret): PASSWORD_SELECTOR,
                    }
                ),
                {identifier: (user_input or entry.data)[identifier]},
            ),
            description_placeholders=_placeholders(entry),
            errors=errors,
        )

    def _async_update_and_abort(
        self, entry: ConfigEntry, **changes: Any
    ) -> ConfigFlowResult:
        """Save new credentials, see them taken into use, and end the flow.

        A loaded entry reloads itself from its update listener when its
        credentials changed (Home Assistant 2026.12 refuses a flow's reload
        beside a listener); an entry that is not loaded has no listener, and
        is reloaded by Home Assistant's own helper.
        """
        if not entry.update_listeners:
            return self.async_update_reload_and_abort(entry, **changes)
        self.hass.config_entries.async_update_entry(entry, **changes)
        return self.async_abort(reason=f"{self.source}_successful")

    async def async_step_reconfigure(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Let the user pick the scheme of the new credentials."""
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=[STEP_RECONFIGURE_OAUTH, STEP_RECONFIGURE_BASIC],
            description_placeholders=_placeholders(self._get_reconfigure_entry()),
        )

    async def async_step_reconfigure_oauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure with OAuth 2.0 client credentials."""
        return await self._async_step_reconfigure(AUTH_OAUTH, user_input)

    async def async_step_reconfigure_basic(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure with a legacy API user."""
        return await self._async_step_reconfigure(AUTH_BASIC, user_input)

    async def _async_step_reconfigure(
        self, auth_type: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the credentials and application of an entry, not its account.

        The webhook id and inbound secret are kept. A new application id
        means a new unique id, refused when another entry already has it.
        """
        entry = self._get_reconfigure_entry()
        account_id: str = entry.data[CONF_ACCOUNT_ID]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _trimmed(user_input)
            errors = _format_errors(user_input)
            if not errors:
                unique_id = _unique_id(account_id, user_input[CONF_APPLICATION_ID])
                other = await self.async_set_unique_id(
                    unique_id, raise_on_progress=False
                )
                if other is not None and other.entry_id != entry.entry_id:
                    return self.async_abort(reason="already_configured")
                # Drop both schemes' credentials (and, when the field was
                # shown, the API root) before adding what was submitted.
                replaced = {
                    *CREDENTIAL_KEYS[AUTH_OAUTH],
                    *CREDENTIAL_KEYS[AUTH_BASIC],
                }
                if self._advanced_mode:
                    replaced.add(CONF_API_URL)
                data = {
                    **{k: v for k, v in entry.data.items() if k not in replaced},
                    CONF_AUTH_TYPE: auth_type,
                    **user_input,
                }
                errors, application = await _async_verify(
                    self, data, application_field=True
                )
                if not errors:
                    return self._async_update_and_abort(
                        entry,
                        unique_id=unique_id,
                        title=_updated_title(
                            entry, user_input[CONF_APPLICATION_ID], application
                        ),
                        data=data,
                    )

        if user_input is None:
            suggested = {
                key: value
                for key, value in entry.data.items()
                if key in (CONF_APPLICATION_ID, CONF_API_URL)
                or (
                    entry.data[CONF_AUTH_TYPE] == auth_type
                    and key == CREDENTIAL_KEYS[auth_type][0]
                )
            }
        else:
            suggested = _without_secrets(user_input)
        return self.async_show_form(
            step_id=f"reconfigure_{auth_type}",
            data_schema=self.add_suggested_values_to_schema(
                self._credentials_schema(auth_type, account_id=False), suggested
            ),
            description_placeholders=_placeholders(entry),
            errors=errors,
        )


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
            user_input = _trimmed(user_input)
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
                vol.Schema(
                    {
                        vol.Optional(CONF_FROM): TEXT_SELECTOR,
                        vol.Optional(CONF_VOICE): VOICE_SELECTOR,
                        vol.Optional(CONF_TTS_ENTITY_ID): TTS_ENTITY_SELECTOR,
                        vol.Optional(CONF_LANGUAGE): TEXT_SELECTOR,
                        vol.Optional(CONF_NOTIFY_TO): DESTINATIONS_SELECTOR,
                        vol.Required(
                            CONF_CALLS_PER_SECOND, default=DEFAULT_CALLS_PER_SECOND
                        ): CALLS_PER_SECOND_SELECTOR,
                        vol.Required(
                            CONF_MAX_CALLS_PER_HOUR,
                            default=DEFAULT_MAX_CALLS_PER_HOUR,
                        ): CALLS_PER_HOUR_SELECTOR,
                        vol.Optional(
                            CONF_ALLOWED_COUNTRY_CODES
                        ): COUNTRY_CODES_SELECTOR,
                        vol.Required(
                            CONF_HOLD_TIME, default=DEFAULT_HOLD_TIME
                        ): SECONDS_SELECTOR,
                        vol.Required(
                            CONF_INBOUND_CALLS, default=INBOUND_REJECT
                        ): INBOUND_CALLS_SELECTOR,
                        vol.Required(
                            CONF_RING_TIMEOUT, default=DEFAULT_RING_TIMEOUT
                        ): SECONDS_SELECTOR,
                        vol.Optional(CONF_FORWARD_TO): DESTINATIONS_SELECTOR,
                        vol.Optional(CONF_ASSIST_PIPELINE): ASSIST_PIPELINE_SELECTOR,
                        vol.Required(
                            CONF_ASSIST_MAX_MINUTES, default=DEFAULT_ASSIST_MAX_MINUTES
                        ): ASSIST_MINUTES_SELECTOR,
                        vol.Required(
                            CONF_ASSIST_MAX_CONVERSATIONS,
                            default=DEFAULT_ASSIST_MAX_CONVERSATIONS,
                        ): ASSIST_CONVERSATIONS_SELECTOR,
                        vol.Required(
                            CONF_VOICEMAIL_WHEN_UNANSWERED, default=True
                        ): BooleanSelector(),
                        vol.Required(
                            CONF_VOICEMAIL_FOR_OTHER_CALLERS, default=False
                        ): BooleanSelector(),
                        vol.Required(
                            CONF_VOICEMAIL_GREETING, default=DEFAULT_VOICEMAIL_GREETING
                        ): TEXT_SELECTOR,
                        vol.Required(
                            CONF_VOICEMAIL_MAX_DURATION,
                            default=DEFAULT_VOICEMAIL_MAX_DURATION,
                        ): VOICEMAIL_DURATION_SELECTOR,
                        vol.Required(
                            CONF_VOICEMAIL_TRANSCRIPTION,
                            default=TRANSCRIPTION_BANDWIDTH,
                        ): TRANSCRIPTION_SELECTOR,
                        vol.Optional(CONF_VOICEMAIL_STT_ENTITY_ID): STT_ENTITY_SELECTOR,
                        vol.Required(
                            CONF_VOICEMAIL_DELETE_AT_BANDWIDTH, default=True
                        ): BooleanSelector(),
                        vol.Required(
                            CONF_VOICEMAIL_RETENTION_DAYS,
                            default=DEFAULT_VOICEMAIL_RETENTION_DAYS,
                        ): RETENTION_DAYS_SELECTOR,
                        # Not an option: a request for a new inbound secret.
                        vol.Optional(
                            CONF_NEW_ADDRESS, default=False
                        ): BooleanSelector(),
                    }
                ),
                self.config_entry.options if user_input is None else user_input,
            ),
            description_placeholders={
                "title": self.config_entry.title,
                # Where the Voice application sends the calls it receives.
                "callback_url": async_inbound_url(self.hass, self.config_entry) or "",
                # The errors about numbers name their range.
                "min": str(MIN_CALLS_PER_SECOND),
                "max": str(MAX_CALLS_PER_SECOND),
                "min_seconds": str(MIN_SECONDS),
                "max_seconds": str(MAX_SECONDS),
                "min_voicemail_duration": str(MIN_VOICEMAIL_DURATION),
                "max_voicemail_duration": str(MAX_VOICEMAIL_DURATION),
                "max_retention_days": str(MAX_RETENTION_DAYS),
                "min_calls_per_hour": str(MIN_CALLS_PER_HOUR),
                "max_calls_per_hour": str(MAX_CALLS_PER_HOUR),
                # Where calls may go now, and a refused number's country.
                "allowed_country_codes": ", ".join(
                    allowed_country_codes(self.config_entry.options)
                ),
                "country_code": "",
                **refused,
            },
            errors=errors,
        )


def _sandbox_url() -> str:
    """Return the local sandbox's root URL a development instance announces."""
    return os.environ.get(SANDBOX_URL_ENV, "")
