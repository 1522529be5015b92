"""A call's answer documents: built once, when the call is placed.

Their size is checked before the call is placed (Bandwidth ends a call whose
document it refuses); the answer callback then only looks them up.
"""

from __future__ import annotations

from homeassistant.core import callback

from . import bxml
from .calls import CallStep, LiveCall


@callback
def answer_document(call: LiveCall, callback_url: str, *, machine: bool) -> bytes:
    """Return (building it once) what an answered call plays.

    ``callback_url`` is where the call's digits are sent; it must be the
    call's own URL, which does not change while the call lives.
    """
    if (document := call.documents.get(machine)) is None:
        script = call.script
        assert script is not None  # noqa: S101 - callers check
        if (
            not script.machine_message
            and not script.machine_hangup
            and script.gather is None
            and (other := call.documents.get(not machine)) is not None
        ):
            # Without a voicemail message or digits, both hear the same.
            document = other
        else:
            document = bxml.play_script(
                script, machine=machine, gather_url=callback_url, method=call.method
            )
        call.documents[machine] = document
    return document


@callback
def largest_document(call: LiveCall, callback_url: str) -> int:
    """Return the size of the largest document the call would be answered with."""
    if call.script is None:
        return 0
    return max(
        len(answer_document(call, callback_url, machine=machine))
        for machine in (False, True)
    )


@callback
def step_document(
    call: LiveCall, step: CallStep, callback_url: str, *, streaming: bool = False
) -> bytes:
    """Return the document playing a step on a call (`streaming` to Assist)."""
    return bxml.play_step(
        step, callback_url=callback_url, method=call.method, streaming=streaming
    )
