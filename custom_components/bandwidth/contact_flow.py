"""The flow adding a contact to an entry, and editing one.

A contact is a config subentry: a name, a number (E.164 or a SIP URI, one
contact per number), whether they may talk to Assist, and an optional PIN
that lets them through when their caller ID cannot be verified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .call_values import E164, SIP_URI
from .const import CONF_FROM
from .flow_selectors import PASSWORD_SELECTOR, TEXT_SELECTOR
from .identity import CONF_ASSIST, CONF_NAME, CONF_NUMBER, CONF_PIN, number_key

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

PIN: Final = re.compile(r"[0-9]{4,8}")
MAX_NAME_LENGTH: Final = 100
MAX_NUMBER_LENGTH: Final = 256

PHONE: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
# Shown when editing a contact that has a PIN: the PIN itself never is.
CONF_REMOVE_PIN: Final = "remove_pin"
FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Required(CONF_NAME): TEXT_SELECTOR,
    vol.Required(CONF_NUMBER): PHONE,
    vol.Required(CONF_ASSIST, default=False): BooleanSelector(),
    vol.Optional(CONF_PIN): PASSWORD_SELECTOR,
}


class ContactFlow(ConfigSubentryFlow):
    """Add a contact, or edit one."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a contact."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(user_input, editing=None)
            if not errors:
                return self.async_create_entry(
                    title=data[CONF_NAME],
                    data=data,
                    unique_id=number_key(data[CONF_NUMBER]),
                )
        return self._form("user", user_input, errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a contact; conversations in progress go on."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = self._validate(user_input, editing=subentry.subentry_id)
            if not errors:
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=data[CONF_NAME],
                    data=data,
                    unique_id=number_key(data[CONF_NUMBER]),
                )
        # The PIN is a secret: never shown again, kept when left empty.
        shown = {k: v for k, v in subentry.data.items() if k != CONF_PIN}
        return self._form("reconfigure", user_input or shown, errors)

    def _validate(
        self, user_input: dict[str, Any], *, editing: str | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Return the contact's data to store, and the form's errors by field."""
        name = str(user_input.get(CONF_NAME, "")).strip()
        number = str(user_input.get(CONF_NUMBER, "")).strip()
        pin = str(user_input.get(CONF_PIN) or "").strip()
        errors: dict[str, str] = {}
        if not name or len(name) > MAX_NAME_LENGTH:
            errors[CONF_NAME] = "invalid_name"
        if len(number) > MAX_NUMBER_LENGTH or not (
            E164.fullmatch(number) or SIP_URI.fullmatch(number)
        ):
            errors[CONF_NUMBER] = "invalid_number"
        elif any(
            subentry.unique_id == number_key(number) and subentry.subentry_id != editing
            for subentry in self._get_entry().subentries.values()
        ):
            errors[CONF_NUMBER] = "number_in_use"
        if pin and not PIN.fullmatch(pin):
            errors[CONF_PIN] = "invalid_pin"
        data: dict[str, Any] = {
            CONF_NAME: name,
            CONF_NUMBER: number,
            CONF_ASSIST: bool(user_input.get(CONF_ASSIST, False)),
        }
        if pin:
            data[CONF_PIN] = pin
        elif (
            editing is not None
            and not user_input.get(CONF_REMOVE_PIN)
            and (kept := self._get_entry().subentries[editing].data.get(CONF_PIN))
        ):
            data[CONF_PIN] = kept
        return data, errors

    def _form(
        self,
        step_id: str,
        values: dict[str, Any] | None,
        errors: dict[str, str],
    ) -> SubentryFlowResult:
        """Show the contact form, filled with what was entered."""
        entry = self._get_entry()
        fields = dict(FIELDS)
        if step_id == "reconfigure" and self._get_reconfigure_subentry().data.get(
            CONF_PIN
        ):
            fields[vol.Optional(CONF_REMOVE_PIN, default=False)] = BooleanSelector()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(fields),
                {k: v for k, v in (values or {}).items() if k != CONF_PIN},
            ),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "caller_id": entry.options.get(CONF_FROM) or "-",
            },
        )
