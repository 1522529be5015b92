"""Constants for the Bandwidth Voice integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "bandwidth"
LOGGER = logging.getLogger(__package__)
