"""Parse BXML documents into the verbs the sandbox can execute."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

# Verbs the sandbox acts out.
SIMULATED = frozenset(
    {
        "SpeakSentence",
        "PlayAudio",
        "Pause",
        "Ring",
        "Gather",
        "Redirect",
        "Hangup",
        "Tag",
        "Transfer",
        "StartStream",
        "StopStream",
        "Record",
    }
)
# Real Bandwidth verbs the sandbox accepts but does not act out.
NOT_SIMULATED = frozenset(
    {
        "Bridge",
        "Conference",
        "Forward",
        "PauseRecording",
        "ResumeRecording",
        "SendDtmf",
        "StartGather",
        "StartRecording",
        "StartTranscription",
        "StopGather",
        "StopRecording",
        "StopTranscription",
    }
)
_PROMPTS = frozenset({"SpeakSentence", "PlayAudio"})
_DESTINATIONS = frozenset({"PhoneNumber", "SipUri"})
_MAX_DESTINATIONS = 8
_METHODS = frozenset({"GET", "POST"})
_BOOLEANS = frozenset({"true", "false"})
_TRACKS = frozenset({"inbound", "outbound", "both"})
_FILE_FORMATS = frozenset({"mp3", "wav"})
# attribute -> (default, minimum, maximum), per the BXML reference.
_NUMBERS: dict[str, dict[str, tuple[float, float, float]]] = {
    "Pause": {"duration": (1, 0.1, 86400)},
    "Ring": {"duration": (5, 0.1, 86400)},
    "Transfer": {"callTimeout": (30, 1, 300)},
    "Record": {"maxDuration": (60, 1, 10800), "silenceTimeout": (0, 0, 10800)},
    "Gather": {
        "maxDigits": (50, 1, 50),
        "interDigitTimeout": (5, 1, 60),
        "firstDigitTimeout": (5, 0, 60),
        "repeatCount": (1, 1, 20),
    },
}


class BxmlError(ValueError):
    """The document is not valid BXML; Bandwidth ends the call (invalid-bxml)."""


@dataclass(frozen=True)
class Verb:
    """One BXML verb: its name, attributes, text and nested verbs."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    children: tuple[Verb, ...] = ()

    def number(self, attr: str) -> float:
        """Return a numeric attribute (already range-checked) or its default."""
        default = _NUMBERS[self.name][attr][0]
        return float(self.attrs.get(attr, default))


def parse_bxml(text: str) -> list[Verb]:
    """Parse a `<Response>` document; raise BxmlError when Bandwidth would refuse it."""
    # Entities are how XML bombs work, and BXML never needs a DOCTYPE.
    if "<!DOCTYPE" in text.upper():
        raise BxmlError("DOCTYPE is not allowed in BXML")
    try:
        # The document comes from the developer's own server on loopback.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as err:
        raise BxmlError(f"document is not well-formed XML: {err}") from err
    if root.tag != "Response":
        raise BxmlError(f"root element must be <Response>, not <{root.tag}>")
    return [_verb(element) for element in root]


def _verb(element: ET.Element) -> Verb:  # noqa: PLR0912 - one check per rule
    name = element.tag
    if name not in SIMULATED | NOT_SIMULATED:
        raise BxmlError(f"unknown verb <{name}>")
    # SpeakSentence may hold SSML tags: its text is all the text inside.
    text = " ".join("".join(element.itertext()).split())
    attrs = dict(element.attrib)
    children: tuple[Verb, ...] = ()
    if name in {"SpeakSentence", "PlayAudio"} and not text:
        raise BxmlError(f"<{name}> cannot be empty")
    if name == "Gather":
        children = tuple(_verb(child) for child in element)
        if any(child.name not in _PROMPTS for child in children):
            raise BxmlError("<Gather> may only nest <SpeakSentence> and <PlayAudio>")
    elif name == "Transfer":
        children = tuple(_destination(child) for child in element)
        if not 1 <= len(children) <= _MAX_DESTINATIONS:
            raise BxmlError("<Transfer> needs 1 to 8 <PhoneNumber> or <SipUri>")
    elif name not in {"SpeakSentence", "StartStream", *NOT_SIMULATED} and len(element):
        raise BxmlError(f"<{name}> cannot nest other verbs")
    if name == "Redirect" and not attrs.get("redirectUrl"):
        raise BxmlError("<Redirect> requires redirectUrl")
    if name == "StartStream" and not attrs.get("destination", "").startswith(
        ("ws://", "wss://")
    ):
        raise BxmlError("<StartStream> requires a ws:// or wss:// destination")
    if name == "StartStream" and attrs.get("tracks", "inbound").lower() not in _TRACKS:
        raise BxmlError("<StartStream> tracks must be inbound, outbound or both")
    if name == "StopStream" and not attrs.get("name"):
        raise BxmlError("<StopStream> requires name")
    if name == "StopStream" and attrs.get("wait", "false").lower() not in _BOOLEANS:
        raise BxmlError("<StopStream> wait must be true or false")
    if name == "Record":
        _check_record(attrs)
    for attr in (
        "redirectMethod",
        "gatherMethod",
        "transferCompleteMethod",
        "streamEventMethod",
        "recordCompleteMethod",
        "recordingAvailableMethod",
        "transcriptionAvailableMethod",
    ):
        if attr in attrs and attrs[attr].upper() not in _METHODS:
            raise BxmlError(f"{attr} must be GET or POST")
    for attr, (_, low, high) in _NUMBERS.get(name, {}).items():
        if attr in attrs:
            try:
                value = float(attrs[attr])
            except ValueError:
                raise BxmlError(f"<{name}> {attr} must be a number") from None
            if not low <= value <= high:
                raise BxmlError(f"<{name}> {attr} must be between {low:g} and {high:g}")
    return Verb(name, attrs, text, children)


def _check_record(attrs: dict[str, str]) -> None:
    """Check a <Record>'s format and flags as Bandwidth does."""
    if attrs.get("fileFormat", "wav") not in _FILE_FORMATS:
        raise BxmlError("<Record> fileFormat must be mp3 or wav")
    for flag in ("transcribe", "detectLanguage"):
        if attrs.get(flag, "false").lower() not in _BOOLEANS:
            raise BxmlError(f"<Record> {flag} must be true or false")


def _destination(element: ET.Element) -> Verb:
    """Read a <Transfer>'s <PhoneNumber> or <SipUri>."""
    if element.tag not in _DESTINATIONS:
        raise BxmlError("<Transfer> may only nest <PhoneNumber> and <SipUri>")
    text = (element.text or "").strip()
    if not text:
        raise BxmlError(f"<{element.tag}> cannot be empty")
    for attr in ("transferAnswerMethod", "transferDisconnectMethod"):
        if attr in element.attrib and element.attrib[attr].upper() not in _METHODS:
            raise BxmlError(f"{attr} must be GET or POST")
    return Verb(element.tag, dict(element.attrib), text)
