"""The call player: what Bandwidth does with a call once it exists.

An outbound call (created through the API, when the sandbox's lifecycle is
on) rings, is answered or not as its Scenario says, gets machine detection,
and sends the answer callback; an inbound call (`Sandbox.call_in`) sends the
initiate callback. Either way the player then runs the BXML each callback
answers, verb by verb (SpeakSentence, PlayAudio, Gather, Transfer with its
called party, Redirect, StartStream and StopStream through stream.py...),
follows Update Call's hangups and redirects, and at the end of the call
stops its media streams and sends the disconnect callback. Durations are
simulated: each one is multiplied by the sandbox's time_scale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

from yarl import URL

from .audio import MP3, WAV, AudioError, audio_duration, silence_wav
from .auth import credentials_from
from .bxml import BxmlError, Verb, parse_bxml
from .callbacks import (
    CallbackClient,
    call_credentials,
    event,
    verb_hook,
    without_query,
)
from .models import (
    AudioFetch,
    Call,
    Document,
    Hook,
    Recording,
    Scenario,
    new_call_id,
    now,
)
from .stream import StreamPlayer

_LOGGER = logging.getLogger("sandbox")
# How long Bandwidth takes to make a recording available, in simulated
# seconds: the callbacks of a call that goes on come meanwhile.
RECORDING_PROCESSING = 2.0


class _Ended(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, cause: str, error: str | None = None) -> None:
        super().__init__(cause)
        self.cause, self.error = cause, error


class _Interrupted(Exception):  # noqa: N818 - Update Call redirected the call
    pass


class PlayerSettings(Protocol):
    """What the call player reads and records of the sandbox."""

    url: str
    account_id: str
    time_scale: float
    seconds_per_word: float
    execute_machine_detection_bxml: bool
    audio_fetches: list[AudioFetch]
    recordings: dict[str, Recording]

    def scenario_for(self, to: str) -> Scenario:
        """Pick the scenario a call to this destination plays."""


class CallPlayer:
    """Plays the sandbox's calls, each in a task of its own (`Call.task`).

    Its settings and records are the sandbox's (`PlayerSettings`): url,
    account_id, time_scale, seconds_per_word, scenarios (through
    scenario_for), execute_machine_detection_bxml, audio_fetches and
    recordings.
    """

    def __init__(
        self, sandbox: PlayerSettings, callbacks: CallbackClient, streams: StreamPlayer
    ) -> None:
        """Play calls for this sandbox, sending callbacks through `callbacks`."""
        self._sandbox = sandbox
        self._callbacks = callbacks
        self._streams = streams
        # Recordings' callbacks on their way while their calls go on.
        self._pending: set[asyncio.Task[None]] = set()

    def start(self, call: Call) -> None:
        """Start playing a call that has just been created or come in."""
        course = (
            self._inbound(call)
            if call.direction == "inbound"
            else self._lifecycle(call)
        )
        call.task = asyncio.get_running_loop().create_task(course)

    # -- Calls the application makes -----------------------------------------

    async def _lifecycle(self, call: Call) -> None:
        """Ring, answer, run BXML, disconnect: what Bandwidth does after 201."""
        scenario = self._sandbox.scenario_for(call.request["to"])
        callee_hangup: asyncio.TimerHandle | None = None
        try:
            await self._ring(call, scenario)
            if scenario.hangup_after is not None:
                callee_hangup = asyncio.get_running_loop().call_later(
                    scenario.hangup_after * self._sandbox.time_scale, call.end, "hangup"
                )
            await self._answer(call, scenario)
            call.end("hangup")  # No more BXML to execute.
        except _Ended as ended:
            call.end(ended.cause, ended.error)
        finally:
            if callee_hangup is not None:
                callee_hangup.cancel()
        await self._streams.end(call)
        await self._disconnect(call, call.request.get("disconnectUrl"))
        await self._send_later(call)

    async def _ring(self, call: Call, scenario: Scenario) -> None:
        call.start_time = call.last_update = now()
        if scenario.outcome == "no-answer":
            await self._wait(call, call.request.get("callTimeout", 30))
            raise _Ended("timeout")
        await self._wait(call, scenario.ring_seconds)
        if scenario.outcome in ("busy", "rejected"):
            raise _Ended(scenario.outcome)
        if scenario.outcome == "error":
            raise _Ended("error", "The call could not be completed")

    async def _answer(self, call: Call, scenario: Scenario) -> None:
        call.state = "answered"
        call.answer_time = call.last_update = now()
        payload = event(call, "answer")
        detection = call.request.get("machineDetection")
        if detection is not None:
            machine = scenario.outcome == "voicemail"
            value = scenario.machine_detection_result or (
                "answering-machine" if machine else "human"
            )
            call.machine_detection = value
            if detection.get("mode", "async") == "sync":
                payload["machineDetectionResult"] = self._detection(call, scenario)
            else:
                call.md_pending = True
        hook = Hook(
            call.request["answerUrl"],
            call.request.get("answerMethod", "POST"),
            call_credentials(call),
            call.request.get("answerFallbackUrl"),
            call.request.get("answerFallbackMethod", "POST"),
            credentials_from(call.request, "fallbackUsername", "fallbackPassword"),
        )
        answer = self._fetch_bxml(call, "answer", hook, payload)
        document = await self._guarded(call, answer)
        while document is not None:
            document = await self._guarded(call, self._run(call, scenario, *document))

    def _detection(self, call: Call, scenario: Scenario) -> dict[str, str]:
        return {
            "value": call.machine_detection or "human",
            "duration": scenario.detection_duration,
        }

    async def _detection_point(self, call: Call, scenario: Scenario) -> None:
        """Deliver an async machine detection result once the BXML waits."""
        if not call.md_pending:
            return
        call.md_pending = False
        detection = call.request["machineDetection"]
        hook = Hook(
            detection.get("callbackUrl") or call.request["answerUrl"],
            detection.get("callbackMethod", "POST"),
            credentials_from(detection, "username", "password")
            or call_credentials(call),
            detection.get("fallbackUrl"),
            detection.get("fallbackMethod", "POST"),
            credentials_from(detection, "fallbackUsername", "fallbackPassword"),
        )
        payload = event(call, "machineDetectionComplete")
        payload["machineDetectionResult"] = self._detection(call, scenario)
        attempt = await self._callbacks.deliver(
            call, "machineDetectionComplete", hook, payload
        )
        if (
            self._sandbox.execute_machine_detection_bxml
            and attempt.ok
            and attempt.body.strip()
        ):
            with contextlib.suppress(BxmlError):
                verbs = parse_bxml(attempt.body)
                if verbs:
                    call.replacement = (verbs, attempt.url)
                    call.interrupt.set()

    # -- Calls to the application's numbers ----------------------------------

    async def _inbound(self, call: Call) -> None:
        """Ask the application what to do with the call, and do it."""
        call.start_time = call.last_update = now()
        payload = event(call, "initiate")
        if call.diversion:
            payload["diversion"] = call.diversion
        if call.stir_shaken:
            payload["stirShaken"] = call.stir_shaken
        scenario = call.scenario or Scenario()
        try:
            hook = Hook(call.request["initiateUrl"], call.request["initiateMethod"])
            document = await self._guarded(
                call, self._fetch_bxml(call, "initiate", hook, payload)
            )
            while document is not None:
                document = await self._guarded(
                    call, self._run(call, scenario, *document)
                )
            call.end("hangup")  # No more BXML to execute.
        except _Ended as ended:
            call.end(ended.cause, ended.error)
        await self._streams.end(call)
        await self._disconnect(call, call.status_url)
        await self._send_later(call)

    def _answer_inbound(self, call: Call) -> None:
        """Answer an inbound call, at the first verb that needs it answered."""
        if call.direction == "inbound" and call.state != "answered":
            call.state = "answered"
            call.answer_time = call.last_update = now()
            _LOGGER.info("call %s answered", call.call_id)

    # -- Callbacks, redirects, the end of the call ---------------------------

    async def _disconnect(self, call: Call, url: str | None) -> None:
        """Tell the application the call ended, if it gave a URL for that."""
        _LOGGER.info("call %s ended: %s", call.call_id, call.disconnect_cause)
        if url:
            payload = event(call, "disconnect", endTime=call.end_time)
            payload |= {"cause": call.disconnect_cause}
            if call.error_message:
                payload |= {
                    "errorMessage": call.error_message,
                    "errorId": call.error_id,
                }
            hook = Hook(
                url,
                call.request.get("disconnectMethod", "POST"),
                call_credentials(call),
            )
            await self._callbacks.deliver(call, "disconnect", hook, payload)

    async def _guarded(
        self, call: Call, step: Awaitable[Document | None]
    ) -> Document | None:
        """Await a step; if Update Call redirected the call meanwhile, follow it."""
        try:
            document = await step
            if document is None:
                self._check(call)  # A redirect during the last verb still applies.
        except _Interrupted:
            return await self._guarded(call, self._follow_interrupt(call))
        return document

    async def _follow_interrupt(self, call: Call) -> Document | None:
        """Leave the running BXML for what Update Call (or a compat reply) gave."""
        call.interrupt.clear()
        if call.replacement is not None:
            document, call.replacement = call.replacement, None
            return document
        hook, call.redirect = call.redirect, None
        assert hook is not None  # noqa: S101 - only interrupted with a redirect set
        return await self._fetch_bxml(call, "redirect", hook, event(call, "redirect"))

    async def _fetch_bxml(
        self, call: Call, event_type: str, hook: Hook, payload: dict[str, Any]
    ) -> Document:
        """Send a callback that must answer BXML; return its verbs and URL."""
        attempt = await self._callbacks.deliver(call, event_type, hook, payload)
        if not attempt.ok:
            status = attempt.status or "no answer"
            raise _Ended("callback-error", f"{event_type} callback failed: {status}")
        self._check(call)
        content_type = attempt.headers.get("Content-Type", "")
        if "xml" not in content_type:
            raise _Ended("invalid-bxml", f"Unsupported content type '{content_type}'")
        try:
            verbs = parse_bxml(attempt.body)
        except BxmlError as err:
            raise _Ended("invalid-bxml", f"Invalid BXML: {err}") from None
        return verbs, attempt.url

    # -- BXML ----------------------------------------------------------------

    async def _run(  # noqa: PLR0912 - one case per BXML verb
        self, call: Call, scenario: Scenario, verbs: list[Verb], base: str
    ) -> Document | None:
        """Execute one BXML document; return the next one if a callback gave it."""
        for verb in verbs:
            self._check(call)
            if "tag" in verb.attrs:
                call.tag = verb.attrs["tag"] or None
            match verb.name:
                case "SpeakSentence":
                    await self._speak(call, verb)
                case "PlayAudio":
                    self._answer_inbound(call)
                    await self._play(call, verb, base)
                case "Ring":
                    if verb.attrs.get("answerCall", "true").lower() != "false":
                        self._answer_inbound(call)
                    await self._wait(call, verb.number("duration"))
                case "Pause":
                    self._answer_inbound(call)
                    await self._detection_point(call, scenario)
                    await self._wait(call, verb.number("duration"))
                case "Transfer":
                    self._answer_inbound(call)
                    if (document := await self._transfer(call, verb, base)) is not None:
                        return document
                case "Tag":
                    call.tag = verb.text or None
                case "StartStream":
                    # Does not block: the stream runs beside what follows.
                    self._answer_inbound(call)
                    self._streams.start(call, verb, base)
                case "StopStream":
                    # Goes on at once unless told to wait for the stream's end.
                    wait = verb.attrs.get("wait", "false").lower() == "true"
                    await self._streams.stop(call, verb.attrs["name"], wait=wait)
                case "Hangup":
                    raise _Ended("hangup")
                case "Redirect":
                    await self._detection_point(call, scenario)
                    hook = verb_hook(call, verb, base, "redirect")
                    return await self._fetch_bxml(
                        call, "redirect", hook, event(call, "redirect")
                    )
                case "Gather":
                    if (
                        document := await self._gather(call, scenario, verb, base)
                    ) is not None:
                        return document
                case "Record":
                    self._answer_inbound(call)
                    if (
                        document := await self._record(call, scenario, verb, base)
                    ) is not None:
                        return document
                case _:
                    _LOGGER.info(
                        "call %s: <%s> is not simulated, skipped",
                        call.call_id,
                        verb.name,
                    )
        return None

    async def _speak(self, call: Call, verb: Verb) -> None:
        """Say a sentence: it takes its time, and an interruption cuts it short."""
        self._answer_inbound(call)
        call.spoken.append(verb.text)
        call.heard.append((time.monotonic(), verb.text))
        _LOGGER.info("call %s says: %s", call.call_id, verb.text)
        await self._wait(call, self._sandbox.seconds_per_word * len(verb.text.split()))

    async def _play(self, call: Call, verb: Verb, base: str) -> None:
        """Fetch and check the media, then play it for as long as it lasts.

        Media that cannot be played is logged and skipped.
        """
        url = str(URL(base).join(URL(verb.text)))
        call.played.append(url)
        fetch = await self._callbacks.fetch_audio(
            url, credentials_from(verb.attrs, "username", "password")
        )
        call.audio.append(fetch)
        self._sandbox.audio_fetches.append(fetch)
        if fetch.error is not None:
            _LOGGER.warning(
                "call %s could not play %s: %s",
                call.call_id,
                without_query(url),
                fetch.error,
            )
            return
        _LOGGER.info(
            "call %s plays: %s (%s, %.2f s)",
            call.call_id,
            without_query(url),
            fetch.format,
            fetch.duration,
        )
        call.heard_audio.append((time.monotonic(), url))
        await self._wait(call, fetch.duration)

    async def _gather(
        self, call: Call, scenario: Scenario, verb: Verb, base: str
    ) -> Document | None:
        digits = _next_digits(scenario, call.gathers)
        call.gathers += 1
        # Without a key press the prompts are repeated repeatCount times.
        self._answer_inbound(call)
        for _ in range(1 if digits else int(verb.number("repeatCount"))):
            for prompt in verb.children:
                self._check(call)
                if prompt.name == "SpeakSentence":
                    await self._speak(call, prompt)
                else:
                    await self._play(call, prompt, base)
        await self._detection_point(call, scenario)
        await self._wait(call, 0.5 if digits else verb.number("firstDigitTimeout"))
        terminators = verb.attrs.get("terminatingDigits", "")
        collected, terminating = "", ""
        for digit in digits:
            if digit in terminators:
                terminating = digit
                break
            collected += digit
            if len(collected) >= verb.number("maxDigits"):
                break
        call.gathered.append(collected)
        _LOGGER.info(
            "call %s: callee pressed %r", call.call_id, collected + terminating
        )
        if "gatherUrl" not in verb.attrs:
            return None
        payload = event(call, "gather", digits=collected, terminatingDigit=terminating)
        return await self._fetch_bxml(
            call, "gather", verb_hook(call, verb, base, "gather"), payload
        )

    # -- Recordings ----------------------------------------------------------

    async def _record(
        self, call: Call, scenario: Scenario, verb: Verb, base: str
    ) -> Document | None:
        """Record what the caller says, up to maxDuration.

        The caller's message (Scenario.message) is kept as it is, in its own
        format: the sandbox converts nothing. Without one the caller says
        nothing, and the recording is silenceTimeout (or a second) of
        silence. recordingAvailable and transcriptionAvailable are sent once
        the call ended, as Bandwidth sends them; recordComplete at once,
        unless the caller hung up.
        """
        limit = verb.number("maxDuration")
        if scenario.message is not None:
            path = Path(scenario.message)
            media = await asyncio.to_thread(path.read_bytes)
            file_format = MP3 if path.suffix.lower() == ".mp3" else WAV
        else:
            media = silence_wav(verb.number("silenceTimeout") or 1)
            file_format = WAV
        try:
            duration = min(audio_duration(media, file_format), limit)
        except AudioError as err:
            _LOGGER.warning(
                "call %s: the message cannot be recorded: %s", call.call_id, err
            )
            duration = 0.0
        _LOGGER.info("call %s records a message (%.1f s)", call.call_id, duration)
        await self._wait(call, duration)
        recording = Recording(
            f"r-{uuid.uuid4()}",
            call.call_id,
            media,
            file_format,
            duration,
            scenario.transcript,
        )
        call.recordings.append(recording)
        self._sandbox.recordings[recording.recording_id] = recording
        fields = {
            "recordingId": recording.recording_id,
            "mediaUrl": f"{call.call_url}/recordings/{recording.recording_id}/media",
            "duration": f"PT{duration:.1f}S",
            "fileFormat": file_format,
            "channels": 1,
            "status": "complete",
        }
        if "recordingAvailableUrl" in verb.attrs:
            call.later.append(
                (
                    "recordingAvailable",
                    verb_hook(call, verb, base, "recordingAvailable"),
                    fields,
                )
            )
        transcribe = verb.attrs.get("transcribe", "false").lower() == "true"
        if (
            transcribe
            and recording.transcript is not None
            and "transcriptionAvailableUrl" in verb.attrs
        ):
            # Bandwidth's spec (2026) carries the transcript itself; the
            # recordings API serves it too.
            transcription = {
                "speaker": 0,
                "text": recording.transcript,
                "confidence": 0.9,
            }
            later = {
                key: value
                for key, value in fields.items()
                if key not in {"channels", "status"}
            }
            call.later.append(
                (
                    "transcriptionAvailable",
                    verb_hook(call, verb, base, "transcriptionAvailable"),
                    {**later, "transcription": transcription},
                )
            )
        if call.later:
            task = asyncio.get_running_loop().create_task(self._send_while_live(call))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        if "recordCompleteUrl" not in verb.attrs:
            return None
        payload = event(call, "recordComplete", **fields)
        hook = verb_hook(call, verb, base, "recordComplete")
        return await self._fetch_bxml(call, "recordComplete", hook, payload)

    async def _send_while_live(self, call: Call) -> None:
        """Send a recording's callbacks once processed, if the call goes on.

        A call that ended meanwhile has them sent after its disconnect.
        """
        await asyncio.sleep(RECORDING_PROCESSING * self._sandbox.time_scale)
        if not call.completed:
            await self._send_later(call, ended=False)

    async def _send_later(self, call: Call, *, ended: bool = True) -> None:
        """Send what Bandwidth sends once a call ended: its recordings' callbacks."""
        while call.later:
            event_type, hook, fields = call.later.pop(0)
            extra = {"endTime": call.end_time} if ended else {}
            payload = event(call, event_type, **extra, **fields)
            # Neither carries the answer time.
            payload.pop("answerTime", None)
            await self._callbacks.deliver(call, event_type, hook, payload)

    # -- Transfers -----------------------------------------------------------

    async def _transfer(self, call: Call, verb: Verb, base: str) -> Document | None:
        """Ring the destinations together; connect the first to answer."""
        targets = [child for child in verb.children if child.text]
        scenarios = [
            (child, self._sandbox.scenario_for(child.text)) for child in targets
        ]
        answering = [item for item in scenarios if item[1].outcome == "answer"]
        timeout = verb.number("callTimeout")
        _LOGGER.info(
            "call %s transfers to %s",
            call.call_id,
            ", ".join(child.text for child in targets),
        )
        cause = "timeout"
        transfer_to = targets[0].text if targets else ""
        if answering:
            child, scenario = min(answering, key=lambda item: item[1].ring_seconds)
            transfer_to = child.text
            await self._wait(call, min(scenario.ring_seconds, timeout))
            cause = await self._bridge(call, verb, child, scenario, base)
        elif any(scenario.outcome == "busy" for _, scenario in scenarios):
            cause = "busy"
        else:
            await self._wait(call, timeout)
        _LOGGER.info("call %s: transfer ended (%s)", call.call_id, cause)
        if "transferCompleteUrl" not in verb.attrs:
            return None
        payload = event(
            call,
            "transferComplete",
            transferTo=transfer_to,
            transferCallerId=verb.attrs.get("transferCallerId", call.request["from"]),
            cause=cause,
        )
        hook = verb_hook(call, verb, base, "transferComplete")
        return await self._fetch_bxml(call, "transferComplete", hook, payload)

    async def _bridge(
        self, call: Call, verb: Verb, child: Verb, scenario: Scenario, base: str
    ) -> str:
        """Play the called party: its answer document, the talk, its hang-up."""
        leg_id = new_call_id()
        leg = Call(
            leg_id,
            self._sandbox.account_id,
            {
                "to": child.text,
                "from": verb.attrs.get("transferCallerId", call.request["from"]),
                "applicationId": call.request["applicationId"],
            },
            f"{self._sandbox.url}/api/v2/accounts/{self._sandbox.account_id}/calls/{leg_id}",
            now(),
            state="answered",
            parent=call,
        )
        leg.start_time = leg.answer_time = now()
        call.transfers.append(leg)
        leg_fields = {
            "parentCallId": call.call_id,
            "transferTo": child.text,
            "transferCallerId": leg.request["from"],
        }
        if "transferAnswerUrl" in child.attrs:
            hook = verb_hook(call, child, base, "transferAnswer")
            verbs, _ = await self._fetch_bxml(
                call,
                "transferAnswer",
                hook,
                event(leg, "transferAnswer", **leg_fields),
            )
            for leg_verb in verbs:
                if leg_verb.name == "SpeakSentence":
                    leg.spoken.append(leg_verb.text)
                    _LOGGER.info("transfer %s hears: %s", leg_id, leg_verb.text)
        _LOGGER.info("call %s connected to %s", call.call_id, child.text)
        cause = "hangup"
        try:
            await self._wait(call, scenario.talk_seconds)
        finally:
            leg.end("hangup")
            if "transferDisconnectUrl" in child.attrs:
                hook = verb_hook(call, child, base, "transferDisconnect")
                payload = event(
                    leg, "transferDisconnect", endTime=leg.end_time, **leg_fields
                )
                payload["cause"] = "hangup"
                await self._callbacks.deliver(call, "transferDisconnect", hook, payload)
        return cause

    # -- Simulated time ------------------------------------------------------

    def _check(self, call: Call) -> None:
        """Stop the BXML if the call was hung up or redirected meanwhile."""
        if call.completed:
            raise _Ended(call.disconnect_cause or "hangup")
        if call.redirect is not None or call.replacement is not None:
            raise _Interrupted

    async def _wait(self, call: Call, seconds: float) -> None:
        """Let simulated time pass, cut short by a hangup or redirect."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds * self._sandbox.time_scale):
                await call.interrupt.wait()
        self._check(call)


def _next_digits(scenario: Scenario, index: int) -> str:
    digits = scenario.digits
    if digits is None:
        return "" if scenario.outcome == "voicemail" else "1"
    if isinstance(digits, str):
        return digits
    return digits[index] if index < len(digits) else ""
