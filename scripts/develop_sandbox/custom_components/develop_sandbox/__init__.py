"""Bandwidth Voice's setup pointed at the local sandbox, for scripts/develop.

Not part of the integration and never installed with it: scripts/develop and
the browser check put it on Home Assistant's path. Adding it opens Bandwidth
Voice's own setup with the Bandwidth API root field shown (config_flow.py);
it never has an entry of its own.
"""

from __future__ import annotations

DOMAIN = "develop_sandbox"
