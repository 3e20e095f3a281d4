"""``veil.detect`` and ``veil.redact`` are both a function and a package.

``veil.detect(text)`` is the short call users expect, while ``veil.detect`` also
has to stay the package (``import veil.detect as d; d.Detector``). Making the
package module callable gives both, whatever order submodules load in.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    sys.modules[module_name].__class__ = _CallableModule
