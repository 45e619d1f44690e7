"""xlsxform's models built without pydantic's plugin scan.

pydantic looks for plugins in every installed package's metadata when it
builds a model's validator, unless PYDANTIC_DISABLE_PLUGINS switches that
off; xlsxform's models use none.  Even switched off, the loader module's own
import pulls in importlib.metadata (and with it email, csv and zipfile's
friends), a cost paid before the check.  While the scan is off, a stand-in
answers for the loader; the first time a validator is built with the scan on,
it hands over to pydantic's own loader, so plugins are found as before.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

SWITCH = "PYDANTIC_DISABLE_PLUGINS"
OFF = ("__all__", "1", "true")
"""The values of SWITCH that turn every plugin off (pydantic's own test)."""
LOADER = "pydantic.plugin._loader"


class _Loader(types.ModuleType):
    """pydantic's plugin loader for as long as plugins are switched off."""

    def get_plugins(self) -> Iterable[Any]:
        if os.environ.get(SWITCH) in OFF:
            return ()
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        return importlib.import_module(LOADER).get_plugins()  # type: ignore[no-any-return]


def switch_off() -> None:
    """Switch the scan off for the rest of the process (the command line),
    unless the environment has its own setting."""
    os.environ.setdefault(SWITCH, "__all__")
    _stand_in()


@contextmanager
def no_plugins() -> Iterator[None]:
    """Build xlsxform's models with the scan off, restoring the setting
    after: the program's own models still get its plugins."""
    saved = os.environ.get(SWITCH)
    os.environ[SWITCH] = "__all__"
    _stand_in()
    try:
        yield
    finally:
        if saved is None:
            del os.environ[SWITCH]
        else:
            os.environ[SWITCH] = saved


def _stand_in() -> None:
    if os.environ.get(SWITCH) in OFF and LOADER not in sys.modules:
        sys.modules[LOADER] = _Loader(LOADER)
