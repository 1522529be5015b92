"""Refusing an action call whole, in the user's language, before anything is sent.

voluptuous (probatio on Home Assistant 2026) walks the mappings; what this
package adds to it is the refusal. Every rule (rules.py, call_values.py,
action_fields.py) refuses with a translation key of its own, and this module
turns the first failure into one `ServiceValidationError` whose placeholders
name the field as users type it (`gather.max_digits`) and the rule's limits,
so the refusal reads entirely in the user's language; the library's own
messages ("expected int") are English and name no field. The whole call is
checked (fields, then what Bandwidth refuses of them together, then the
entry's defaults and where calls may go) before anything is sent, so a
refused call leaves nothing half done.

The options form holds its fields to the same rules (option_rules.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import voluptuous as vol
from homeassistant.exceptions import ServiceValidationError

from .action_fields import (
    CREATE_CALL_SCHEMA,
    FIELD_NAMES,
    HANGUP_CALL_SCHEMA,
    RESET_MISSED_CALLS_SCHEMA,
    UPDATE_CALL_SCHEMA,
    VOICEMAIL_SCHEMA,
)
from .call_values import CALLER_ID, SPOKEN, VOICE_NAME
from .calls import Speech
from .const import (
    CONF_FROM,
    CONF_LANGUAGE,
    CONF_NOTIFY_TO,
    CONF_TTS_ENTITY_ID,
    CONF_VOICE,
    DOMAIN,
)
from .countries import (
    allowed_country_codes,
    destination_refusal,
)
from .errors import validation_error
from .rules import Refused, field_name

# --- Refusals ----------------------------------------------------------------


def _first(err: vol.Invalid) -> vol.Invalid:
    """Return the first single error of a (possibly nested) MultipleInvalid."""
    while isinstance(err, vol.MultipleInvalid) and err.errors:
        err = err.errors[0]
    return err


def _as_refused(err: vol.Invalid) -> Refused:
    """Return a library's own error as the rule it stands for."""
    if isinstance(err, Refused):
        return err
    path = list(err.path)
    if isinstance(err, vol.RequiredFieldInvalid):
        return Refused("required_field", path)
    if isinstance(err, vol.DictInvalid):
        return Refused("invalid_object", path)
    if field_name(path) not in FIELD_NAMES:
        return Refused("unknown_field", path)
    return Refused("invalid_value", path)


def refusal(err: vol.Invalid) -> ServiceValidationError:
    """Return the translated error for a failed validation: its first failure."""
    refused = _as_refused(_first(err))
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=refused.rule,
        translation_placeholders={
            "field": field_name(refused.path),
            **{key: str(value) for key, value in refused.values.items()},
        },
    )


def _validate(schema: vol.Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = schema(dict(data))
    except vol.Invalid as err:
        raise refusal(err) from None
    # Fields left empty are not given.
    return {key: value for key, value in result.items() if value is not None}


def validate_create_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return create_call's validated data, or raise its translated refusal."""
    return _validate(CREATE_CALL_SCHEMA, data)


def validate_update_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return update_call's validated data, or raise its translated refusal."""
    return _validate(UPDATE_CALL_SCHEMA, data)


def validate_hangup_call(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return hangup_call's validated data, or raise its translated refusal."""
    return _validate(HANGUP_CALL_SCHEMA, data)


def validate_reset_missed_calls(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return reset_missed_calls' validated data, or raise its translated refusal."""
    return _validate(RESET_MISSED_CALLS_SCHEMA, data)


def validate_voicemail(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the voicemail actions' validated data, or raise their refusal."""
    return _validate(VOICEMAIL_SCHEMA, data)


def with_defaults(data: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Fill `from`, the voice and the text-to-speech from the entry's options.

    Options saved by older versions may hold a caller ID keyword or a voice
    the action refuses; they are refused naming the option, not sent.
    """
    if "from" not in data:
        if not (caller := options.get(CONF_FROM)):
            raise validation_error("from_required")
        try:
            data["from"] = CALLER_ID(caller)
        except Refused:
            raise validation_error("invalid_default_from") from None
    return with_default_voice(data, options)


def with_default_voice(
    data: dict[str, Any],
    options: Mapping[str, Any],
    speech: Speech | None = None,
) -> dict[str, Any]:
    """Fill the voice: the action's own, else `speech`, else the entry's.

    An action naming a Bandwidth voice (and no text-to-speech entity) is
    spoken by Bandwidth even when the entry has a default text-to-speech
    entity; `speech` is what a call was placed with, for its later steps. A language or options without any
    text-to-speech entity are refused.
    """
    if "tts_entity_id" not in data and "voice" not in data:
        if speech is not None:
            data["tts_entity_id"] = speech.engine
            if speech.language is not None:
                data["language"] = speech.language
            if speech.options is not None:
                data["tts_options"] = speech.options
        elif engine := options.get(CONF_TTS_ENTITY_ID):
            data["tts_entity_id"] = engine
            if "language" not in data and (language := options.get(CONF_LANGUAGE)):
                data["language"] = language
    for key in ("language", "tts_options"):
        if key in data and "tts_entity_id" not in data:
            raise validation_error("tts_entity_required", field=key)
    if "voice" not in data and (voice := options.get(CONF_VOICE)):
        try:
            data["voice"] = VOICE_NAME(voice)
        except Refused:
            raise validation_error("invalid_default_voice") from None
    return data


def notify_recipients(options: Mapping[str, Any]) -> list[str]:
    """Return who the notify entity calls (the options form checked them)."""
    if not (recipients := options.get(CONF_NOTIFY_TO)):
        raise validation_error("notify_to_required")
    return list(recipients)


def check_destinations(
    destinations: Collection[str],
    options: Mapping[str, Any],
    field: str,
    *,
    anywhere: bool = False,
    sip: bool = True,
) -> None:
    """Refuse the first of `field`'s destinations calls may not go to.

    Premium-rate numbers always; numbers outside the entry's allowed country
    codes unless calls may go `anywhere`; SIP URIs unless `sip`.
    """
    allowed = allowed_country_codes(options)
    for destination in destinations:
        refused = destination_refusal(destination, allowed, anywhere=anywhere, sip=sip)
        if refused is not None:
            raise refusal(Refused(refused.rule, [field], **refused.values))


def validate_message(text: str) -> str:
    """Return text to speak as a call's `message`, or raise its refusal."""
    try:
        return SPOKEN(text)
    except Refused as err:
        err.prepend(["message"])
        raise refusal(err) from None
