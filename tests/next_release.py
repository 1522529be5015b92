"""Let the test harness run on a Home Assistant release newer than it pins.

pytest-homeassistant-custom-component is released a while after each Home
Assistant release. Until it catches up, scripts/test installs the newest
Home Assistant over the newest harness (.venv-next) and loads this plugin
first (`-p tests.next_release`), for two things the harness does not know yet:

- Home Assistant 2026.11 aliases `httpx` to `httpx2` when `homeassistant` is
  first imported, and refuses once `httpx` is already imported; the harness
  imports respx (which imports httpx) first. So `homeassistant` is imported
  here, before the harness loads.
- `_clear_logger_overwrites`, which the harness imports from the logger
  integration, lives only in its `helpers` module from 2026.11. It is put back
  where the harness looks, once the logger integration is imported: importing
  it here would import Home Assistant's core before the harness patches its
  time and JSON functions.

When a harness release for the newest Home Assistant appears, the newest leg
moves to it and this module goes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

import homeassistant  # noqa: F401 - aliases httpx before the harness imports it

LOGGER_PACKAGE = "homeassistant.components.logger"


class _LoggerHelpersAlias(MetaPathFinder):
    """Finds the logger integration once, and adds the name after it runs."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,  # noqa: ARG002
        target: ModuleType | None = None,  # noqa: ARG002
    ) -> ModuleSpec | None:
        """Wrap the logger integration's loader; leave every other module be."""
        if fullname != LOGGER_PACKAGE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:  # pragma: no cover - no logger
            return spec
        loader: Loader = spec.loader
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if not hasattr(module, "_clear_logger_overwrites"):
                helpers = importlib.import_module(f"{LOGGER_PACKAGE}.helpers")
                module._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if LOGGER_PACKAGE not in sys.modules:  # pragma: no branch
    sys.meta_path.insert(0, _LoggerHelpersAlias())
