"""No surprise bills: where calls may go, who may send them there, how many an hour.

Actions run as Home Assistant runs them: with no user (automations, scripts),
as a user who is not an administrator, or as an administrator.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    UnknownUser,
)
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from custom_components.bandwidth.const import (
    CONF_ALLOWED_COUNTRY_CODES,
    CONF_FORWARD_TO,
    CONF_FROM,
    CONF_INBOUND_CALLS,
    CONF_MAX_CALLS_PER_HOUR,
    CONF_NOTIFY_TO,
    DOMAIN,
)
from custom_components.bandwidth.countries import ALLOWABLE_COUNTRY_CODES
from custom_components.bandwidth.issues import DOCUMENTATION_URL
from custom_components.bandwidth.option_rules import validate_options
from custom_components.bandwidth.safeguards import STORAGE_KEY
from sandbox import Sandbox, Scenario

from .helpers import (
    CALL_ID,
    FROM_NUMBER,
    Live,
    assert_refused,
    created_bodies,
    live_call,
    notify_entity_id,
    send_message,
    set_up,
)
from .live_calls import MONITORING, finish, ring_in
from .metadata import STRINGS

UK = "+447700900123"
FRANCE = "+33612345678"
US = "+15555551234"
# No country has +28.
NOWHERE = "+2801234567"
PREMIUM = ["+19005550100", "+19765550100", "+979123456789"]
ISSUE = "calls_per_hour_reached"


@pytest.fixture
async def user(hass: HomeAssistant, hass_admin_user: MockUser) -> MockUser:
    """A user of Home Assistant who is not an administrator."""
    group = await hass.auth.async_get_group(GROUP_ID_USER)
    return MockUser(groups=[group]).add_to_hass(hass)


def context(who: MockUser | None) -> Context:
    """The context of an action run by a user, or by Home Assistant itself."""
    return Context(user_id=who.id if who is not None else None)


async def create_call(
    hass: HomeAssistant, who: MockUser | None = None, **data: Any
) -> dict[str, Any]:
    """Run bandwidth.create_call as a user (None: an automation)."""
    response = await hass.services.async_call(
        DOMAIN,
        "create_call",
        data,
        blocking=True,
        return_response=True,
        context=context(who),
    )
    assert isinstance(response, dict)
    return response


async def refused(
    hass: HomeAssistant, who: MockUser | None, **data: Any
) -> ServiceValidationError:
    """Run bandwidth.create_call expecting its refusal."""
    with pytest.raises(ServiceValidationError) as info:
        await create_call(hass, who, **data)
    return info.value


def set_options(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    """Change options: they apply to the next call, the entry is not reloaded."""
    runtime_data = entry.runtime_data
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    assert entry.runtime_data is runtime_data


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The entry's calls per hour issue, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE}_{entry.entry_id}")


# --- Where create_call may call -----------------------------------------------------


async def test_outside_the_caller_ids_country(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """By default calls stay in the caller ID's country; administrators may leave it."""
    for who in (None, user):
        err = await refused(hass, who, to=[US, UK])
        await assert_refused(
            hass,
            err,
            "destination_not_allowed",
            field="to",
            country_code="+44",
            allowed_country_codes="+1",
        )
    assert created_bodies(bandwidth_sandbox) == []

    await create_call(hass, to=US)
    await create_call(hass, user, to="+15555551235")
    await create_call(hass, hass_admin_user, to=[UK, FRANCE])
    assert [body["to"] for body in created_bodies(bandwidth_sandbox)] == [
        US,
        "+15555551235",
        UK,
        FRANCE,
    ]


async def test_allowed_country_codes_apply_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
) -> None:
    """The option replaces the caller ID's country, from the next call on."""
    set_options(hass, init_integration, **{CONF_ALLOWED_COUNTRY_CODES: ["+44", "+1"]})
    await create_call(hass, user, to=[UK, US])
    err = await refused(hass, None, to=FRANCE)
    message = await assert_refused(
        hass,
        err,
        "destination_not_allowed",
        field="to",
        country_code="+33",
        allowed_country_codes="+44, +1",
    )
    assert "+33" in message
    assert "(+44, +1)" in message

    set_options(hass, init_integration, **{CONF_ALLOWED_COUNTRY_CODES: ["+33"]})
    await create_call(hass, to=FRANCE)
    await refused(hass, None, to=US)
    assert [body["to"] for body in created_bodies(bandwidth_sandbox)] == [
        UK,
        US,
        FRANCE,
    ]


@pytest.mark.parametrize("number", PREMIUM)
async def test_premium_rate_numbers_are_never_called(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
    number: str,
) -> None:
    """Whoever asks, whatever the options allow."""
    set_options(hass, init_integration, **{CONF_ALLOWED_COUNTRY_CODES: ["+1", "+7"]})
    for who in (None, user, hass_admin_user):
        err = await refused(hass, who, to=[US, number])
        await assert_refused(hass, err, "premium_rate_destination", field="to")
    assert created_bodies(bandwidth_sandbox) == []


async def test_no_country_allowed(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """Without a default caller ID or the option, only administrators may call."""
    entry = MockConfigEntry(domain=DOMAIN, data=mock_config_entry.data, options={})
    await set_up(hass, entry)
    for who in (None, user):
        err = await refused(hass, who, to=US, **{"from": FROM_NUMBER})
        message = await assert_refused(
            hass, err, "no_allowed_country_codes", field="to", country_code="+1"
        )
        assert "Default caller ID" in message
    await create_call(hass, hass_admin_user, to=US, **{"from": FROM_NUMBER})
    assert len(created_bodies(bandwidth_sandbox)) == 1


async def test_number_of_no_country(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """A number of no country is outside every list: administrators only."""
    for who in (None, user):
        err = await refused(hass, who, to=NOWHERE)
        await assert_refused(hass, err, "unknown_country_code", field="to")
    await create_call(hass, hass_admin_user, to=NOWHERE)
    assert [body["to"] for body in created_bodies(bandwidth_sandbox)] == [NOWHERE]


async def test_sip_uris(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """The SIP server decides where a call goes: not for users who are not administrators."""
    sip = "sip:door@pbx.example.test"
    err = await refused(hass, user, to=[US, sip])
    await assert_refused(hass, err, "sip_destination_admin_only", field="to")
    assert created_bodies(bandwidth_sandbox) == []

    await create_call(hass, None, to=sip)
    await create_call(hass, hass_admin_user, to=sip)
    assert len(created_bodies(bandwidth_sandbox)) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("application_id", "7fc9698a-b04a-468b-9e8f-91238c0d0086"),
        ("answer_url", "https://my.example.test/answer"),
        ("answer_fallback_url", "https://my.example.test/fallback"),
    ],
)
async def test_administrators_fields(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
    field: str,
    value: str,
) -> None:
    """Handing the call to another server or application is for administrators.

    Automations may: only administrators write them.
    """
    bandwidth_sandbox.application_ids.add(value)
    err = await refused(hass, user, to=US, **{field: value})
    message = await assert_refused(hass, err, "admin_only_field", field=field)
    assert message.startswith(f"Only an administrator may give {field}")
    assert created_bodies(bandwidth_sandbox) == []

    await create_call(hass, None, to=US, **{field: value})
    await create_call(hass, hass_admin_user, to=US, **{field: value})
    assert [body[_camel(field)] for body in created_bodies(bandwidth_sandbox)] == [
        value,
        value,
    ]


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.usefixtures("init_integration")
async def test_unknown_user(hass: HomeAssistant, bandwidth_sandbox: Sandbox) -> None:
    """A user who does not exist is refused as Home Assistant refuses one."""
    with pytest.raises(UnknownUser):
        await hass.services.async_call(
            DOMAIN,
            "create_call",
            {"to": US},
            blocking=True,
            return_response=True,
            context=Context(user_id="0123456789abcdef0123456789abcdef"),
        )
    assert created_bodies(bandwidth_sandbox) == []


# --- Transfers, notifications, forwarded calls -------------------------------------


async def test_transfers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """A transfer goes where calls may go; the same rules, the same refusals."""
    call = live_call(init_integration, phase="holding")
    requests = len(bandwidth_sandbox.requests)

    async def update_call(who: MockUser | None, transfer_to: Any) -> None:
        await hass.services.async_call(
            DOMAIN,
            "update_call",
            {"call_id": CALL_ID, "transfer_to": transfer_to},
            blocking=True,
            context=context(who),
        )

    for who, transfer_to, key, values in (
        (None, [US, UK], "destination_not_allowed", {"country_code": "+44"}),
        (user, UK, "destination_not_allowed", {"country_code": "+44"}),
        (user, "sip:desk@pbx.example.test", "sip_destination_admin_only", {}),
        (hass_admin_user, PREMIUM[0], "premium_rate_destination", {}),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await update_call(who, transfer_to)
        if key == "destination_not_allowed":
            values |= {"allowed_country_codes": "+1"}
        await assert_refused(hass, info.value, key, field="transfer_to", **values)
        assert call.pending is None

    await update_call(hass_admin_user, UK)
    assert call.pending is not None
    assert call.pending.transfer is not None
    assert call.pending.transfer.to == (UK,)
    await update_call(None, "sip:desk@pbx.example.test")
    # The call waits: nothing was sent to Bandwidth.
    assert len(bandwidth_sandbox.requests) == requests


async def test_notification_numbers_saved_before(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """Numbers to call saved before the allowed country codes existed are checked.

    As for the actions, an administrator's message may go anywhere; the SIP
    URIs among them are an administrator's choice.
    """
    sip = "sip:alarm@pbx.example.test"
    set_options(hass, init_integration, **{CONF_NOTIFY_TO: [US, sip, UK]})

    async def send(who: MockUser | None) -> None:
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": notify_entity_id(hass, init_integration), "message": "Hi"},
            blocking=True,
            context=context(who),
        )

    for who in (None, user):
        with pytest.raises(ServiceValidationError) as info:
            await send(who)
        await assert_refused(
            hass,
            info.value,
            "destination_not_allowed",
            field="notify_to",
            country_code="+44",
            allowed_country_codes="+1",
        )
    assert created_bodies(bandwidth_sandbox) == []
    await send(hass_admin_user)

    set_options(hass, init_integration, **{CONF_ALLOWED_COUNTRY_CODES: ["+1", "+44"]})
    await send(user)
    assert [body["to"] for body in created_bodies(bandwidth_sandbox)] == [
        US,
        sip,
        UK,
    ] * 2


async def test_forwarding_saved_before(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """Calls are not forwarded where calls may not go: to the others, or rejected."""
    set_options(
        live.hass,
        live.entry,
        **{CONF_INBOUND_CALLS: "forward", CONF_FORWARD_TO: [UK, MONITORING]},
    )
    live.sandbox.scenarios[MONITORING] = Scenario(ring_seconds=1, talk_seconds=1)
    with caplog.at_level(logging.WARNING):
        call = await finish(live, ring_in(live))
    [leg] = call.transfers
    assert leg.request["to"] == MONITORING
    assert f"Not forwarding calls to {UK}" in caplog.text

    set_options(live.hass, live.entry, **{CONF_FORWARD_TO: [PREMIUM[0]]})
    call = await finish(live, ring_in(live))
    assert call.transfers == []
    assert call.answer_time is None


# --- The options form ---------------------------------------------------------------


async def test_allowed_country_codes_option(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Chosen from every code but premium rates; the form names those allowed now."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    selectors = {str(key): value for key, value in schema.schema.items()}
    codes = selectors[CONF_ALLOWED_COUNTRY_CODES].config
    assert codes["multiple"] is True
    assert codes["options"] == list(ALLOWABLE_COUNTRY_CODES)
    assert (result["description_placeholders"] or {})["allowed_country_codes"] == "+1"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_FROM: FROM_NUMBER,
            CONF_ALLOWED_COUNTRY_CODES: ["+1", "+44", "+1"],
            CONF_NOTIFY_TO: [US, UK],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_ALLOWED_COUNTRY_CODES] == ["+1", "+44"]
    assert init_integration.options[CONF_NOTIFY_TO] == [US, UK]


async def test_max_calls_per_hour_option(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A whole number from 1 to 100000, 60 unless changed."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    selectors = {str(key): value for key, value in schema.schema.items()}
    assert selectors[CONF_MAX_CALLS_PER_HOUR].config == {
        "min": 1,
        "max": 100000,
        "step": 1,
        "mode": "box",
    }
    (marker,) = [key for key in schema.schema if key == CONF_MAX_CALLS_PER_HOUR]
    assert marker.default() == 60

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FROM: FROM_NUMBER, CONF_MAX_CALLS_PER_HOUR: 10.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_MAX_CALLS_PER_HOUR] == 10


@pytest.mark.parametrize(
    ("user_input", "errors", "placeholders"),
    [
        (
            {CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: [US, UK]},
            {CONF_NOTIFY_TO: "destination_not_allowed"},
            {"country_code": "+44", "allowed_country_codes": "+1"},
        ),
        (
            {
                CONF_FROM: FROM_NUMBER,
                CONF_ALLOWED_COUNTRY_CODES: ["+44", "+33"],
                CONF_INBOUND_CALLS: "forward",
                CONF_FORWARD_TO: [US],
            },
            {CONF_FORWARD_TO: "destination_not_allowed"},
            {"country_code": "+1", "allowed_country_codes": "+44, +33"},
        ),
        (
            {CONF_NOTIFY_TO: [US]},
            {CONF_NOTIFY_TO: "no_allowed_country_codes"},
            {"country_code": "+1"},
        ),
        (
            {CONF_FROM: FROM_NUMBER, CONF_NOTIFY_TO: [PREMIUM[1]]},
            {CONF_NOTIFY_TO: "premium_rate_destination"},
            {},
        ),
        (
            {CONF_FROM: FROM_NUMBER, CONF_FORWARD_TO: [NOWHERE]},
            {CONF_FORWARD_TO: "unknown_country_code"},
            {},
        ),
        (
            {CONF_MAX_CALLS_PER_HOUR: 2.5},
            {CONF_MAX_CALLS_PER_HOUR: "invalid_max_calls_per_hour"},
            {},
        ),
    ],
)
async def test_options_form_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    user_input: dict[str, Any],
    errors: dict[str, str],
    placeholders: dict[str, str],
) -> None:
    """Numbers to call and to forward to stay where calls may go; errors name why."""
    before = dict(init_integration.options)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    given = result["description_placeholders"] or {}
    assert placeholders.items() <= given.items()
    for error in errors.values():
        text = STRINGS["options"]["error"][error].format(**given)
        assert "{" not in text
        for value in placeholders.values():
            assert value in text
    assert init_integration.options == before


def test_country_codes_option_rule() -> None:
    """Codes the form does not offer are refused (the form refuses them too)."""
    assert validate_options({CONF_ALLOWED_COUNTRY_CODES: ["+979", "+1"]}) == (
        {},
        {CONF_ALLOWED_COUNTRY_CODES: "invalid_allowed_country_codes"},
    )
    assert validate_options({CONF_ALLOWED_COUNTRY_CODES: "+1"}) == (
        {},
        {CONF_ALLOWED_COUNTRY_CODES: "invalid_allowed_country_codes"},
    )


# --- Calls per hour -----------------------------------------------------------------


async def test_calls_per_hour(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Past the maximum nothing is called, and a repair says why until the hour frees up."""
    entry = init_integration
    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 3})
    await create_call(hass, to=[US, "+15555551235"])

    # Administrators too: the maximum is what the account may cost.
    err = await refused(hass, hass_admin_user, to=["+15555551236", "+15555551237"])
    message = await assert_refused(
        hass, err, "calls_per_hour_exceeded", calls="2", placed="2", max="3"
    )
    assert "Maximum calls per hour" in message
    assert len(created_bodies(bandwidth_sandbox)) == 2
    raised = issue(hass, entry)
    assert raised is not None
    assert raised.severity is ir.IssueSeverity.WARNING
    assert not raised.is_fixable
    assert not raised.is_persistent
    assert raised.translation_key == ISSUE
    assert raised.translation_placeholders == {
        "title": entry.title,
        "max_calls_per_hour": "3",
    }
    assert raised.learn_more_url == f"{DOCUMENTATION_URL}#costs-and-abuse"

    # One more fits; then the hour is full.
    freezer.tick(timedelta(minutes=30))
    await create_call(hass, to="+15555551238")
    await refused(hass, None, to="+15555551239")

    # An hour after the first two (and the minute they were in), room for two.
    freezer.tick(timedelta(minutes=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry) is not None
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry) is None
    await create_call(hass, to=["+15555551236", "+15555551237"])
    await refused(hass, None, to=US)

    # The last hour's third call leaves in its turn.
    freezer.tick(timedelta(minutes=31))
    await create_call(hass, to=US)
    assert len(created_bodies(bandwidth_sandbox)) == 6
    # Unloading stops waiting for the hour, and takes the issue along.
    await refused(hass, None, to=US)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue(hass, entry) is None


async def test_issue_waits_for_room_for_the_calls_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The issue stays until the refused calls would fit, the oldest first leaving."""
    entry = init_integration
    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 3})
    await create_call(hass, to=US)
    freezer.tick(timedelta(minutes=10))
    await create_call(hass, to=["+15555551235", "+15555551236"])
    await refused(hass, None, to=["+15555551237", "+15555551238"])

    # The first call leaves: room for one, not two.
    freezer.tick(timedelta(minutes=52))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry) is not None
    freezer.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry) is None


async def test_changing_the_maximum(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """A lower maximum keeps the issue, naming it; a higher one clears it at once."""
    entry = init_integration
    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 2})
    await create_call(hass, to=[US, "+15555551235"])
    await refused(hass, None, to="+15555551236")

    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 1})
    await hass.async_block_till_done()
    raised = issue(hass, entry)
    assert raised is not None
    assert raised.translation_placeholders["max_calls_per_hour"] == "1"

    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 3})
    await hass.async_block_till_done()
    assert issue(hass, entry) is None
    await create_call(hass, to="+15555551236")
    assert len(created_bodies(bandwidth_sandbox)) == 3


async def test_more_at_once_than_the_maximum(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Asking more calls than the maximum at once is refused; the hour is not full."""
    set_options(hass, init_integration, **{CONF_MAX_CALLS_PER_HOUR: 2})
    err = await refused(hass, None, to=[US, "+15555551235", "+15555551236"])
    await assert_refused(
        hass, err, "calls_per_hour_exceeded", calls="3", placed="0", max="2"
    )
    assert issue(hass, init_integration) is None
    assert created_bodies(bandwidth_sandbox) == []


async def test_notifications_and_transfers_count(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Each number notified, and each a call is transferred to, is a call."""
    entry = init_integration
    set_options(
        hass,
        entry,
        **{CONF_MAX_CALLS_PER_HOUR: 4, CONF_NOTIFY_TO: [US, "+15555551235"]},
    )
    await send_message(hass, entry, "Hi")
    live_call(entry, phase="holding")
    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN,
            "update_call",
            {"call_id": CALL_ID, "transfer_to": [MONITORING, "+15555550912", US]},
            blocking=True,
        )
    await assert_refused(
        hass, info.value, "calls_per_hour_exceeded", calls="3", placed="2", max="4"
    )
    await hass.services.async_call(
        DOMAIN,
        "update_call",
        {"call_id": CALL_ID, "transfer_to": [MONITORING, "+15555550912"]},
        blocking=True,
    )
    with pytest.raises(ServiceValidationError) as info:
        await send_message(hass, entry, "Hi")
    assert info.value.translation_key == "calls_per_hour_exceeded"
    assert len(created_bodies(bandwidth_sandbox)) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_calls_bandwidth_refused_do_not_count(
    hass: HomeAssistant, init_integration: MockConfigEntry, bandwidth_sandbox: Sandbox
) -> None:
    """Calls surely not placed are given back, a lost answer's are not."""
    entry = init_integration
    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 3})
    bandwidth_sandbox.fail_next(
        400,
        {"type": "validation", "description": "Invalid to"},
        path_contains="/calls",
        method="POST",
    )
    response = await create_call(hass, to=[US, "+15555551235"])
    assert ["error" in item for item in response["calls"]] == [True, False]
    assert entry.runtime_data.calls_per_hour.placed() == 1

    # Bandwidth would not redirect the call for its transfer: not placed.
    live_call(entry, phase="playing")
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "update_call",
            {"call_id": CALL_ID, "transfer_to": MONITORING},
            blocking=True,
        )
    assert info.value.translation_key == "api_error"
    assert entry.runtime_data.calls_per_hour.placed() == 1

    bandwidth_sandbox.fail_next(
        503, "<html>down</html>", path_contains="/calls", method="POST"
    )
    with pytest.raises(HomeAssistantError) as info:
        await create_call(hass, to="+15555551236")
    assert info.value.translation_key == "call_outcome_unknown"
    assert entry.runtime_data.calls_per_hour.placed() == 2


async def test_the_count_survives_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bandwidth_sandbox: Sandbox,
    hass_storage: dict[str, Any],
) -> None:
    """A restart (or reload) does not start the hour over; removal forgets it."""
    entry = init_integration
    set_options(hass, entry, **{CONF_MAX_CALLS_PER_HOUR: 2})
    await create_call(hass, to=[US, "+15555551235"])
    await refused(hass, None, to="+15555551236")

    key = STORAGE_KEY.format(entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue(hass, entry) is None
    assert sum(calls for _, calls in hass_storage[key]["data"]["minutes"]) == 2

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await refused(hass, None, to="+15555551236")
    assert len(created_bodies(bandwidth_sandbox)) == 2

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


@pytest.mark.parametrize("stored", [{"minutes": "many"}, {"minutes": [[1, "x"]]}, []])
async def test_unreadable_count(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    external_url: str,
    hass_storage: dict[str, Any],
    stored: Any,
) -> None:
    """A count that cannot be read counts nothing; the entry still sets up."""
    hass_storage[STORAGE_KEY.format(mock_config_entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": STORAGE_KEY.format(mock_config_entry.entry_id),
        "data": stored,
    }
    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.calls_per_hour.placed() == 0
