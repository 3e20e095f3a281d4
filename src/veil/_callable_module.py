"""``veil.detect`` and ``veil.redact`` are both a function and a package.

``veil/__init__`` binds the functions, but Python rebinds ``veil.<name>`` to the
package whenever one of its submodules is imported for the first time. Making
the package module itself callable keeps ``veil.detect(text)`` working either way.
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
