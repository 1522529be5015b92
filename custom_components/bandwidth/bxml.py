"""BXML documents answering Bandwidth's callbacks.

Documents are built with ElementTree so every text and attribute is escaped;
characters XML 1.0 cannot carry at all are dropped first, so the output is
always well-formed (Bandwidth ends a call on invalid BXML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from xml.etree import ElementTree as ET

from .calls import CallScript, CallStep, GatherScript, TransferStep

CONTENT_TYPE: Final = "application/xml"
CHARSET: Final = "utf-8"
GOODBYE: Final = "Thank you. Goodbye."
# Bandwidth refuses a larger document (and ends the call). Its "at most 64 KB"
# is read as 64,000 bytes, not 65,536: a document within 64,000 bytes is
# accepted whichever Bandwidth means, and one refused ends a call that was
# already placed, where a refusal here only asks for a shorter message.
MAX_SIZE: Final = 64_000
# The name of the media stream carrying a conversation with Assist.
STREAM_NAME: Final = "assist"
# A PIN has at most 8 digits; the caller has this long to start typing it.
PIN_DIGITS: Final = 8
PIN_TIMEOUT: Final = 10  # seconds
# A voicemail message ends after this much silence.
SILENCE_TIMEOUT: Final = 5  # seconds
# A screened caller's answer (who they are, why they call) is short.
SCREEN_SILENCE_TIMEOUT: Final = 3  # seconds

_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>'
# Everything outside XML 1.0's Char production (controls, lone surrogates,
# U+FFFE/U+FFFF).
_ILLEGAL_XML: Final = re.compile(
    "[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True, kw_only=True)
class Recording:
    """How a caller is recorded (voicemail, screening), and transcribed."""

    max_duration: float
    transcribe: bool
    # Bandwidth transcribes in English unless told to detect the language.
    detect_language: bool
    file_format: str = "mp3"


def clean_text(value: str) -> str:
    """Return value without the characters XML cannot represent."""
    return _ILLEGAL_XML.sub("", value)


def hangup() -> bytes:
    """End the call: for calls the integration has no script for."""
    response = ET.Element("Response")
    ET.SubElement(response, "Hangup")
    return _serialize(response)


def play_script(
    script: CallScript, *, machine: bool, gather_url: str, method: str = "POST"
) -> bytes:
    """Play a call's script to whoever answered, then hang up.

    An answering machine hears machine_message when there is one (otherwise
    what a person would hear, or nothing when the script hangs up on one) and
    is never asked for digits. Texts Home
    Assistant rendered are played from their audio, the others spoken.
    """
    response = ET.Element("Response")
    audio = script.media.audio
    if machine and script.machine_hangup:
        pass
    elif machine and script.machine_message:
        _say(response, script.machine_message, script.voice, audio)
    else:
        if script.message:
            _say(response, script.message, script.voice, audio)
        if script.audio_url:
            _play(response, audio.get(script.audio_url, script.audio_url))
        if script.gather is not None and not machine:
            _gather(
                response,
                script.gather,
                gather_url,
                method,
                voice=script.voice,
                audio=audio,
            )
    ET.SubElement(response, "Hangup")
    return _serialize(response)


def keep_alive(redirect_url: str, *, pause: float, method: str = "POST") -> bytes:
    """Hold the call silently, then ask again (waiting for machine detection)."""
    response = ET.Element("Response")
    ET.SubElement(response, "Pause", duration=_number(pause))
    redirect = ET.SubElement(response, "Redirect", redirectUrl=clean_text(redirect_url))
    _set_method(redirect, "redirectMethod", method)
    return _serialize(response)


def ring(redirect_url: str, *, duration: float, method: str = "POST") -> bytes:
    """Let an inbound call ring on, unanswered, then ask again."""
    response = ET.Element("Response")
    ET.SubElement(response, "Ring", duration=_number(duration), answerCall="false")
    redirect = ET.SubElement(response, "Redirect", redirectUrl=clean_text(redirect_url))
    _set_method(redirect, "redirectMethod", method)
    return _serialize(response)


def empty() -> bytes:
    """Do nothing: for a transfer's called party, connected at once."""
    return _serialize(ET.Element("Response"))


def converse(  # noqa: PLR0913 - what is said first, then where the stream goes
    *,
    message: str | None,
    audio_url: str | None,
    voice: str | None,
    audio: Mapping[str, str],
    destination: str,
    redirect_url: str,
    pause: float,
    method: str = "POST",
    restart: bool = False,
) -> bytes:
    """Say the message, then stream the caller to Home Assistant's Assist.

    <StartStream> does not block: the call waits in a <Pause>, then asks
    again, while the conversation goes on over the stream. `restart` first
    stops a stream the call may still have.
    """
    response = ET.Element("Response")
    if restart:
        stop_stream(response)
    if message:
        _say(response, message, voice, audio)
    if audio_url:
        _play(response, audio.get(audio_url, audio_url))
    stream = ET.SubElement(
        response,
        "StartStream",
        name=STREAM_NAME,
        mode="bidirectional",
        tracks="inbound",
        destination=clean_text(destination),
        # Started, stopped or rejected: a stream that fails is known at once.
        streamEventUrl=clean_text(redirect_url),
    )
    _set_method(stream, "streamEventMethod", method)
    ET.SubElement(response, "Pause", duration=_number(pause))
    redirect = ET.SubElement(response, "Redirect", redirectUrl=clean_text(redirect_url))
    _set_method(redirect, "redirectMethod", method)
    return _serialize(response)


def stop_stream(parent: ET.Element) -> None:
    """End the call's conversation with Assist before what follows.

    `wait`: Bandwidth refuses a new stream while one of the same name is
    still up, and its StopStream does not wait for the end unless told to.
    """
    ET.SubElement(parent, "StopStream", name=STREAM_NAME, wait="true")


def ask_pin(gather_url: str, *, prompt: str, method: str = "POST") -> bytes:
    """Answer the call and ask for a PIN: up to 8 digits, `#` ends them.

    Nothing typed: the prompt is said once more; then the callback comes
    with no digits, which is a wrong PIN.
    """
    response = ET.Element("Response")
    _gather(
        response,
        GatherScript(
            prompt=prompt,
            max_digits=PIN_DIGITS,
            terminating_digits="#",
            first_digit_timeout=PIN_TIMEOUT,
            repeat_count=2,
        ),
        gather_url,
        method,
        voice=None,
        audio={},
    )
    return _serialize(response)


def refuse(message: str) -> bytes:
    """Say why the call cannot go on, then end it."""
    response = ET.Element("Response")
    _speak(response, message, None)
    ET.SubElement(response, "Hangup")
    return _serialize(response)


def play_step(
    step: CallStep, *, callback_url: str, method: str = "POST", streaming: bool = False
) -> bytes:
    """Play an automation's next step on a live call.

    What follows the speech: digits collected (their callback continues the
    call), a transfer (its completion continues the call), a hang-up, or a
    redirect back to Home Assistant, where the call waits for the next step.
    A call `streaming` to Assist stops its stream first.
    """
    response = ET.Element("Response")
    if streaming:
        stop_stream(response)
    audio = step.media.audio
    if step.message:
        _say(response, step.message, step.voice, audio)
    if step.audio_url:
        _play(response, audio.get(step.audio_url, step.audio_url))
    if step.gather is not None:
        _gather(
            response, step.gather, callback_url, method, voice=step.voice, audio=audio
        )
    elif step.transfer is not None:
        _transfer(response, step.transfer, callback_url, method)
    elif step.hangup:
        ET.SubElement(response, "Hangup")
    else:
        redirect = ET.SubElement(
            response, "Redirect", redirectUrl=clean_text(callback_url)
        )
        _set_method(redirect, "redirectMethod", method)
    return _serialize(response)


def voicemail(  # noqa: PLR0913 - the greeting, then how the message is kept
    *,
    greeting: str,
    audio: Mapping[str, str],
    tone_url: str | None,
    voice: str | None,
    callback_url: str,
    recording: Recording,
    method: str = "POST",
) -> bytes:
    """Answer with the greeting, record the caller's message, then hang up.

    The recording ends after its `max_duration`, after SILENCE_TIMEOUT seconds of
    silence, or when the caller presses `#`. Its callbacks (recording and
    transcript available) come to the call's own URL, mostly after the
    caller hung up; no recordComplete is asked for: the call simply ends.
    The greeting plays from `audio` when Home Assistant rendered it; then
    the beep at `tone_url`, if any.
    """
    response = ET.Element("Response")
    _say(response, greeting, voice, audio)
    if tone_url:
        _play(response, tone_url)
    _record(response, clean_text(callback_url), recording, SILENCE_TIMEOUT, method)
    ET.SubElement(response, "Hangup")
    return _serialize(response)


def screen(  # noqa: PLR0913 - the question, then how the answer is kept
    *,
    question: str,
    hold_message: str,
    voice: str | None,
    callback_url: str,
    recording: Recording,
    method: str = "POST",
) -> bytes:
    """Ask who is calling and why, record the answer, then hold the caller.

    The answer ends after its `max_duration`, after SCREEN_SILENCE_TIMEOUT
    seconds of silence, or when the caller presses `#`. Its callbacks come to
    the call's own URL while the caller, told to hold, waits in the call's
    loop (the redirect).
    """
    response = ET.Element("Response")
    _speak(response, question, voice)
    url = clean_text(callback_url)
    _record(response, url, recording, SCREEN_SILENCE_TIMEOUT, method)
    _speak(response, hold_message, voice)
    redirect = ET.SubElement(response, "Redirect", redirectUrl=url)
    _set_method(redirect, "redirectMethod", method)
    return _serialize(response)


def transfer(step: TransferStep, *, callback_url: str, method: str = "POST") -> bytes:
    """Connect the call to the first of the destinations to answer."""
    response = ET.Element("Response")
    _transfer(response, step, callback_url, method)
    return _serialize(response)


def goodbye(voice: str | None, audio_url: str | None = None) -> bytes:
    """Thank the person who entered digits and end the call.

    `audio_url` is the goodbye rendered in the call's text-to-speech voice.
    """
    response = ET.Element("Response")
    if audio_url:
        _play(response, audio_url)
    else:
        _speak(response, GOODBYE, voice)
    ET.SubElement(response, "Hangup")
    return _serialize(response)


def _say(
    parent: ET.Element, text: str, voice: str | None, audio: Mapping[str, str]
) -> None:
    """Play a text's rendered audio, or have Bandwidth speak it."""
    if (url := audio.get(text)) is not None:
        _play(parent, url)
    else:
        _speak(parent, text, voice)


def _play(parent: ET.Element, url: str) -> None:
    ET.SubElement(parent, "PlayAudio").text = clean_text(url)


def _speak(parent: ET.Element, text: str, voice: str | None) -> None:
    # Bandwidth rejects a blank sentence.
    if not (text := clean_text(text)).strip():
        return
    sentence = ET.SubElement(parent, "SpeakSentence")
    if voice:
        sentence.set("voice", clean_text(voice))
    sentence.text = text


def _gather(  # noqa: PLR0913 - the prompt's voice and audio travel with it
    parent: ET.Element,
    gather: GatherScript,
    gather_url: str,
    method: str,
    *,
    voice: str | None,
    audio: Mapping[str, str],
) -> None:
    element = ET.SubElement(parent, "Gather", gatherUrl=clean_text(gather_url))
    _set_method(element, "gatherMethod", method)
    if gather.max_digits is not None:
        element.set("maxDigits", _number(gather.max_digits))
    if gather.terminating_digits:
        element.set("terminatingDigits", clean_text(gather.terminating_digits))
    if gather.first_digit_timeout is not None:
        element.set("firstDigitTimeout", _number(gather.first_digit_timeout))
    if gather.inter_digit_timeout is not None:
        element.set("interDigitTimeout", _number(gather.inter_digit_timeout))
    if gather.repeat_count is not None:
        element.set("repeatCount", _number(gather.repeat_count))
    if gather.prompt:
        _say(element, gather.prompt, voice, audio)


def _record(
    parent: ET.Element,
    url: str,
    recording: Recording,
    silence_timeout: float,
    method: str,
) -> None:
    """Record the caller, ending on `#`; its callbacks (and transcript's) go to `url`."""
    record = ET.SubElement(
        parent,
        "Record",
        recordingAvailableUrl=url,
        maxDuration=_number(recording.max_duration),
        silenceTimeout=_number(silence_timeout),
        terminatingDigits="#",
        fileFormat=recording.file_format,
    )
    _set_method(record, "recordingAvailableMethod", method)
    if recording.transcribe:
        record.set("transcribe", "true")
        record.set("transcriptionAvailableUrl", url)
        _set_method(record, "transcriptionAvailableMethod", method)
        if recording.detect_language:
            record.set("detectLanguage", "true")


def _transfer(
    parent: ET.Element, step: TransferStep, callback_url: str, method: str
) -> None:
    # Every callback of the transfer comes back to the call's own URL: its
    # completion for the call, answer and disconnect for the called party.
    url = clean_text(callback_url)
    element = ET.SubElement(parent, "Transfer", transferCompleteUrl=url)
    _set_method(element, "transferCompleteMethod", method)
    if step.caller_id:
        element.set("transferCallerId", clean_text(step.caller_id))
    if step.timeout is not None:
        element.set("callTimeout", _number(step.timeout))
    for destination in step.to:
        tag = "SipUri" if destination.startswith("sip:") else "PhoneNumber"
        target = ET.SubElement(
            element, tag, transferAnswerUrl=url, transferDisconnectUrl=url
        )
        _set_method(target, "transferAnswerMethod", method)
        _set_method(target, "transferDisconnectMethod", method)
        target.text = clean_text(destination)


def _set_method(element: ET.Element, attribute: str, method: str) -> None:
    # POST is Bandwidth's default: only GET is spelled out.
    if method != "POST":
        element.set(attribute, method)


def _number(value: float) -> str:
    """Format 10.0 as "10" and 2.5 as "2.5", as Bandwidth's examples do."""
    if float(value).is_integer():
        return str(int(value))
    return str(float(value))


def _serialize(response: ET.Element) -> bytes:
    # ElementTree's own declaration uses single quotes; Bandwidth documents
    # the double-quoted form.
    return _DECLARATION + ET.tostring(response, encoding="unicode").encode(CHARSET)
