"""Making frozen dataclasses fast where the engine makes tens of thousands of them per evaluation.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` to get past its
own guard: about 150 ns a field, so 2–3 µs for a score line — more than everything else a fact row
costs. ``maker(cls)`` returns a function taking every field positionally that fills an object of a
twin class with the same slots and no guard, then gives it ``cls`` as its class (Python allows it:
the layouts are the same). The object is an ordinary, frozen ``cls``, made 4–6× faster.

Only for slotted, frozen dataclasses whose ``__init__`` does nothing else: no ``__post_init__``, no
``init=False`` field; defaults are not applied (every field is passed). Tests check each maker
against the class's own constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function ``make(*fields)`` equal to ``cls(*fields)``, several times faster."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    slots = getattr(cls, "__slots__", ())
    params = cls.__dict__.get("__dataclass_params__")
    if params is None or not params.frozen or tuple(slots) != tuple(names):
        raise TypeError(f"{cls.__name__}: not a frozen, slotted dataclass with every field in __init__")
    if hasattr(cls, "__post_init__") or any(not f.init for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: its __init__ does more than set the fields")
    twin = type(f"_{cls.__name__}Slots", (), {"__slots__": tuple(slots)})
    # Generated like the dataclass's own __init__: one plain assignment per field.
    body = "".join(f"    o.{name} = {name}\n" for name in names)
    source = f"def make({', '.join(names)}):\n    o = new(twin)\n{body}    o.__class__ = cls\n    return o\n"
    scope: dict[str, Any] = {"new": object.__new__, "twin": twin, "cls": cls}
    exec(source, scope)
    make: Callable[..., T] = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make
