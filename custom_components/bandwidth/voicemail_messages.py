"""What voicemail keeps: its messages, the calls expected to leave one, on disk.

A message's audio is a file in the entry's voicemail directory, under the
config directory; the messages' metadata, and the calls whose recordings are
on their way (with their secrets), are in a private Store. voicemail.py
decides what goes in and comes out.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = f"{DOMAIN}.voicemail.{{}}"
MEDIA_SOURCE_PREFIX: Final = f"media-source://{DOMAIN}/"
# ISO 8601 durations as Bandwidth writes them: PT7.4S, PT1M2.5S.
_DURATION: Final = re.compile(
    r"^PT(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?$"
)


def media_content_id(entry_id: str, message_id: str) -> str:
    """Return the media source ID of a message."""
    return f"{MEDIA_SOURCE_PREFIX}{entry_id}/{message_id}"


def parse_duration(value: object) -> float:
    """Return an ISO 8601 duration (PT7.4S) in seconds; 0 when unreadable."""
    if not isinstance(value, str) or (match := _DURATION.match(value)) is None:
        return 0.0
    hours, minutes, seconds = (float(match[part] or 0) for part in "hms")
    return round(hours * 3600 + minutes * 60 + seconds, 1)


@dataclass(kw_only=True)
class Expected:
    """A call that may have left a message, and how far its message got."""

    ref: str
    secret: str
    call_id: str
    caller: str | None
    called: str | None
    contact: str | None
    caller_verified: bool
    transcribe: bool
    expires: float
    # The speech-to-text entity transcribing it, if one does.
    stt: str | None = None
    # Set once its recordingAvailable came: later ones are replays.
    recording_id: str | None = None
    # Set once its transcriptionAvailable came.
    transcript_ready: bool = False
    message_id: str | None = None
    done: bool = False


@dataclass(kw_only=True)
class Message:
    """A message stored on the Home Assistant machine."""

    id: str
    call_id: str
    recording_id: str
    caller: str | None
    called: str | None
    contact: str | None
    caller_verified: bool
    duration: float
    received: str
    format: str
    transcript: str | None = None
    heard: bool = False
    # The event was fired (with its transcript, or without one in time).
    announced: bool = False

    @property
    def file_name(self) -> str:
        """The message's audio file, in the entry's voicemail directory."""
        return f"{self.id}.{self.format}"


class StoredData(TypedDict):
    """The stored form of an entry's voicemail."""

    messages: list[dict[str, Any]]
    expected: list[dict[str, Any]]


def write_file(directory: Path, name: str, data: bytes) -> None:
    """Write a message's audio (in the executor)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def unlink_files(paths: list[Path]) -> None:
    """Delete messages' audio (in the executor)."""
    for path in paths:
        path.unlink(missing_ok=True)


async def async_remove_voicemail(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed entry's messages and their metadata."""
    await Store[StoredData](
        hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id), private=True
    ).async_remove()
    directory = Path(hass.config.path(DOMAIN, "voicemail", entry_id))
    await hass.async_add_executor_job(
        lambda: shutil.rmtree(directory, ignore_errors=True)
    )
