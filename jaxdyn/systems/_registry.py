"""The registry of systems: every concrete System that jaxdyn ships, by name, with metadata."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import KINDS, AbstractSystem

_SYSTEMS: dict[str, type[AbstractSystem]] = {}


def register(cls: type[AbstractSystem]) -> type[AbstractSystem]:
    """Add a concrete System class to the registry under its ``name`` (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, AbstractSystem)):
        raise TypeError(f"only System classes can be registered, got {cls!r}")
    if cls.name in _SYSTEMS and _SYSTEMS[cls.name] is not cls:
        raise ValueError(f"a system named {cls.name!r} is already registered")
    _SYSTEMS[cls.name] = cls
    return cls


def names() -> list[str]:
    """Names of the registered systems, sorted."""
    return sorted(_SYSTEMS)


def get(name: str) -> type[AbstractSystem]:
    """The System class registered as ``name``."""
    if name not in _SYSTEMS:
        raise KeyError(f"unknown system {name!r}; available: {', '.join(names())}")
    return _SYSTEMS[name]


def kind_of(cls: type[AbstractSystem]) -> str:
    """The name of the most specific kind (``AbstractODE``, ``AbstractMap``, ...) of a class."""
    return next((k.__name__ for k in KINDS if issubclass(cls, k)), "?")


def info(name: str) -> dict[str, Any]:
    """Metadata of a registered system: kind, paper, reference, parameters with their
    defaults and ranges, default step and characteristic time."""
    cls = get(name)
    default = cls()
    params = {}
    for p, (lo, hi) in cls.param_ranges.items():
        v = np.asarray(getattr(default, p))
        params[p] = {
            "default": float(f"{v.item():.6g}") if v.ndim == 0 else f"array of shape {v.shape}",
            "range": (lo, hi),
        }
    doc = (cls.__doc__ or "").strip().splitlines()
    return {
        "name": name,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "kind": kind_of(cls),
        "paper": cls.paper,
        "reference": cls.reference,
        "description": doc[0] if doc else "",
        "parameters": params,
        "default_dt": cls.default_dt,
        "t_char": cls.t_char,
    }
