"""The account's applications, as Bandwidth's account API describes them.

Bandwidth's Voice API has no application endpoint. Bandwidth's own CLI reads
an application (`band app get ID`) from the account (Dashboard) API:
``GET /api/v2/accounts/{accountId}/applications/{applicationId}``, with the
same Bearer token as the Voice API, answered in XML::

    <ApplicationProvisioningResponse>
      <Application>
        <ApplicationId>...</ApplicationId>
        <ServiceType>Voice-V2</ServiceType>
        <AppName>...</AppName>
      </Application>
    </ApplicationProvisioningResponse>

Errors come back in the same document, as a ResponseStatus.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

VOICE = "Voice-V2"
MESSAGING = "Messaging-V2"
# The ResponseStatus code this sandbox gives an unknown application.
NOT_FOUND_CODE = "15501"


@dataclass(frozen=True)
class Application:
    """One application of the account."""

    application_id: str
    name: str
    service_type: str = VOICE


def _document(child: ET.Element) -> bytes:
    root = ET.Element("ApplicationProvisioningResponse")
    root.append(child)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def application_document(application: Application) -> bytes:
    """Return the XML answer describing one application."""
    element = ET.Element("Application")
    ET.SubElement(element, "ApplicationId").text = application.application_id
    ET.SubElement(element, "ServiceType").text = application.service_type
    ET.SubElement(element, "AppName").text = application.name
    return _document(element)


def error_document(code: str, description: str) -> bytes:
    """Return the XML answer of a refused request."""
    status = ET.Element("ResponseStatus")
    ET.SubElement(status, "ErrorCode").text = code
    ET.SubElement(status, "Description").text = description
    return _document(status)
