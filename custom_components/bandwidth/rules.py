"""The rules single values are held to, each refusing with a key of its own.

A rule is a callable that returns the value (perhaps converted) or raises
`Refused`: a `vol.Invalid` carrying the rule's translation key and its limits,
which voluptuous (and probatio) keep intact through `vol.Schema`, `vol.All`
and `vol.Any`, prefixing its path. Where one of voluptuous's validators
already checks the value (`vol.Range`, `vol.In`, a type, a mapping's fields),
the rule is that validator, `Translated`; the others check what voluptuous has
no validator for: text that can be sent and is not blank, a whole pattern,
unknown fields refused before any value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any, Final

import voluptuous as vol

# JSON numbers past 2**53 are not portable; past 2**64 they cannot be sent.
MAX_SAFE_INTEGER: Final = 2**53


class Refused(vol.Invalid):
    """A value broke a rule: the rule's translation key and placeholders.

    The message voluptuous keeps is the key itself, never English words.
    `values` are the rule's limits (numbers), other fields' names or
    country calling codes (+44).
    """

    def __init__(
        self, rule: str, path: list[Hashable] | None = None, /, **values: int | str
    ) -> None:
        """Refuse with `rule`, at `path` below the value being validated."""
        super().__init__(rule, path)
        self.rule = rule
        self.values = values


def encodable(value: str) -> bool:
    """Return whether text can be sent: no lone surrogates."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def is_blank(value: str) -> bool:
    """Return whether text is only whitespace, control or invisible format characters."""
    return all(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in value
    )


class Text:
    """Text (not a number or a list) of bounded length."""

    def __init__(
        self, max_length: int, *, empty: bool = True, blank: bool = True
    ) -> None:
        """Allow at most `max_length` characters; `empty`/`blank` text or not."""
        self.max_length = max_length
        self.empty = empty
        self.blank = blank
        self.limits = {"max": max_length}

    def __call__(self, value: Any) -> str:
        """Return the text, or refuse it."""
        if not isinstance(value, str):
            raise Refused("invalid_text")
        if not encodable(value):
            raise Refused("invalid_unicode")
        if not value and not self.empty:
            raise Refused("text_empty")
        if len(value) > self.max_length:
            raise Refused("text_too_long", max=self.max_length)
        if not self.blank and is_blank(value):
            raise Refused("text_blank")
        return value


class DisplayName(Text):
    """Text without control characters: Bandwidth refuses a new line in a name."""

    def __call__(self, value: Any) -> str:
        """Return the name, or refuse it."""
        name = super().__call__(value)
        # isprintable() is also false for invisible and non-space separators.
        if not name.isprintable():
            raise Refused("control_characters")
        return name


class Pattern:
    """Text of a fixed form and bounded length, refused with one key."""

    def __init__(self, pattern: re.Pattern[str], max_length: int, *, rule: str) -> None:
        """Match `pattern` whole, in at most `max_length` characters."""
        self.pattern = pattern
        self.rule = rule
        self.limits = {"max": max_length}

    def __call__(self, value: Any) -> str:
        """Return the text, or refuse it."""
        if (
            not isinstance(value, str)
            or len(value) > self.limits["max"]
            or not self.pattern.fullmatch(value)
            or not encodable(value)
        ):
            raise Refused(self.rule, **self.limits)
        return value


def is_number(value: Any) -> bool:
    """Return whether value is a finite number (booleans and strings are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    # Only floats can be infinite or NaN (math.isfinite overflows on huge ints).
    return not isinstance(value, float) or math.isfinite(value)


class Translated:
    """One of voluptuous's own validators, refusing with a rule's key and limits.

    voluptuous checks the value (its range, its type, one of a few values);
    the refusal is the rule's, translated, not the library's English.
    """

    def __init__(
        self, validator: Callable[[Any], Any], *, rule: str, **limits: int
    ) -> None:
        """Check with `validator`; refuse with `rule` and `limits`."""
        self.rule = rule
        self.validator = validator
        self.limits = limits

    def __call__(self, value: Any) -> Any:
        """Return what the validator returns, or refuse the value."""
        try:
            return self.validator(value)
        except vol.Invalid:
            raise Refused(self.rule, **self.limits) from None


def finite(value: Any) -> float:
    """Return a finite number; refuse booleans, strings, infinities and NaN."""
    if not is_number(value):
        raise vol.Invalid("not a number")
    number: float = value
    return number


def whole(value: Any) -> int:
    """Return a number with no fraction as an int (3.0 is taken as 3)."""
    if isinstance(value, float) and not value.is_integer():
        raise vol.Invalid("not a whole number")
    return int(value)


class Number(Translated):
    """A number (decimals allowed) from `minimum` to `maximum`."""

    def __init__(self, minimum: int, maximum: int) -> None:
        """Allow numbers from `minimum` to `maximum`, both included."""
        super().__init__(
            vol.All(finite, vol.Range(min=minimum, max=maximum)),
            rule="number_range",
            min=minimum,
            max=maximum,
        )


class Whole(Translated):
    """A whole number from `minimum` to `maximum`; 3.0 is taken as 3."""

    def __init__(self, minimum: int, maximum: int) -> None:
        """Allow whole numbers from `minimum` to `maximum`, both included."""
        super().__init__(
            vol.All(finite, whole, vol.Range(min=minimum, max=maximum)),
            rule="whole_number_range",
            min=minimum,
            max=maximum,
        )


class WholeSeconds:
    """Whole seconds, at least one, for machine detection.

    Bandwidth's spec warns that decimals are not processed correctly there,
    and gives no maximum; numbers past 2**53 cannot be sent faithfully.
    """

    limits: Final = {"min": 1}
    seconds: Final = Translated(
        vol.All(finite, whole, vol.Range(min=1)), rule="whole_seconds", min=1
    )

    def __call__(self, value: Any) -> int:
        """Return the seconds as an int, or refuse them."""
        seconds: int = self.seconds(value)
        if seconds > MAX_SAFE_INTEGER:
            raise Refused("number_too_large", max=MAX_SAFE_INTEGER)
        return seconds


class Choice(Translated):
    """One of a few exact values (named in the rule's message)."""

    def __init__(self, choices: tuple[str, ...], *, rule: str) -> None:
        """Allow exactly `choices`."""
        super().__init__(vol.In(choices), rule=rule)


# true or false; nothing else is taken for one (not 1, not "yes").
boolean: Final = Translated(vol.Schema(bool), rule="boolean")


class Unset:
    """A rule that also takes "nothing": None, or an empty value, is no value.

    Blueprints pass an optional input left empty as "" (or as {}): the field
    is then left out, as if not given.
    """

    def __init__(self, rule: Callable[[Any], Any]) -> None:
        """Apply `rule` to anything but an empty value."""
        self.rule = rule
        self.limits = getattr(rule, "limits", {})

    def __call__(self, value: Any) -> Any:
        """Return None for an empty value, else the rule's result."""
        if value is None or value in ("", {}):
            return None
        return self.rule(value)


class Object:
    """A mapping of known fields, each checked by its rule, then checked whole."""

    limits: Final[dict[str, int]] = {}

    def __init__(
        self,
        fields: dict[vol.Marker, Any],
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Take `fields` (vol.Required / vol.Optional markers to rules)."""
        self.fields = fields
        self.known = {marker.schema for marker in fields}
        self.required = [
            marker.schema for marker in fields if isinstance(marker, vol.Required)
        ]
        self.check = check
        # Walks the values in the order given, naming each failure's path.
        self.schema = vol.Schema(fields)

    def __call__(self, value: Any) -> dict[str, Any]:
        """Return the validated mapping, or refuse it.

        Unknown fields are refused first, then missing ones (whatever the
        library would have reported first), then the first bad value.
        """
        if not isinstance(value, dict):
            raise Refused("invalid_object")
        for key in value:
            if key not in self.known:
                raise Refused("unknown_field", [str(key)])
        for key in self.required:
            if key not in value:
                raise Refused("required_field", [key])
        result: dict[str, Any] = self.schema(value)
        if self.check is not None:
            self.check(result)
        return result


def field_name(path: list[Hashable]) -> str:
    """Return a field's name as users type it: `gather.max_digits`."""
    return ".".join(str(part) for part in path if not isinstance(part, int))
