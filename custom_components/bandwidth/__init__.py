"""Place phone calls through Bandwidth's Voice API and react to them."""

from __future__ import annotations

import secrets
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import BandwidthAuthenticationError, BandwidthError
from .assist_calls import async_converse, async_end_conversations
from .audio_library import DATA_AUDIO, async_setup_audio
from .call_store import CallStore, async_remove_call_store
from .cloudhook import async_call_url, async_remove_cloudhook, async_setup_cloudhook
from .const import (
    CONF_ASSIST_CALLERS,
    CONF_CALLBACK_PASSWORD,
    CONF_CALLBACK_USERNAME,
    CONF_CALLS_PER_SECOND,
    CONF_INBOUND_SECRET,
    DEFAULT_CALLS_PER_SECOND,
    DOMAIN,
)
from .contacts import (
    async_contacts_changed,
    async_setup_contacts,
    async_unload_contact_platforms,
)
from .data import BandwidthConfigEntry, BandwidthData
from .greeting import REFRESH, Greeting, ToneView
from .helpers import async_create_client, connection
from .identity import (
    CONF_ASSIST,
    CONF_NAME,
    CONF_NUMBER,
    SUBENTRY_CONTACT,
    Contacts,
    number_key,
)
from .issues import async_check_issues, async_delete_issues, async_setup_issues
from .media_source import VoicemailView
from .pins import PinGuard, async_remove_pin_store
from .replies import CallFlow
from .safeguards import CallsPerHour, async_remove_calls_per_hour
from .screening import Screener
from .services import async_setup_services
from .stream import StreamView, async_stream_url
from .voicemail import VoicemailBox
from .voicemail_messages import async_remove_voicemail
from .webhook import async_setup_webhook

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the actions and the audio view once, whatever entries exist."""
    async_setup_services(hass)
    async_setup_audio(hass)
    hass.http.register_view(VoicemailView(hass))
    hass.http.register_view(ToneView())
    hass.http.register_view(
        StreamView(
            hass,
            lambda entry, call, stream: async_converse(hass, entry, call, stream),
        )
    )
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: BandwidthConfigEntry) -> bool:
    """Bring an entry's data up to this version.

    1.2: the numbers that could talk to Assist (the `assist_callers` option)
    become contacts, named after their number, allowed to talk to Assist,
    without a PIN, so that existing setups keep working.
    1.3: the callback credentials of 0.1.0's calls go: no call uses them now.
    """
    if entry.version > 1:
        # A downgrade: this version cannot read what a later one stored (Home
        # Assistant 2025.4 asks; later releases refuse such entries themselves).
        return False
    if entry.minor_version < 2:  # noqa: PLR2004
        _contacts_from_assist_callers(hass, entry)
    hass.config_entries.async_update_entry(
        entry,
        data={
            key: value
            for key, value in entry.data.items()
            if key not in (CONF_CALLBACK_USERNAME, CONF_CALLBACK_PASSWORD)
        },
        minor_version=3,
    )
    return True


def _contacts_from_assist_callers(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Make each number once allowed to talk to Assist a contact who may."""
    known = {subentry.unique_id for subentry in entry.subentries.values()}
    for number in entry.options.get(CONF_ASSIST_CALLERS) or []:
        if number_key(number) in known:
            continue
        known.add(number_key(number))
        hass.config_entries.async_add_subentry(
            entry,
            ConfigSubentry(
                data=MappingProxyType(
                    {CONF_NAME: number, CONF_NUMBER: number, CONF_ASSIST: True}
                ),
                subentry_type=SUBENTRY_CONTACT,
                title=number,
                unique_id=number_key(number),
            ),
        )
    hass.config_entries.async_update_entry(
        entry,
        options={
            key: value
            for key, value in entry.options.items()
            if key != CONF_ASSIST_CALLERS
        },
    )


async def async_setup_entry(hass: HomeAssistant, entry: BandwidthConfigEntry) -> bool:
    """Check the credentials, restore call scripts and start the webhook."""
    client = async_create_client(hass, entry.data)
    try:
        await client.verify()
    except BandwidthAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except BandwidthError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err

    if CONF_INBOUND_SECRET not in entry.data:
        # Entries made before calls could be received get theirs now.
        hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_INBOUND_SECRET: secrets.token_urlsafe(24)},
        )
    # Restored calls that are still live get their audio served again.
    calls = CallStore(hass, entry.entry_id, hass.data[DATA_AUDIO])
    await calls.async_load()
    pins = PinGuard(hass, entry.entry_id, entry.title)
    await pins.async_load()
    contacts = Contacts()
    calls_per_hour = CallsPerHour(hass, entry)
    await calls_per_hour.async_load()
    entry.async_on_unload(calls_per_hour.async_unload)
    greeting = Greeting(hass, lambda: entry.options)
    screener = Screener(hass, entry.entry_id, client, lambda: entry.options, calls)
    flow = CallFlow(
        calls,
        lambda call, step: async_call_url(hass, entry, call, step),
        lambda: entry.options,
        lambda call: async_stream_url(hass, call),
        contacts=contacts,
        pins=pins,
        language=lambda: hass.config.language,
        greeting=greeting.for_call,
        tone=greeting.tone_url,
        screener=screener,
    )
    voicemail = VoicemailBox(hass, entry.entry_id, client, lambda: entry.options)
    await voicemail.async_load()
    entry.async_on_unload(voicemail.async_unload)
    entry.runtime_data = BandwidthData(
        client=client,
        calls=calls,
        flow=flow,
        calls_per_hour=calls_per_hour,
        connection=connection(entry.data),
        contacts=contacts,
        pins=pins,
        voicemail=voicemail,
        greeting=greeting,
        screener=screener,
    )
    _apply_options(entry)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    entry.async_on_unload(
        async_track_time_interval(hass, greeting.async_refresh, REFRESH)
    )
    async_setup_webhook(hass, entry)
    entry.async_on_unload(lambda: async_end_conversations(entry))
    entry.async_on_unload(entry.runtime_data.watcher.close)

    @callback
    def _stopping(_event: Event) -> None:
        """End the actions waiting for calls: Home Assistant is stopping."""
        entry.runtime_data.watcher.close()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _stopping))
    await async_setup_cloudhook(hass, entry, lambda: async_check_issues(hass, entry))
    async_setup_issues(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_setup_contacts(hass, entry)
    return True


def _apply_options(entry: BandwidthConfigEntry) -> None:
    """Apply the options that live in the client (the others are read per call).

    The voicemail greeting is rendered again, in the background.
    """
    entry.runtime_data.client.calls_per_second = entry.options.get(
        CONF_CALLS_PER_SECOND, DEFAULT_CALLS_PER_SECOND
    )
    entry.async_create_background_task(
        entry.runtime_data.greeting.hass,
        entry.runtime_data.greeting.async_refresh(),
        "bandwidth voicemail greeting",
    )


async def _async_entry_updated(
    hass: HomeAssistant, entry: BandwidthConfigEntry
) -> None:
    """Reload for new credentials; take anything else into use without a reload.

    Calls may be in progress, so new options apply in place. This listener is
    the one place that reloads a loaded entry: Home Assistant stops flows
    from scheduling a reload of their own beside an update listener (2026.12).
    """
    if connection(entry.data) != entry.runtime_data.connection:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    _apply_options(entry)
    async_check_issues(hass, entry)
    await async_contacts_changed(hass, entry)
    # A new limit may give the hour room again.
    entry.runtime_data.calls_per_hour.async_check()


async def async_unload_entry(hass: HomeAssistant, entry: BandwidthConfigEntry) -> bool:
    """Unload platforms; the webhook goes with the entry's unload callbacks."""
    contacts_unloaded = await async_unload_contact_platforms(hass, entry)
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    return contacts_unloaded and unloaded


async def async_remove_entry(hass: HomeAssistant, entry: BandwidthConfigEntry) -> None:
    """Forget the entry's cloudhook, stored calls, their count, messages and issues."""
    await async_remove_cloudhook(hass, entry)
    async_delete_issues(hass, entry.entry_id)
    await async_remove_call_store(hass, entry.entry_id)
    await async_remove_pin_store(hass, entry.entry_id)
    await async_remove_calls_per_hour(hass, entry.entry_id)
    await async_remove_voicemail(hass, entry.entry_id)
