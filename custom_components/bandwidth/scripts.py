"""A call's script and its later steps: built from validated action data.

create_call's data becomes the script a call plays once answered,
update_call's the step it takes next; each also says which texts it speaks,
for Home Assistant's text-to-speech to render before anything is sent.
"""

from __future__ import annotations

from typing import Any

from .action_fields import SCRIPT_FIELDS
from .bxml import GOODBYE
from .calls import NO_MEDIA, CallScript, CallStep, GatherScript, Media, TransferStep


def has_script(data: dict[str, Any]) -> bool:
    """Return True if the action asks Home Assistant to say or gather something."""
    return any(data.get(key) is not None for key in SCRIPT_FIELDS)


def build_script(
    data: dict[str, Any], *, media: Media = NO_MEDIA, machine_hangup: bool = False
) -> CallScript | None:
    """Return the script validated create_call data describes, if any.

    `media` is the audio prepared for it, `machine_hangup` hangs up on an
    answering machine at once (announcements).
    """
    if not has_script(data):
        return None
    gather = data.get("gather")
    return CallScript(
        message=data.get("message"),
        voice=data.get("voice"),
        audio_url=data.get("audio_url"),
        machine_message=data.get("machine_message"),
        gather=GatherScript(**gather) if gather is not None else None,
        media=media,
        assist=data.get("assist"),
        machine_hangup=machine_hangup,
    )


def build_step(data: dict[str, Any]) -> CallStep:
    """Return the step validated update_call data describes."""
    gather = data.get("gather")
    transfer = None
    if (to := data.get("transfer_to")) is not None:
        transfer = TransferStep(
            to=tuple(to),
            caller_id=data.get("transfer_caller_id"),
            timeout=data.get("transfer_timeout"),
        )
    return CallStep(
        message=data.get("message"),
        voice=data.get("voice"),
        audio_url=data.get("audio_url"),
        gather=GatherScript(**gather) if gather is not None else None,
        transfer=transfer,
        hangup=data.get("hangup", False),
        assist=data.get("assist"),
        voicemail=data.get("voicemail", False),
    )


def script_texts(script: CallScript | None) -> list[str]:
    """Return what a call's script says, to render with text-to-speech.

    A call asked for digits thanks the callee with a goodbye in the same
    voice once it has waited for an automation's next step.
    """
    if script is None:
        return []
    texts = [script.message, script.machine_message]
    if script.gather is not None:
        texts += [script.gather.prompt, GOODBYE]
    return [text for text in texts if text]


def step_texts(step: CallStep) -> list[str]:
    """Return what a step says, to render with text-to-speech.

    A step that neither hangs up nor transfers leaves the call waiting for
    the next one, then saying goodbye, in the same voice.
    """
    texts = [step.message]
    if step.gather is not None:
        texts.append(step.gather.prompt)
    if (
        not step.hangup
        and step.transfer is None
        and step.assist is None
        and not step.voicemail
    ):
        texts.append(GOODBYE)
    return [text for text in texts if text]
