"""The selectors the setup, options and contact forms share.

One spelling of each kind of field, so the forms look and behave alike: text
that browsers do not autocomplete, secrets typed unseen, and whole numbers
typed in a box between the limits the options' rules accept.
"""

from __future__ import annotations

from typing import Final

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

# Ids and numbers: a browser's suggestions would be someone else's.
TEXT_SELECTOR: Final = TextSelector(TextSelectorConfig(autocomplete="off"))
PASSWORD_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
)


def whole_number_selector(
    minimum: int, maximum: int, unit: str | None = None
) -> NumberSelector:
    """Return a box for a whole number from `minimum` to `maximum`, in `unit`."""
    config = NumberSelectorConfig(
        min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)
