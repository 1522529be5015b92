"""Constants for the Bandwidth Voice integration."""

from __future__ import annotations

import logging
from typing import Final

from . import kinds

DOMAIN: Final = "bandwidth"
LOGGER = logging.getLogger(__package__)

# Config entry data.
CONF_AUTH_TYPE: Final = "auth_type"
AUTH_OAUTH: Final = "oauth"
AUTH_BASIC: Final = "basic"
CONF_ACCOUNT_ID: Final = "account_id"
CONF_APPLICATION_ID: Final = "application_id"
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105
# CONF_USERNAME / CONF_PASSWORD / CONF_WEBHOOK_ID come from homeassistant.const.
# HTTP Basic credentials of callbacks, until 0.2: only the migration reads them.
CONF_CALLBACK_USERNAME: Final = "callback_username"
CONF_CALLBACK_PASSWORD: Final = "callback_password"  # noqa: S105
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
# The secret in the query of the URL given to the Voice application for the
# calls it receives (Bandwidth App: call-initiated callback URL).
CONF_INBOUND_SECRET: Final = "inbound_secret"  # noqa: S105
# Root URL serving both /api/v2 (Voice) and /api/v1/oauth2/token; only set to
# point the integration at a local Bandwidth sandbox (advanced mode).
CONF_API_URL: Final = "api_url"

# Options.
CONF_FROM: Final = "from"
CONF_VOICE: Final = "voice"
CONF_NOTIFY_TO: Final = "notify_to"
# Home Assistant's text-to-speech for calls that do not choose their voice.
CONF_TTS_ENTITY_ID: Final = "tts_entity_id"
CONF_LANGUAGE: Final = "language"
# Bandwidth's default account limit on call creations per second.
CONF_CALLS_PER_SECOND: Final = "calls_per_second"
DEFAULT_CALLS_PER_SECOND: Final = 5
# What happens to calls to the application's numbers.
CONF_INBOUND_CALLS: Final = "inbound_calls"
INBOUND_REJECT: Final = "reject"
INBOUND_AUTOMATION: Final = "automation"
INBOUND_FORWARD: Final = "forward"
INBOUND_ASSIST: Final = "assist"
INBOUND_VOICEMAIL: Final = "voicemail"
# Contacts ring as for automations; the house asks anyone else who is calling
# and why, and an automation decides.
INBOUND_SCREEN: Final = "screen"
INBOUND_MODES: Final = (
    INBOUND_REJECT,
    INBOUND_AUTOMATION,
    INBOUND_FORWARD,
    INBOUND_ASSIST,
    INBOUND_VOICEMAIL,
    INBOUND_SCREEN,
)
# How long an inbound call rings, unanswered, for automations to take it.
CONF_RING_TIMEOUT: Final = "ring_timeout"
DEFAULT_RING_TIMEOUT: Final = 30
CONF_FORWARD_TO: Final = "forward_to"
# How long a call waits on the line, silent, for an automation's next step
# (after digits, after a step that does not hang up, after a failed transfer).
CONF_HOLD_TIME: Final = "hold_time"
DEFAULT_HOLD_TIME: Final = 10
# The Assist pipeline calls talk to when they do not name one; none set:
# Home Assistant's preferred pipeline.
CONF_ASSIST_PIPELINE: Final = "assist_pipeline"
# Who may talk to Assist by calling the application's numbers: until 0.2, a
# list in the options; now contacts (config subentries) with `assist` on.
# Only the migration reads it.
CONF_ASSIST_CALLERS: Final = "assist_callers"
# How long one conversation with Assist may last, and how many an entry has at
# once: beyond either, a caller hears a short refusal and the call ends.
CONF_ASSIST_MAX_MINUTES: Final = "assist_max_minutes"
DEFAULT_ASSIST_MAX_MINUTES: Final = 10
CONF_ASSIST_MAX_CONVERSATIONS: Final = "assist_max_conversations"
DEFAULT_ASSIST_MAX_CONVERSATIONS: Final = 2
# Voicemail: a call no automation answered within the ring time goes to
# voicemail (automation mode); what callers hear, how long they may speak,
# how messages are transcribed, and how long Home Assistant keeps them.
CONF_VOICEMAIL_WHEN_UNANSWERED: Final = "voicemail_when_unanswered"
# Answer with Assist: callers who may not talk to Assist go to voicemail
# instead of being rejected.
CONF_VOICEMAIL_FOR_OTHER_CALLERS: Final = "voicemail_for_other_callers"
CONF_VOICEMAIL_GREETING: Final = "voicemail_greeting"
DEFAULT_VOICEMAIL_GREETING: Final = "Please leave a message after the tone."
CONF_VOICEMAIL_MAX_DURATION: Final = "voicemail_max_duration"
DEFAULT_VOICEMAIL_MAX_DURATION: Final = 120
CONF_VOICEMAIL_TRANSCRIPTION: Final = "voicemail_transcription"
TRANSCRIPTION_BANDWIDTH: Final = "bandwidth"
TRANSCRIPTION_STT: Final = "stt"
TRANSCRIPTION_NONE: Final = "none"
TRANSCRIPTIONS: Final = (TRANSCRIPTION_BANDWIDTH, TRANSCRIPTION_STT, TRANSCRIPTION_NONE)
# The speech-to-text entity transcribing messages (transcription "stt").
CONF_VOICEMAIL_STT_ENTITY_ID: Final = "voicemail_stt_entity_id"
CONF_VOICEMAIL_DELETE_AT_BANDWIDTH: Final = "voicemail_delete_at_bandwidth"
CONF_VOICEMAIL_RETENTION_DAYS: Final = "voicemail_retention_days"
DEFAULT_VOICEMAIL_RETENTION_DAYS: Final = 90
# Where calls may go ("+1", "+44", ...); none set: the default caller ID's
# country. Only administrators may call elsewhere.
CONF_ALLOWED_COUNTRY_CODES: Final = "allowed_country_codes"
# How many calls an entry may place in any hour: a runaway automation, or
# a user let loose on the actions, costs at most this much.
CONF_MAX_CALLS_PER_HOUR: Final = "max_calls_per_hour"
DEFAULT_MAX_CALLS_PER_HOUR: Final = 60

# What display_name may be when privacy hides the caller ID; never a `from`.
CALLER_ID_KEYWORDS: Final = ("Restricted", "Anonymous", "Private", "Unavailable")
VOICES: Final = (
    "julie",
    "kate",
    "susan",
    "dave",
    "paul",
    "bridget",
    "simon",
    "katrin",
    "stefan",
    "esperanza",
    "violeta",
    "jorge",
    "rosa",
    "jolie",
    "bernard",
    "paola",
    "luca",
    "masako",
    "kenji",
    "nadiya",
    "anatoli",
    "zeina",
    "ruth",
    "stephen",
    "lupe",
    "pedro",
    "gabrielle",
    "liam",
)

# Each kind of call event is described once, in kinds.py; these names of its
# bus event and event entity type are the modules' that name one kind.
EVENT_CALL_RECEIVED: Final = kinds.RECEIVED.event
EVENT_CALL_ANSWERED: Final = kinds.ANSWERED.event
EVENT_MACHINE_DETECTION_COMPLETE: Final = kinds.MACHINE_DETECTION_COMPLETE.event
EVENT_GATHER_COMPLETE: Final = kinds.GATHER_COMPLETE.event
EVENT_TRANSFER_ANSWERED: Final = kinds.TRANSFER_ANSWERED.event
EVENT_TRANSFER_COMPLETE: Final = kinds.TRANSFER_COMPLETE.event
EVENT_ASSIST_STARTED: Final = kinds.ASSIST_STARTED.event
EVENT_ASSIST_ENDED: Final = kinds.ASSIST_ENDED.event
EVENT_CALL_DISCONNECTED: Final = kinds.DISCONNECTED.event
EVENT_VOICEMAIL_RECEIVED: Final = kinds.VOICEMAIL_RECEIVED.event
EVENT_CALL_SCREENED: Final = kinds.CALL_SCREENED.event
EVENT_CALLBACK: Final = kinds.OTHER.event
EVENT_TYPE_RECEIVED: Final = kinds.RECEIVED.key
EVENT_TYPE_ANSWERED: Final = kinds.ANSWERED.key
EVENT_TYPE_MACHINE_DETECTION_COMPLETE: Final = kinds.MACHINE_DETECTION_COMPLETE.key
EVENT_TYPE_GATHER_COMPLETE: Final = kinds.GATHER_COMPLETE.key
EVENT_TYPE_TRANSFER_ANSWERED: Final = kinds.TRANSFER_ANSWERED.key
EVENT_TYPE_TRANSFER_COMPLETE: Final = kinds.TRANSFER_COMPLETE.key
EVENT_TYPE_ASSIST_STARTED: Final = kinds.ASSIST_STARTED.key
EVENT_TYPE_ASSIST_ENDED: Final = kinds.ASSIST_ENDED.key
EVENT_TYPE_DISCONNECTED: Final = kinds.DISCONNECTED.key
EVENT_TYPE_VOICEMAIL_RECEIVED: Final = kinds.VOICEMAIL_RECEIVED.key
EVENT_TYPE_CALL_SCREENED: Final = kinds.CALL_SCREENED.key
EVENT_TYPE_CALLBACK: Final = kinds.OTHER.key

# Dispatcher signal carrying (event_type, data) for one config entry.
SIGNAL_CALL_EVENT: Final = "bandwidth_call_event_{}"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
