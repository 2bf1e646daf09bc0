"""Pure functions applied to request values in a way a plan can replay.

The compiled path builds a plan once per document shape, with some variables standing for
every value of their shape (compiled.shapes). A value that is only passed through a pure
function on its way into the SQL (a search text normalised into a tsquery) stays such a
stand-in when the function is applied with `derived`: the plan records the function and
applies it to each request's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")


def derived(function: Callable[[Any], Result], value: Any) -> Result:
    """`function(value)`; `function` must be pure (its result depends on the value only)."""
    through = getattr(type(value), "through", None)  # the type's: a stand-in's own attribute
    return through(value, function) if through is not None else function(value)
