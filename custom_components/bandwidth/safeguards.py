"""What keeps calls from costing more than meant: who may call where.

The actions are ordinary ones any Home Assistant user may run. Where their
calls may go is the entry's allowed country codes (countries.py); only an
administrator may call elsewhere, call a SIP URI, or hand a call to another
server or Voice application. Automations and scripts Home Assistant runs by
itself carry no user. They keep within the allowed country codes, since a
number they call may come from anyone (a template, a caller's number), and
may use the rest: only administrators write them, which is why Home
Assistant's own administrator-only actions let them through too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import UnknownUser

from .const import CONF_NOTIFY_TO
from .errors import validation_error
from .validation import check_destinations

# create_call's fields that hand the call to a server or Voice application
# other than Home Assistant: it then decides what the call does, transfers
# included. The fallback answers when Home Assistant does not.
ADMIN_FIELDS: Final = ("application_id", "answer_url", "answer_fallback_url")


async def async_check_caller(
    hass: HomeAssistant,
    context: Context,
    data: Mapping[str, Any],
    options: Mapping[str, Any],
    field: str,
) -> None:
    """Refuse what the user behind an action may not ask for.

    `field` holds the destinations. An unknown user is refused as Home
    Assistant's own administrator-only actions refuse one.
    """
    admin = await _async_is_admin(hass, context)
    if admin is False:
        for key in ADMIN_FIELDS:
            if key in data:
                raise validation_error("admin_only_field", field=key)
    if field in data:
        check_destinations(
            data[field],
            options,
            field,
            anywhere=admin is True,
            sip=admin is not False,
        )


async def async_check_notified(
    hass: HomeAssistant,
    context: Context | None,
    recipients: list[str],
    options: Mapping[str, Any],
) -> None:
    """Refuse numbers to call for notifications calls may not go to.

    The options form checks them; options saved by older versions may hold
    others. An administrator chose them, SIP URIs included.
    """
    admin = await _async_is_admin(hass, context)
    check_destinations(recipients, options, CONF_NOTIFY_TO, anywhere=admin is True)


async def _async_is_admin(hass: HomeAssistant, context: Context | None) -> bool | None:
    """Return whether an action's user is an administrator; None: no user."""
    if context is None or context.user_id is None:
        return None
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise UnknownUser(context=context)
    return user.is_admin
