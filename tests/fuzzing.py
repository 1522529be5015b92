"""Shared pieces of the property-based tests: the loop bridge and nasty values."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


class Bridge:
    """Run coroutines on Home Assistant's loop from the thread Hypothesis uses."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Bridge to this instance's loop."""
        self.hass = hass

    def run[T](self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.hass.loop).result(30)


async def run_in_worker(hass: HomeAssistant, check: Callable[[], None]) -> None:
    """Run a Hypothesis test function off the loop, which stays free to serve it."""
    await hass.async_add_executor_job(check)


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


# --- Values ------------------------------------------------------------------

# Anything a service call's data could carry (YAML, JSON, templates).
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(10**400)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# Text with everything that trips up XML, HTTP headers and regular expressions.
NASTY_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "&amp;",
        "&#0;",
        "]]>",
        "<![CDATA[x]]>",
        "<!DOCTYPE x>",
        "<?xml version='1.0'?>",
        "<speak><prosody rate='slow'>hi</prosody></speak>",
        '<break time="3s"/>',
        "</SpeakSentence><Hangup/>",
        "\x00",
        "\x07",
        "\x1b[31m",
        "\x7f",
        "\x85",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\u2028",
        "\u200b",
        "\ufeff",
        "\ufffe",
        "\uffff",
        "\U0001f4de",
        " ",
        "\xa0",
    ]
)
NASTY_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(NASTY_PIECES, st.text(max_size=5)), max_size=8).map("".join),
)
