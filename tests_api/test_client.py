"""The API client's operations, authentication and errors, against the sandbox."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from bandwidth_voice import (
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthClient,
    BandwidthConnectionError,
    BandwidthOutcomeUnknownError,
    BasicCredentials,
    MachineDetectionConfiguration,
    OAuth2Credentials,
    UpdateCallRequest,
    api_urls,
)

from sandbox import (
    ACCOUNT_ID,
    APPLICATION_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    Sandbox,
    basic_auth,
)
from tests.spec import check_against_spec, property_names

from .helpers import ANSWER_URL, make_client, minimal_request, voice_requests

# --- Operations and the bytes on the wire -----------------------------------


async def test_create_call_oauth_wire_format(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
) -> None:
    """OAuth: a token is fetched with Basic client auth, then used as Bearer."""
    client = make_client(bandwidth_sandbox, session)
    response = await client.create_call(minimal_request())

    token_request, create = bandwidth_sandbox.requests
    assert token_request.method == "POST"
    assert token_request.path == "/api/v1/oauth2/token"
    assert token_request.headers["Authorization"] == basic_auth(
        CLIENT_ID, CLIENT_SECRET
    )
    assert token_request.form == {"grant_type": "client_credentials"}
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"

    assert create.method == "POST"
    assert create.path == f"/api/v2/accounts/{ACCOUNT_ID}/calls"
    assert create.headers["Authorization"].startswith("Bearer ")
    assert create.headers["Content-Type"] == "application/json"
    assert json.loads(create.body) == {
        "to": "+15555551234",
        "from": "+15555550100",
        "applicationId": APPLICATION_ID,
        "answerUrl": ANSWER_URL,
    }
    check_against_spec(create.json, "createCall")

    call = bandwidth_sandbox.calls[response.call_id]
    assert response.call_url == call.call_url
    assert response.account_id == ACCOUNT_ID
    assert response.application_id == APPLICATION_ID
    assert response.to == "+15555551234"
    assert response.from_ == "+15555550100"
    assert response.answer_url == ANSWER_URL
    assert response.enqueued_time == call.enqueued_time
    assert response.call_timeout == 30
    assert response.priority == 5


async def test_create_call_every_field(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
) -> None:
    """Every createCall property is representable, with the spec's names and types."""
    client = make_client(bandwidth_sandbox, session)
    request = minimal_request(
        answer_method="GET",
        username="user",
        password="pass",
        answer_fallback_url="https://fallback.example.test/answer",
        answer_fallback_method="POST",
        fallback_username="fuser",
        fallback_password="fpass",
        disconnect_url="https://ha.example.test/disconnect",
        disconnect_method="GET",
        call_timeout=45.5,
        callback_timeout=10.25,
        machine_detection=MachineDetectionConfiguration(
            mode="async",
            detection_timeout=15,
            silence_timeout=10,
            speech_threshold=10,
            speech_end_threshold=5,
            machine_speech_end_threshold=6,
            delay_result=True,
            callback_url="https://ha.example.test/md",
            callback_method="POST",
            username="mduser",
            password="mdpass",
            fallback_url="https://fallback.example.test/md",
            fallback_method="GET",
            fallback_username="mdfuser",
            fallback_password="mdfpass",
        ),
        priority=1,
        tag="t" * 4096,
        uui="aGVsbG8;encoding=base64",
        privacy=True,
        display_name="Private",
    )
    await client.create_call(request)

    body = voice_requests(bandwidth_sandbox)[0].json
    check_against_spec(body, "createCall")
    assert set(body) == property_names("createCall")
    machine_detection = property_names("machineDetectionConfiguration")
    assert set(body["machineDetection"]) == machine_detection
    assert body["machineDetection"]["machineSpeechEndThreshold"] == 6
    assert body["callTimeout"] == 45.5
    assert body["privacy"] is True
    assert "password" not in repr(request)
    assert "mdpass" not in repr(request)


async def test_legacy_basic_auth(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A legacy API user sends HTTP Basic on every request and never asks for tokens."""
    client = make_client(
        bandwidth_sandbox, session, BasicCredentials(USERNAME, PASSWORD)
    )
    await client.verify()
    await client.create_call(minimal_request())
    assert bandwidth_sandbox.token_requests == 0
    for request in bandwidth_sandbox.requests:
        assert request.headers["Authorization"] == basic_auth(USERNAME, PASSWORD)


async def test_verify_lists_one_call(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """verify() is an authenticated read of the account's calls."""
    await make_client(bandwidth_sandbox, session).verify()
    (request,) = voice_requests(bandwidth_sandbox)
    assert request.method == "GET"
    assert request.path == f"/api/v2/accounts/{ACCOUNT_ID}/calls"
    assert request.query == {"pageSize": "1"}


async def test_get_update_and_hangup(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """get_call reads the state; update_call and hangup post updateCall bodies."""
    client = make_client(bandwidth_sandbox, session)
    created = await client.create_call(minimal_request(tag="x"))

    state = await client.get_call(created.call_id)
    assert state.call_id == created.call_id
    assert state.state == "initiated"
    assert state.direction == "outbound"
    assert state.from_ == "+15555550100"
    assert state.disconnect_cause is None

    # Bandwidth only redirects answered calls: stand in for that answer.
    bandwidth_sandbox.fail_next(200, "", path_contains=created.call_id)
    await client.update_call(
        created.call_id,
        UpdateCallRequest(
            redirect_url="https://ha.example.test/next",
            redirect_method="POST",
            tag="new tag",
        ),
    )
    await client.hangup(created.call_id)
    update, hangup = voice_requests(bandwidth_sandbox)[-2:]
    assert update.path == f"/api/v2/accounts/{ACCOUNT_ID}/calls/{created.call_id}"
    assert update.json == {
        "redirectUrl": "https://ha.example.test/next",
        "redirectMethod": "POST",
        "tag": "new tag",
    }
    assert hangup.json == {"state": "completed"}
    assert hangup.headers["Content-Type"] == "application/json"

    state = await client.get_call(created.call_id)
    assert state.state == "disconnected"
    assert state.disconnect_cause == "cancel"  # it was never answered


async def test_unknown_call_state_values_are_kept(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """State and disconnectCause are open-ended: unknown values pass through."""
    bandwidth_sandbox.fail_next(
        200,
        {
            "callId": "c-1",
            "state": "teleported",
            "disconnectCause": "gremlins",
            "new": 1,
        },
        path_contains="/calls",
    )
    state = await make_client(bandwidth_sandbox, session).get_call("c-1")
    assert state.state == "teleported"
    assert state.disconnect_cause == "gremlins"


# --- OAuth token handling ----------------------------------------------------


async def test_token_is_cached(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """One token serves many requests until it nears expiry."""
    client = make_client(bandwidth_sandbox, session)
    for _ in range(3):
        await client.verify()
    assert bandwidth_sandbox.token_requests == 1


async def test_expiring_token_is_renewed(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A token about to expire is replaced before it is used again."""
    bandwidth_sandbox.token_expires_in = 1  # the client renews after half of it
    client = make_client(bandwidth_sandbox, session)
    await client.verify()
    await asyncio.sleep(0.6)
    await client.verify()
    assert bandwidth_sandbox.token_requests == 2


async def test_revoked_token_is_refreshed_once(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 401 with a cached token fetches a new token and retries once."""
    client = make_client(bandwidth_sandbox, session)
    await client.verify()
    bandwidth_sandbox.revoke_tokens()
    await client.create_call(minimal_request())
    assert bandwidth_sandbox.token_requests == 2
    creates = [r for r in voice_requests(bandwidth_sandbox) if r.method == "POST"]
    assert len(creates) == 2  # the refused one and the retry; only one call exists
    assert len(bandwidth_sandbox.calls) == 1


async def test_401_after_refresh_is_an_auth_error(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """If the fresh token is refused too, the credentials are bad."""
    bandwidth_sandbox.fail_next(
        401,
        {"type": "authentication-error", "description": "Nope"},
        times=2,
        path_contains="/calls",
    )
    client = make_client(bandwidth_sandbox, session)
    with pytest.raises(BandwidthAuthenticationError, match="Nope"):
        await client.verify()
    assert bandwidth_sandbox.token_requests == 2


async def test_concurrent_requests_share_one_token(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """No token stampede: concurrent first requests wait for one token."""
    bandwidth_sandbox.delay = 0.05
    client = make_client(bandwidth_sandbox, session)
    await asyncio.gather(*(client.verify() for _ in range(10)))
    assert bandwidth_sandbox.token_requests == 1


async def test_concurrent_401s_share_one_refresh(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Requests refused together with a revoked token refresh it once."""
    client = make_client(bandwidth_sandbox, session)
    await client.verify()
    bandwidth_sandbox.revoke_tokens()
    await asyncio.gather(*(client.verify() for _ in range(5)))
    assert bandwidth_sandbox.token_requests == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "invalid_client"}, BandwidthAuthenticationError),
        (400, {"error": "invalid_grant"}, BandwidthAuthenticationError),
        (403, "", BandwidthAuthenticationError),
        (500, "<html>oops</html>", BandwidthConnectionError),
        (404, {"description": "No such endpoint"}, BandwidthConnectionError),
        (429, "", BandwidthConnectionError),
        (200, "{not json", BandwidthConnectionError),
        (200, {"token_type": "Bearer"}, BandwidthConnectionError),
        (200, {"access_token": ""}, BandwidthConnectionError),
        (200, ["access_token"], BandwidthConnectionError),
        (200, {"access_token": "t", "expires_in": "soon"}, BandwidthConnectionError),
    ],
)
async def test_token_endpoint_errors(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    status: int,
    body: Any,
    error: type[Exception],
) -> None:
    """Token endpoint failures map to the client's exceptions, without secrets."""
    bandwidth_sandbox.fail_next(status, body, path_contains="oauth2")
    with pytest.raises(error) as info:
        await make_client(bandwidth_sandbox, session).verify()
    assert CLIENT_SECRET not in str(info.value)
    assert voice_requests(bandwidth_sandbox) == []


async def test_wrong_client_secret(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A wrong secret is an authentication error that does not echo the secret."""
    client = make_client(
        bandwidth_sandbox, session, OAuth2Credentials(CLIENT_ID, "wrong-secret")
    )
    with pytest.raises(BandwidthAuthenticationError) as info:
        await client.verify()
    assert "wrong-secret" not in str(info.value)
    assert "wrong-secret" not in repr(client)


async def test_wrong_basic_password(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A wrong legacy password is an authentication error, not retried."""
    client = make_client(
        bandwidth_sandbox, session, BasicCredentials(USERNAME, "bad-pass")
    )
    with pytest.raises(BandwidthAuthenticationError) as info:
        await client.verify()
    assert "bad-pass" not in str(info.value)
    assert "bad-pass" not in repr(client)
    assert len(bandwidth_sandbox.requests) == 1


async def test_other_account_is_forbidden(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Valid credentials for another account give 403, an authentication error."""
    client = make_client(bandwidth_sandbox, session, account_id="1234567")
    with pytest.raises(BandwidthAuthenticationError, match="403"):
        await client.verify()


# --- Voice API errors ----------------------------------------------------------


async def test_validation_error_keeps_bandwidths_words(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 400 voiceApiError becomes BandwidthApiError with its fields verbatim."""
    client = make_client(bandwidth_sandbox, session)
    with pytest.raises(BandwidthApiError) as info:
        await client.create_call(minimal_request(application_id="not-mine"))
    err = info.value
    assert err.status == 400
    assert err.error_type == "validation"
    assert err.description == "Invalid applicationId: application not-mine not found"
    assert str(err) == err.description


@pytest.mark.parametrize("status", [400, 404, 409, 415])
async def test_api_errors_with_id(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, status: int
) -> None:
    """4xx answers carry status, type, description and id."""
    bandwidth_sandbox.fail_next(
        status,
        {"type": "some-type", "description": "Bandwidth says no", "id": "err-42"},
        path_contains="/calls",
    )
    with pytest.raises(BandwidthApiError) as info:
        await make_client(bandwidth_sandbox, session).update_call(
            "c-1", UpdateCallRequest(state="completed")
        )
    assert (info.value.status, info.value.error_type) == (status, "some-type")
    assert (info.value.description, info.value.error_id) == (
        "Bandwidth says no",
        "err-42",
    )


@pytest.mark.parametrize(
    "body", ["<html>Not found</html>", {"description": 5}, {"type": 1}, []]
)
async def test_api_error_without_a_usable_body(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, body: Any
) -> None:
    """Without a voiceApiError body the status is the description."""
    bandwidth_sandbox.fail_next(404, body, path_contains="/calls")
    with pytest.raises(BandwidthApiError) as info:
        await make_client(bandwidth_sandbox, session).get_call("c-1")
    assert info.value.description == "HTTP 404"
    assert info.value.error_type is None
    assert info.value.error_id is None


async def test_unknown_call_is_404(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Hanging up an unknown call is Bandwidth's 404."""
    with pytest.raises(BandwidthApiError) as info:
        await make_client(bandwidth_sandbox, session).hangup("c-unknown")
    assert info.value.status == 404


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_not_retried(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, status: int
) -> None:
    """A 5xx to a create is reported, never retried: the call may exist."""
    bandwidth_sandbox.fail_next(
        status,
        "<html><body>Bad gateway</body></html>",
        content_type="text/html",
        path_contains="/calls",
    )
    with pytest.raises(BandwidthOutcomeUnknownError, match=str(status)):
        await make_client(bandwidth_sandbox, session).create_call(minimal_request())
    assert len(voice_requests(bandwidth_sandbox)) == 1


async def test_server_error_description_is_kept(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 5xx with a voiceApiError body shows Bandwidth's description."""
    bandwidth_sandbox.fail_next(
        500,
        {"type": "internal", "description": "Something broke"},
        path_contains="/calls",
    )
    with pytest.raises(BandwidthConnectionError, match="Something broke"):
        await make_client(bandwidth_sandbox, session).verify()


async def test_timeout_is_not_retried(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A create that times out is reported once, never sent again."""
    bandwidth_sandbox.hang_next(path_contains="/calls")
    client = make_client(bandwidth_sandbox, session, request_timeout=0.3)
    with pytest.raises(BandwidthOutcomeUnknownError, match="Timed out"):
        await client.create_call(minimal_request())
    assert len(voice_requests(bandwidth_sandbox)) == 1


async def test_token_timeout_is_not_an_unknown_outcome(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Timing out before the create left says so: the call surely does not exist."""
    bandwidth_sandbox.hang_next(path_contains="/oauth2/token")
    client = make_client(bandwidth_sandbox, session, request_timeout=0.3)
    with pytest.raises(BandwidthConnectionError, match="Timed out") as info:
        await client.create_call(minimal_request())
    assert not isinstance(info.value, BandwidthOutcomeUnknownError)
    assert voice_requests(bandwidth_sandbox) == []


async def test_connection_reset(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A connection dropped once the request left leaves its outcome unknown."""
    bandwidth_sandbox.reset_next(path_contains="/calls")
    with pytest.raises(BandwidthOutcomeUnknownError, match="may have been carried"):
        await make_client(bandwidth_sandbox, session).create_call(minimal_request())
    assert len(voice_requests(bandwidth_sandbox)) == 1


async def test_connection_refused(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Nothing listening is a connection error, for Voice and token requests alike."""
    voice_url, token_url = api_urls("http://127.0.0.1:1")  # nothing listens there
    for credentials in (OAuth2Credentials("a", "b"), BasicCredentials("a", "b")):
        client = BandwidthClient(
            account_id=ACCOUNT_ID,
            credentials=credentials,
            session=session,
            voice_url=voice_url,
            token_url=token_url,
        )
        with pytest.raises(
            BandwidthConnectionError, match="Could not reach Bandwidth"
        ) as info:
            await client.verify()
        assert not isinstance(info.value, BandwidthOutcomeUnknownError)


@pytest.mark.parametrize(
    "body", ['{"callId": "c-1", "callUrl"', "[]", '{"callId": "c-1"}', '"text"']
)
async def test_create_call_with_garbage_answer(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, body: str
) -> None:
    """A 201 that is not a createCallResponse: the call may exist, not retried."""
    bandwidth_sandbox.fail_next(
        201, body, content_type="application/json", path_contains="/calls"
    )
    with pytest.raises(BandwidthOutcomeUnknownError):
        await make_client(bandwidth_sandbox, session).create_call(minimal_request())
    assert len(voice_requests(bandwidth_sandbox)) == 1


@pytest.mark.parametrize("body", ["[]", '{"state": "active"}', "{trunc"])
async def test_get_call_with_garbage_answer(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, body: str
) -> None:
    """A callState that is not one is a connection error."""
    bandwidth_sandbox.fail_next(
        200, body, content_type="application/json", path_contains="/calls"
    )
    with pytest.raises(BandwidthConnectionError):
        await make_client(bandwidth_sandbox, session).get_call("c-1")


# --- Sessions ------------------------------------------------------------------


async def test_own_session_is_created_and_closed(bandwidth_sandbox: Sandbox) -> None:
    """Without an injected session the client makes one and closes it."""
    async with make_client(bandwidth_sandbox, None) as client:
        await client.verify()
        own = client.session
        assert own is not None
    assert own.closed


async def test_injected_session_is_left_open(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """An injected session belongs to the caller."""
    async with make_client(bandwidth_sandbox, session) as client:
        await client.verify()
    assert not session.closed


async def test_empty_success_body(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """A 200 with no body (Update Call) returns nothing."""
    bandwidth_sandbox.fail_next(200, "", path_contains="/calls")
    client = make_client(bandwidth_sandbox, session)
    assert (
        await client._request("POST", ("calls", "c-1"), json={"state": "completed"})
        is None
    )


@pytest.mark.parametrize("call_id", ["x/../../other", "a b", "c?d#e"])
async def test_call_ids_stay_one_path_segment(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, call_id: str
) -> None:
    """A call id with path characters cannot reach another endpoint."""
    with pytest.raises(BandwidthApiError) as info:
        await make_client(bandwidth_sandbox, session).hangup(call_id)
    assert info.value.status == 404
    (request,) = voice_requests(bandwidth_sandbox)
    assert request.path == f"/api/v2/accounts/{ACCOUNT_ID}/calls/{call_id}"


@pytest.mark.parametrize("call_id", ["", ".", ".."])
async def test_relative_call_ids_are_refused(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, call_id: str
) -> None:
    """Ids that are relative path segments never leave the client."""
    with pytest.raises(ValueError, match="Invalid call id"):
        await make_client(bandwidth_sandbox, session).get_call(call_id)
    assert bandwidth_sandbox.requests == []
