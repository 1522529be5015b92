"""Voicemail messages in Home Assistant's media browser, and their audio.

"Voicemail" lists every entry's messages, newest first; a message plays from
this integration's view, which serves only requests with a login or a path
Home Assistant signed (the media browser and media players get signed ones).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

from aiohttp import web
from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .data import BandwidthConfigEntry
from .voicemail import VoicemailBox
from .voicemail_messages import Message

VOICEMAIL_PATH: Final = "/api/bandwidth/voicemail"
CONTENT_TYPES: Final = {"mp3": "audio/mpeg", "wav": "audio/wav"}
TITLE: Final = "Voicemail"
UNKNOWN_CALLER: Final = "Unknown caller"


async def async_get_media_source(hass: HomeAssistant) -> VoicemailMediaSource:
    """Return the voicemail media source."""
    return VoicemailMediaSource(hass)


def _boxes(hass: HomeAssistant) -> dict[str, VoicemailBox]:
    """Return the voicemail of each loaded entry, by entry id."""
    entries: list[BandwidthConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    return {
        entry.entry_id: entry.runtime_data.voicemail
        for entry in entries
        if entry.state is ConfigEntryState.LOADED
    }


def find_message(
    hass: HomeAssistant, entry_id: str, message_id: str
) -> tuple[VoicemailBox, Message] | None:
    """Return a loaded entry's message, with its box."""
    if (box := _boxes(hass).get(entry_id)) is None:
        return None
    if (message := box.message(message_id)) is None:
        return None
    return box, message


def message_title(message: Message) -> str:
    """Name a message by its caller (the contact's name when known) and time."""
    caller = message.contact or message.caller or UNKNOWN_CALLER
    received = dt_util.parse_datetime(message.received)
    when = dt_util.as_local(received).strftime("%Y-%m-%d %H:%M") if received else ""
    return f"{caller}, {when}"


class VoicemailMediaSource(MediaSource):
    """The messages callers left."""

    name: str = TITLE

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the messages of every loaded entry."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Return the path of a message's audio (Home Assistant signs it)."""
        entry_id, _, message_id = item.identifier.partition("/")
        if (found := find_message(self.hass, entry_id, message_id)) is None:
            raise Unresolvable(f"No voicemail message {item.identifier}")
        _box, message = found
        return PlayMedia(
            f"{VOICEMAIL_PATH}/{entry_id}/{message_id}", CONTENT_TYPES[message.format]
        )

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """List the messages, newest first."""
        if item.identifier:
            raise BrowseError(f"Unknown item {item.identifier}")
        messages = [
            (entry_id, message)
            for entry_id, box in _boxes(self.hass).items()
            for message in box.messages
        ]
        messages.sort(key=lambda found: found[1].received, reverse=True)
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=None,
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title=TITLE,
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.MUSIC,
            children=[
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=f"{entry_id}/{message.id}",
                    media_class=MediaClass.MUSIC,
                    media_content_type=CONTENT_TYPES[message.format],
                    title=message_title(message),
                    can_play=True,
                    can_expand=False,
                )
                for entry_id, message in messages
            ],
        )


class VoicemailView(HomeAssistantView):
    """Serves a message's audio to a logged-in user or a signed path."""

    url = VOICEMAIL_PATH + "/{entry_id}/{message_id}"
    name = "api:bandwidth:voicemail"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the messages of every loaded entry."""
        self.hass = hass

    async def get(
        self, _request: web.Request, entry_id: str, message_id: str
    ) -> web.StreamResponse:
        """Return the audio of a message, or 404."""
        if (found := find_message(self.hass, entry_id, message_id)) is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        box, message = found
        return web.FileResponse(
            box.path(message),
            headers={"Content-Type": CONTENT_TYPES[message.format]},
        )
