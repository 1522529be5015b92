"""Where an entry's calls may go: country calling codes and premium rates.

The country calling codes are ITU-T's, every one in service: the countries
and territories, and the global services without a country (800
international freephone, 808 shared cost, 870 Inmarsat, 878 personal
numbers, 881 satellite phones, 882 and 883 international networks, 888
disaster relief, 979 international premium rate). Codes are one to three
digits and none starts another (ITU-T E.164 assigns them so), so a number has
at most one: its first digits that are one. Spare and reserved codes (28x,
80x, 99x, ...) are no country's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .const import CONF_ALLOWED_COUNTRY_CODES, CONF_FROM

_CODES = """
    1 7
    20 211 212 213 216 218 220 221 222 223 224 225 226 227 228 229
    230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247
    248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266
    267 268 269 27 290 291 297 298 299
    30 31 32 33 34 350 351 352 353 354 355 356 357 358 359 36
    370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 39
    40 41 420 421 423 43 44 45 46 47 48 49
    500 501 502 503 504 505 506 507 508 509 51 52 53 54 55 56 57 58
    590 591 592 593 594 595 596 597 598 599
    60 61 62 63 64 65 66 670 672 673 674 675 676 677 678 679
    680 681 682 683 685 686 687 688 689 690 691 692
    800 808 81 82 84 850 852 853 855 856 86 870 878 880 881 882 883 886 888
    90 91 92 93 94 95 960 961 962 963 964 965 966 967 968 970 971 972 973 974
    975 976 977 979 98 992 993 994 995 996 998
"""
# "+1", "+44", ...: as users write them, in numeric order.
COUNTRY_CODES: Final = tuple(f"+{code}" for code in sorted(map(int, _CODES.split())))
_BY_PREFIX: Final = frozenset(COUNTRY_CODES)

# Premium-rate numbers, never called whatever the options say or who asks:
# the North American plan's 900 and 976 ranges, and ITU-T's International
# Premium Rate Service. The callee sets their price, by the minute.
PREMIUM_RATE: Final = ("+1900", "+1976", "+979")
# The codes an entry may allow calls to: all but the premium-rate service.
ALLOWABLE_COUNTRY_CODES: Final = tuple(
    code for code in COUNTRY_CODES if code not in PREMIUM_RATE
)


def country_code(number: str) -> str | None:
    """Return the country calling code of an E.164 number ("+44"), if it has one."""
    for length in (2, 3, 4):
        if (prefix := number[:length]) in _BY_PREFIX:
            return prefix
    return None


def allowed_country_codes(options: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the country calling codes an entry's calls may go to.

    The option when set; else the country of the default caller ID, one of
    the account's numbers, where a home's calls usually go; else none.
    """
    if codes := options.get(CONF_ALLOWED_COUNTRY_CODES):
        return tuple(codes)
    caller = options.get(CONF_FROM)
    if isinstance(caller, str) and (code := country_code(caller)) is not None:
        return (code,)
    return ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a call may not go somewhere: a rule's translation key, its values."""

    rule: str
    values: dict[str, str] = field(default_factory=dict)


def destination_refusal(
    destination: str,
    allowed: tuple[str, ...],
    *,
    anywhere: bool = False,
    sip: bool = True,
) -> Refusal | None:
    """Return why a call may not go to a destination; None: it may.

    Premium-rate numbers are refused always; numbers outside the `allowed`
    country codes (or of no country) unless calls may go `anywhere`; SIP URIs
    unless `sip`.
    """
    if destination.startswith(PREMIUM_RATE):
        return Refusal(rule="premium_rate_destination")
    if destination.startswith("sip:"):
        return None if sip else Refusal(rule="sip_destination_admin_only")
    code = country_code(destination)
    if anywhere or code in allowed:
        return None
    if code is None:
        return Refusal(rule="unknown_country_code")
    if not allowed:
        return Refusal(rule="no_allowed_country_codes", values={"country_code": code})
    return Refusal(
        rule="destination_not_allowed",
        values={"country_code": code, "allowed_country_codes": ", ".join(allowed)},
    )
