"""Config flow for the Bandwidth Voice integration.

Setup offers Bandwidth's two API authentication schemes: OAuth 2.0 client
credentials (recommended) and a legacy API user (HTTP Basic). Credentials and
the Voice application are checked against Bandwidth before anything is
stored (flow_checks.py). An entry is one account and one Voice application,
titled after the application's name in Bandwidth; it also holds the webhook
id and the secret of the URL given to the Voice application for calls
received, generated once at creation and kept through re-authentication and
reconfiguration (the options, options_flow.py, can replace the secret).
Contacts are the entry's subentries (contact_flow.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import Application
from .const import (
    AUTH_BASIC,
    AUTH_OAUTH,
    CONF_ACCOUNT_ID,
    CONF_API_URL,
    CONF_APPLICATION_ID,
    CONF_AUTH_TYPE,
    CONF_INBOUND_SECRET,
    DOMAIN,
)
from .contact_flow import ContactFlow
from .flow_checks import (
    CREDENTIAL_KEYS,
    async_verify,
    format_errors,
    trimmed,
    without_secrets,
)
from .flow_selectors import PASSWORD_SELECTOR, TEXT_SELECTOR
from .identity import SUBENTRY_CONTACT
from .options_flow import BandwidthOptionsFlow

if TYPE_CHECKING:
    # Home Assistant 2026 validates with probatio and aliases `voluptuous` to it
    # at runtime; type against what the running Home Assistant really uses.
    import probatio as vol
else:
    import voluptuous as vol

STEP_RECONFIGURE_OAUTH = "reconfigure_oauth"
STEP_RECONFIGURE_BASIC = "reconfigure_basic"

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


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

        Shown in advanced mode, read from the flow context (as
        `show_advanced_options` did: releases without advanced mode make that
        property always true, which would show the field to everyone). Those
        releases' frontend no longer puts it in the context; the development
        tooling starts its flows with it (scripts/develop_sandbox/).
        """
        context: Mapping[str, object] = self.context
        return bool(context.get("show_advanced_options"))

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
            user_input = trimmed(user_input)
            errors = format_errors(user_input)
            if not errors:
                account_id = user_input[CONF_ACCOUNT_ID]
                await self.async_set_unique_id(
                    _unique_id(account_id, user_input[CONF_APPLICATION_ID])
                )
                self._abort_if_unique_id_configured()
                data = {CONF_AUTH_TYPE: auth_type, **user_input}
                errors, application = await async_verify(
                    self.hass, data, application_field=True
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
                without_secrets(user_input or {}),
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
            user_input = trimmed(user_input)
            errors, application = await async_verify(
                self.hass, {**entry.data, **user_input}, application_field=False
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
            user_input = trimmed(user_input)
            errors = format_errors(user_input)
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
                errors, application = await async_verify(
                    self.hass, data, application_field=True
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
            suggested = without_secrets(user_input)
        return self.async_show_form(
            step_id=f"reconfigure_{auth_type}",
            data_schema=self.add_suggested_values_to_schema(
                self._credentials_schema(auth_type, account_id=False), suggested
            ),
            description_placeholders=_placeholders(entry),
            errors=errors,
        )
