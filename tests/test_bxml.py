"""Tests for the BXML documents answering Bandwidth's callbacks."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bandwidth import bxml
from custom_components.bandwidth.calls import CallScript, GatherScript

from .helpers import verbs

GATHER_URL = "https://ha.example.test/api/webhook/abc"


def parse(document: bytes) -> ET.Element:
    """Parse a document, checking the declaration Bandwidth documents."""
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response')
    root = ET.fromstring(document)  # noqa: S314 - our own output
    assert root.tag == "Response"
    return root


def test_hangup() -> None:
    """A call without a script is hung up."""
    root = parse(bxml.hangup())
    assert verbs(root) == ["Hangup"]
    assert root.find("Hangup") is not None
    assert not root.find("Hangup").attrib  # type: ignore[union-attr]


def test_full_script_for_a_person() -> None:
    """Message, audio and gather, with every Gather attribute, then hang up."""
    script = CallScript(
        message="The garage door is open.",
        voice="kate",
        audio_url="https://example.test/chime.mp3",
        machine_message="Please call back.",
        gather=GatherScript(
            prompt="Press 1 to close it.",
            max_digits=1,
            terminating_digits="#",
            first_digit_timeout=10.0,
            inter_digit_timeout=2.5,
            repeat_count=3,
        ),
    )
    root = parse(bxml.play_script(script, machine=False, gather_url=GATHER_URL))
    assert verbs(root) == ["SpeakSentence", "PlayAudio", "Gather", "Hangup"]
    speak, audio, gather, _ = root
    assert speak.attrib == {"voice": "kate"}
    assert speak.text == "The garage door is open."
    assert audio.text == "https://example.test/chime.mp3"
    assert gather.attrib == {
        "gatherUrl": GATHER_URL,
        "maxDigits": "1",
        "terminatingDigits": "#",
        "firstDigitTimeout": "10",
        "interDigitTimeout": "2.5",
        "repeatCount": "3",
    }
    assert [(child.tag, child.get("voice"), child.text) for child in gather] == [
        ("SpeakSentence", "kate", "Press 1 to close it.")
    ]


def test_bare_gather() -> None:
    """A gather with nothing set has only its URL; no voice, no method."""
    script = CallScript(gather=GatherScript())
    root = parse(bxml.play_script(script, machine=False, gather_url=GATHER_URL))
    assert verbs(root) == ["Gather", "Hangup"]
    assert root[0].attrib == {"gatherUrl": GATHER_URL}
    assert len(root[0]) == 0


def test_machine_hears_machine_message() -> None:
    """An answering machine gets machine_message alone, never a gather."""
    script = CallScript(
        message="Hello.",
        voice="paul",
        audio_url="https://example.test/a.mp3",
        machine_message="Sorry we missed you.",
        gather=GatherScript(prompt="Press 1."),
    )
    root = parse(bxml.play_script(script, machine=True, gather_url=GATHER_URL))
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == "Sorry we missed you."
    assert root[0].get("voice") == "paul"


def test_machine_without_machine_message() -> None:
    """Without machine_message a machine records what a person would hear."""
    script = CallScript(
        message="Hello.",
        audio_url="https://example.test/a.mp3",
        gather=GatherScript(prompt="Press 1."),
    )
    root = parse(bxml.play_script(script, machine=True, gather_url=GATHER_URL))
    assert verbs(root) == ["SpeakSentence", "PlayAudio", "Hangup"]
    assert "voice" not in root[0].attrib


def test_empty_script_hangs_up() -> None:
    """A script with nothing to play still gives a valid document."""
    root = parse(bxml.play_script(CallScript(), machine=False, gather_url=GATHER_URL))
    assert verbs(root) == ["Hangup"]


@pytest.mark.parametrize("message", ["", "   ", "\x00\x07\x1b"])
def test_blank_sentences_are_left_out(message: str) -> None:
    """Bandwidth refuses a blank SpeakSentence, so none is written."""
    root = parse(
        bxml.play_script(CallScript(message=message), machine=False, gather_url="/x")
    )
    assert verbs(root) == ["Hangup"]


def test_text_is_escaped_and_cleaned() -> None:
    """Markup is spoken as text; characters XML cannot carry are dropped."""
    message = 'Tom & Jerry <b>say</b> "hi"\x00\x0b\ud800 \U0001f600\tend'
    script = CallScript(message=message, voice='ka"te\x01', audio_url="a?b=1&c=<2>")
    document = bxml.play_script(script, machine=False, gather_url=GATHER_URL)
    root = parse(document)
    assert root[0].text == 'Tom & Jerry <b>say</b> "hi" \U0001f600\tend'
    assert root[0].get("voice") == 'ka"te'
    assert root[1].text == "a?b=1&c=<2>"
    assert b"<b>" not in document


def test_keep_alive() -> None:
    """The call pauses, then comes back for instructions, by POST by default."""
    root = parse(bxml.keep_alive(GATHER_URL, pause=1.0))
    assert verbs(root) == ["Pause", "Redirect"]
    assert root[0].attrib == {"duration": "1"}
    assert root[1].attrib == {"redirectUrl": GATHER_URL}
    root = parse(bxml.keep_alive("/api/webhook/abc", pause=0.5, method="GET"))
    assert root[0].attrib == {"duration": "0.5"}
    assert root[1].attrib == {
        "redirectUrl": "/api/webhook/abc",
        "redirectMethod": "GET",
    }


def test_gather_by_get() -> None:
    """A call answered by GET gathers by GET."""
    script = CallScript(gather=GatherScript())
    root = parse(
        bxml.play_script(script, machine=False, gather_url=GATHER_URL, method="GET")
    )
    assert root[0].attrib == {"gatherUrl": GATHER_URL, "gatherMethod": "GET"}


@pytest.mark.parametrize(
    ("voice", "attrib"), [("julie", {"voice": "julie"}), (None, {})]
)
def test_goodbye(voice: str | None, attrib: dict[str, str]) -> None:
    """After a gather the call says goodbye and ends."""
    root = parse(bxml.goodbye(voice))
    assert verbs(root) == ["SpeakSentence", "Hangup"]
    assert root[0].text == bxml.GOODBYE
    assert root[0].attrib == attrib


@given(text=st.text(), url=st.text(), voice=st.text())
def test_always_well_formed(text: str, url: str, voice: str) -> None:
    """Whatever the text, the document parses and keeps every legal character."""
    script = CallScript(
        message=text, voice=voice, audio_url=url, gather=GatherScript(prompt=text)
    )
    document = bxml.play_script(script, machine=False, gather_url=url)
    root = parse(document)
    assert root[-1].tag == "Hangup"
    gather = root.find("Gather")
    assert gather is not None
    # Attribute values survive exactly, minus the characters XML forbids.
    assert gather.get("gatherUrl") == bxml.clean_text(url)


# Text rich in what must be escaped, or any text at all.
MARKUP = st.text(alphabet="&<>\"'\r\n\t a\u00e9\U0001f600") | st.text()


@given(
    text=MARKUP,
    attribute=MARKUP,
    children=st.lists(st.tuples(MARKUP, MARKUP), max_size=3),
)
def test_written_as_element_tree_writes(
    text: str, attribute: str, children: list[tuple[str, str]]
) -> None:
    """Documents are what ElementTree writes, after Bandwidth's own declaration."""
    response = ET.Element("Response", first=bxml.clean_text(attribute))
    response.text = bxml.clean_text(text)
    for child_text, child_attribute in children:
        child = ET.SubElement(response, "Gather", url=bxml.clean_text(child_attribute))
        child.set("voice", bxml.clean_text(child_text))
        ET.SubElement(child, "SpeakSentence").text = bxml.clean_text(child_text)
    ET.SubElement(response, "Hangup")
    expected = ET.tostring(response, encoding="unicode").encode()
    assert (
        bxml._serialize(response)
        == b'<?xml version="1.0" encoding="UTF-8"?>' + expected
    )


def test_voicemail_without_a_tone() -> None:
    """Where Bandwidth could not fetch the tone, the greeting leads to the recording."""
    root = parse(
        bxml.voicemail(
            greeting="Please leave a message.",
            audio={},
            tone_url=None,
            voice=None,
            callback_url="https://ha.example.test/api/webhook/x?ref=r&key=k",
            recording=bxml.Recording(
                max_duration=120, transcribe=False, detect_language=False
            ),
        )
    )
    assert verbs(root) == ["SpeakSentence", "Record", "Hangup"]
    assert root[1].get("recordingAvailableUrl") == (
        "https://ha.example.test/api/webhook/x?ref=r&key=k"
    )
