"""Typed, frozen, validated experiment configurations.

An experiment's configuration is a frozen dataclass deriving from :class:`Config`, each
field declared with :func:`param` (default, meaning, allowed range or choices)::

    @dataclass(frozen=True)
    class Sync1DConfig(Config):
        L: int = param(64, "ring size", low=3)
        K: tuple[float, ...] = param((0.5, 1.0), "coupling strengths", low=0.0)

Construction validates every field (type, finiteness, range, choices, non-empty tuples)
and raises ``ValueError`` naming it. :func:`parse_overrides` turns the command line's
``--set key=value`` strings into a new config through the same validation, naming the
``--set`` key, before anything is computed. :meth:`Config.hash` is the one hash of a
config (for caches and run directories).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Literal


def param(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[Any] | None = None,
) -> Any:
    """A config field: its default, what it means, and its allowed values.

    ``low``/``high`` bound numbers (and every element of a tuple of numbers), inclusive;
    ``choices`` lists the allowed values of a string (or of each tuple element).
    """
    if isinstance(default, list):
        default = tuple(default)
    meta = {"help": help, "low": low, "high": high, "choices": tuple(choices) if choices else None}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every experiment's configuration; ``seed`` fixes all its random draws."""

    seed: int = param(0, "seed of every random draw of the run", low=0)

    _type_cache: ClassVar[dict] = {}

    def __post_init__(self):
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            value = _check(f.name, getattr(self, f.name), hints[f.name], f.metadata)
            object.__setattr__(self, f.name, value)

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` applied (validated)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(
                f"unknown config key {unknown[0]!r}; valid keys: {', '.join(self.keys())}"
            )
        return dataclasses.replace(self, **changes)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def hash(self) -> str:
        """Stable hash of the configuration (class name and every value)."""
        blob = json.dumps([type(self).__qualname__, self.to_dict()], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per field: name, type, default, allowed values, meaning."""
        hints = _hints(cls)
        rows = []
        for f in dataclasses.fields(cls):
            m = f.metadata
            rows.append(
                {
                    "name": f.name,
                    "type": _type_name(hints[f.name]),
                    "default": _plain(f.default),
                    "allowed": _allowed(m),
                    "help": m.get("help", ""),
                }
            )
        return rows


def _hints(cls: type) -> dict[str, Any]:
    if cls not in Config._type_cache:
        Config._type_cache[cls] = typing.get_type_hints(cls)
    return Config._type_cache[cls]


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        return f"tuple of {_type_name(typing.get_args(tp)[0])}"
    if origin is Literal:
        return "one of " + "/".join(map(str, typing.get_args(tp)))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _allowed(meta: Any) -> str:
    if meta.get("choices"):
        return "{" + ", ".join(map(str, meta["choices"])) + "}"
    lo, hi = meta.get("low"), meta.get("high")
    if lo is None and hi is None:
        return "any"
    return f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"


def _check(name: str, value: Any, tp: Any, meta: Any) -> Any:
    """Validate (and normalise: lists to tuples, ints to floats) one field value."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        tp = next(a for a in args if a is not type(None))
        origin = typing.get_origin(tp)
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(f"config {name!r} must be a list of {_type_name(elem)}, got {value!r}")
        if len(value) == 0:
            raise ValueError(f"config {name!r} must not be empty")
        return tuple(_check(f"{name}[{i}]", v, elem, meta) for i, v in enumerate(value))
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ValueError(f"config {name!r} must be one of {list(allowed)}, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ValueError(f"config {name!r} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"config {name!r} must be an integer, got {value!r}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"config {name!r} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"config {name!r} must be finite, got {value!r}")
    elif tp is str:
        if not isinstance(value, str):
            raise ValueError(f"config {name!r} must be a string, got {value!r}")
    if isinstance(value, int | float):
        lo, hi = meta.get("low"), meta.get("high")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"config {name!r} must lie in {_allowed(meta)}, got {value!r}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ValueError(f"config {name!r} must be one of {list(meta['choices'])}, got {value!r}")
    return value


def _parse(raw: str, tp: Any, key: str) -> Any:
    """A ``--set`` string as a value of type ``tp`` (validation happens in the Config)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if raw.lower() in {"none", "null"}:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
        origin = typing.get_origin(tp)
    if origin is tuple:
        parts = [p.strip() for p in raw.split(",")]
        if not raw.strip() or any(p == "" for p in parts):
            raise ValueError(f"--set {key}: give a non-empty comma-separated list, got {raw!r}")
        elem = typing.get_args(tp)[0]
        return tuple(_parse(p, elem, key) for p in parts)
    if origin is Literal:
        allowed = typing.get_args(tp)
        for a in allowed:
            if str(a) == raw:
                return a
        raise ValueError(f"--set {key}: must be one of {list(allowed)}, got {raw!r}")
    try:
        if tp is bool:
            low = raw.lower()
            if low not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError
            return low in {"true", "1", "yes"}
        if tp is int:
            return int(raw)
        if tp is float:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(f"--set {key}: must be finite, got {raw!r}")
            return value
    except ValueError as err:
        if str(err).startswith("--set"):
            raise
        raise ValueError(f"--set {key}: cannot read {raw!r} as {_type_name(tp)}") from None
    return raw


def parse_overrides(config: Config, pairs: Sequence[str]) -> Config:
    """Apply ``key=value`` strings to ``config``; every error names the ``--set`` key."""
    hints = _hints(type(config))
    changes: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        key, raw = pair.split("=", 1)
        key = key.strip()
        if key not in hints or key.startswith("_"):
            raise ValueError(
                f"unknown --set key {key!r}; valid keys: {', '.join(type(config).keys())}"
            )
        changes[key] = _parse(raw.strip(), hints[key], key)
    try:
        return config.replace(**changes)
    except ValueError as err:
        msg = str(err)
        for key in changes:
            if f"config {key!r}" in msg or f"config '{key}[" in msg:
                raise ValueError(f"--set {key}: {msg}") from None
        raise


def _plain(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [_plain(v) for v in x]
    return x


__all__ = ["Config", "param", "parse_overrides"]
