"""Reading an application from Bandwidth's account API: the client and the sandbox.

The Voice API has no application endpoint; like Bandwidth's CLI (`band app
get`), the client reads GET /api/v2/accounts/{account}/applications/{id} on the
account API, with the Voice API's authorization, answered in XML.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
import pytest
from bandwidth_voice import (
    DASHBOARD_URL,
    Application,
    BandwidthApiError,
    BandwidthAuthenticationError,
    BandwidthConnectionError,
    BasicCredentials,
    OAuth2Credentials,
    dashboard_api_url,
)

from sandbox import (
    ACCOUNT_ID,
    APPLICATION_ID,
    APPLICATION_NAME,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    Sandbox,
    basic_auth,
)
from sandbox import Application as SandboxApplication

from .helpers import make_client

APPLICATIONS = f"/api/v2/accounts/{ACCOUNT_ID}/applications"


def test_dashboard_url() -> None:
    """Bandwidth's account API, or the same paths on a sandbox."""
    assert str(DASHBOARD_URL) == "https://api.bandwidth.com/api/v2"
    assert str(dashboard_api_url("http://127.0.0.1:8090")) == (
        "http://127.0.0.1:8090/api/v2"
    )


@pytest.mark.parametrize(
    ("credentials", "scheme"),
    [
        (OAuth2Credentials(CLIENT_ID, CLIENT_SECRET), "Bearer "),
        (BasicCredentials(USERNAME, PASSWORD), "Basic "),
    ],
)
async def test_get_application(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    credentials: OAuth2Credentials | BasicCredentials,
    scheme: str,
) -> None:
    """The application is read in XML, authorized like the Voice API."""
    client = make_client(bandwidth_sandbox, session, credentials)
    application = await client.get_application(APPLICATION_ID)
    assert application == Application(
        application_id=APPLICATION_ID,
        name=APPLICATION_NAME,
        service_type="Voice-V2",
    )
    assert application.is_voice
    request = bandwidth_sandbox.requests[-1]
    assert request.method == "GET"
    assert request.path == f"{APPLICATIONS}/{APPLICATION_ID}"
    assert request.headers["Accept"] == "application/xml"
    assert request.headers["Authorization"].startswith(scheme)


async def test_messaging_application(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """An application that handles messages only is not a Voice application."""
    bandwidth_sandbox.applications["texts"] = SandboxApplication(
        "texts", "Texts", "Messaging-V2"
    )
    application = await make_client(bandwidth_sandbox, session).get_application("texts")
    assert application.service_type == "Messaging-V2"
    assert not application.is_voice


async def test_unknown_application_is_404(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """An id the account does not have: Bandwidth's 404, as an API error."""
    with pytest.raises(BandwidthApiError) as err:
        await make_client(bandwidth_sandbox, session).get_application("nope")
    assert err.value.status == 404


async def test_ids_stay_one_path_segment(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """An id with path characters is quoted: it cannot reach another endpoint."""
    with pytest.raises(BandwidthApiError) as err:
        await make_client(bandwidth_sandbox, session).get_application("a/../../calls")
    # The application route answered (as decoded by the server).
    assert err.value.status == 404
    assert bandwidth_sandbox.requests[-1].path == f"{APPLICATIONS}/a/../../calls"


@pytest.mark.parametrize("application_id", ["", ".", ".."])
async def test_relative_ids_are_refused(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession, application_id: str
) -> None:
    """Ids that would name the collection or its parent are never sent."""
    with pytest.raises(ValueError, match="Invalid application id"):
        await make_client(bandwidth_sandbox, session).get_application(application_id)
    assert bandwidth_sandbox.requests == []


async def test_other_account_is_forbidden(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """Credentials without access to the account cannot read its applications."""
    client = make_client(
        bandwidth_sandbox,
        session,
        BasicCredentials(USERNAME, PASSWORD),
        account_id="1234567",
    )
    with pytest.raises(BandwidthAuthenticationError):
        await client.get_application(APPLICATION_ID)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/xml"),
        ("not <xml", "application/xml"),
        ("<html>maintenance</html>", "text/html"),
        (
            (
                "<ApplicationProvisioningResponse><ResponseStatus/>"
                "</ApplicationProvisioningResponse>"
            ),
            "application/xml",
        ),
        (
            (
                "<ApplicationProvisioningResponse><Application><AppName>x</AppName>"
                "</Application></ApplicationProvisioningResponse>"
            ),
            "application/xml",
        ),
    ],
)
async def test_unexpected_answer(
    bandwidth_sandbox: Sandbox,
    session: aiohttp.ClientSession,
    body: str,
    content_type: str,
) -> None:
    """A success that does not describe an application is a connection error."""
    bandwidth_sandbox.fail_next(
        200, body, content_type=content_type, path_contains="/applications/"
    )
    with pytest.raises(BandwidthConnectionError):
        await make_client(bandwidth_sandbox, session).get_application(APPLICATION_ID)


def test_missing_name_and_type() -> None:
    """Only the id is required; blank values count as missing."""
    root = ET.fromstring(  # noqa: S314 - the test's own document
        "<ApplicationProvisioningResponse><Application>"
        "<ApplicationId> abc </ApplicationId><AppName>  </AppName>"
        "</Application></ApplicationProvisioningResponse>"
    )
    application = Application.from_xml(root)
    assert application == Application(application_id="abc")
    assert not application.is_voice


# --- The sandbox's endpoint, on the wire -------------------------------------


async def _get(
    box: Sandbox, session: aiohttp.ClientSession, path: str, **headers: str
) -> tuple[int, str, ET.Element | None]:
    async with session.get(f"{box.url}{path}", headers=headers) as response:
        body = await response.read()
        root = (
            ET.fromstring(body)  # noqa: S314 - the sandbox's own answer
            if response.content_type == "application/xml"
            else None
        )
        return response.status, response.content_type, root


async def test_sandbox_describes_applications_in_xml(
    bandwidth_sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    """The answer Bandwidth's CLI reads: ApplicationProvisioningResponse/Application."""
    auth: dict[str, Any] = {"Authorization": basic_auth(USERNAME, PASSWORD)}
    status, content_type, root = await _get(
        bandwidth_sandbox, session, f"{APPLICATIONS}/{APPLICATION_ID}", **auth
    )
    assert (status, content_type) == (200, "application/xml")
    assert root is not None
    assert root.tag == "ApplicationProvisioningResponse"
    assert root.findtext("Application/ApplicationId") == APPLICATION_ID
    assert root.findtext("Application/ServiceType") == "Voice-V2"
    assert root.findtext("Application/AppName") == APPLICATION_NAME

    status, content_type, root = await _get(
        bandwidth_sandbox, session, f"{APPLICATIONS}/nope", **auth
    )
    assert (status, content_type) == (404, "application/xml")
    assert root is not None
    assert root.findtext("ResponseStatus/ErrorCode")
    assert "nope" in (root.findtext("ResponseStatus/Description") or "")

    status, _, _ = await _get(bandwidth_sandbox, session, f"{APPLICATIONS}/nope")
    assert status == 401
