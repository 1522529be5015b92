"""Country calling codes: which country a number calls, and where calls may go."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bandwidth.const import CONF_ALLOWED_COUNTRY_CODES, CONF_FROM
from custom_components.bandwidth.countries import (
    ALLOWABLE_COUNTRY_CODES,
    COUNTRY_CODES,
    Refusal,
    allowed_country_codes,
    country_code,
    destination_refusal,
)

from .helpers import FROM_NUMBER

US = "+15555551234"
UK = "+447700900123"
# No country has +28.
NOWHERE = "+2801234567"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (US, "+1"),
        (UK, "+44"),
        ("+79161234567", "+7"),
        ("+201001234567", "+20"),
        ("+212522123456", "+212"),
        ("+353861234567", "+353"),
        ("+97612345678", "+976"),
        ("+8821612345678", "+882"),
        ("+979123456789", "+979"),
        (NOWHERE, None),
        ("+8012345678", None),
        ("+99912345", None),
        ("+3", None),
        ("sip:door@pbx.example.test", None),
    ],
)
def test_country_code(number: str, code: str | None) -> None:
    """A number's country calling code is its first digits that are one."""
    assert country_code(number) == code


@given(
    code=st.sampled_from(COUNTRY_CODES),
    rest=st.from_regex(r"[0-9]{0,12}", fullmatch=True),
)
def test_no_code_starts_another(code: str, rest: str) -> None:
    """Whatever follows a country code, the number is that country's."""
    assert country_code(code + rest) == code


def test_the_codes() -> None:
    """ITU-T's codes in service, in numeric order; all but +979 may be allowed."""
    assert len(COUNTRY_CODES) == 215
    assert [int(code) for code in COUNTRY_CODES] == sorted(
        int(code) for code in COUNTRY_CODES
    )
    assert {"+1", "+7", "+44", "+383", "+881", "+998"} <= set(COUNTRY_CODES)
    assert set(COUNTRY_CODES) - set(ALLOWABLE_COUNTRY_CODES) == {"+979"}


@pytest.mark.parametrize(
    ("options", "allowed"),
    [
        ({CONF_FROM: FROM_NUMBER}, ("+1",)),
        ({CONF_FROM: "+442071234567"}, ("+44",)),
        (
            {CONF_FROM: FROM_NUMBER, CONF_ALLOWED_COUNTRY_CODES: ["+44", "+33"]},
            ("+44", "+33"),
        ),
        # Saved before Bandwidth wanted a number: no country.
        ({CONF_FROM: "Anonymous"}, ()),
        ({}, ()),
    ],
)
def test_allowed_country_codes(
    options: dict[str, Any], allowed: tuple[str, ...]
) -> None:
    """The option when set, else the default caller ID's country, else none."""
    assert allowed_country_codes(options) == allowed


@pytest.mark.parametrize(
    ("destination", "allowed", "kwargs", "refusal"),
    [
        (US, ("+1",), {}, None),
        (
            UK,
            ("+1",),
            {},
            Refusal(
                rule="destination_not_allowed",
                values={"country_code": "+44", "allowed_country_codes": "+1"},
            ),
        ),
        (
            UK,
            ("+1", "+33"),
            {},
            Refusal(
                rule="destination_not_allowed",
                values={"country_code": "+44", "allowed_country_codes": "+1, +33"},
            ),
        ),
        (
            UK,
            (),
            {},
            Refusal(rule="no_allowed_country_codes", values={"country_code": "+44"}),
        ),
        (UK, (), {"anywhere": True}, None),
        (NOWHERE, ("+1",), {}, Refusal(rule="unknown_country_code")),
        (NOWHERE, (), {"anywhere": True}, None),
        (
            "+19005550100",
            ("+1",),
            {"anywhere": True},
            Refusal(rule="premium_rate_destination"),
        ),
        ("+19765550100", ("+1",), {}, Refusal(rule="premium_rate_destination")),
        (
            "+979123456789",
            (),
            {"anywhere": True},
            Refusal(rule="premium_rate_destination"),
        ),
        # Not premium: Mongolia, and a number of the 976 area code's neighbour.
        ("+97612345678", ("+976",), {}, None),
        ("+19785550100", ("+1",), {}, None),
        ("sip:door@pbx.example.test", (), {}, None),
        (
            "sip:door@pbx.example.test",
            ("+1",),
            {"sip": False},
            Refusal(rule="sip_destination_admin_only"),
        ),
    ],
)
def test_destination_refusal(
    destination: str,
    allowed: tuple[str, ...],
    kwargs: dict[str, bool],
    refusal: Refusal | None,
) -> None:
    """Premium rates always, other countries unless anywhere, SIP unless allowed."""
    assert destination_refusal(destination, allowed, **kwargs) == refusal
