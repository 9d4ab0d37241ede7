"""Content fingerprints of what a sweep computes, stable across processes.

A resumable sweep must never mix chunks of two different computations. The fingerprint
covers everything that decides a member's result and that Python lets us see:

* functions by *content*: their bytecode, constants (nested code objects recursively, by
  content, never by ``repr``, which holds memory addresses), the names they use, default
  arguments, the values captured by their closures and the module globals they read,
  recursively for every function they reach that is not part of a library;
* values by value: numbers, strings, NumPy/JAX arrays (dtype, shape and bytes), tuples,
  lists, dicts, dataclasses and equinox Modules (all fields, static ones included);
* classes defined outside libraries by their qualified name and the code of their
  methods (so editing a system's ``drift`` invalidates old chunks);
* library objects (jax, numpy, diffrax, ..., and jaxdyn outside its experiments) by
  qualified name and library version.

Anything else (an open file, a tracer, an object without a stable value) is recorded as
*unhashable*; the sweep then refuses to resume unless the caller names the sweep
explicitly (``sweep(..., version=...)``), taking responsibility for its identity.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import sys
import types
from typing import Any

import jax
import numpy as np

#: top-level modules whose objects are hashed by name (and version), not by content
LIBRARIES = frozenset(
    {
        "builtins",
        "abc",
        "collections",
        "dataclasses",
        "functools",
        "itertools",
        "math",
        "operator",
        "typing",
        "types",
        "jax",
        "jaxlib",
        "numpy",
        "scipy",
        "diffrax",
        "equinox",
        "optax",
        "lineax",
        "optimistix",
        "jaxtyping",
        "xarray",
        "matplotlib",
        "tqdm",
        "blackjax",
        "ott",
    }
)


class Fingerprint:
    """Feeds objects into one SHA-256; ``digest`` is the hex result, ``unhashable`` the
    places whose value could not be seen (empty when the fingerprint is complete)."""

    def __init__(self):
        self._h = hashlib.sha256()
        self._seen: dict[int, int] = {}
        self.unhashable: list[str] = []

    @property
    def digest(self) -> str:
        return self._h.hexdigest()

    def add(self, obj: Any, where: str = "") -> Fingerprint:
        self._feed(obj, where or type(obj).__name__, 0)
        return self

    # ------------------------------------------------------------------ dispatch
    def _tag(self, *parts: Any) -> None:
        for p in parts:
            self._h.update(str(p).encode())
            self._h.update(b"\x00")

    def _feed(self, obj: Any, where: str, depth: int) -> None:
        if depth > 60:
            self.unhashable.append(f"{where}: nested too deeply")
            return
        if obj is None or isinstance(obj, bool | int | float | complex | str | bytes):
            self._tag(type(obj).__name__, repr(obj))
            return
        if isinstance(obj, np.generic):
            self._tag("npscalar", obj.dtype, repr(obj.item()))
            return
        if isinstance(obj, jax.core.Tracer):
            self.unhashable.append(f"{where}: a traced value")
            return
        if isinstance(obj, np.ndarray | jax.Array):
            arr = np.asarray(obj)
            if arr.dtype == object:
                self._tag("objarray", arr.shape)
                for i, x in enumerate(arr.ravel()):
                    self._feed(x, f"{where}[{i}]", depth + 1)
                return
            if jax.dtypes.issubdtype(arr.dtype, jax.dtypes.prng_key):
                arr = np.asarray(jax.random.key_data(obj))
            self._tag("array", arr.dtype, arr.shape)
            self._h.update(np.ascontiguousarray(arr).tobytes())
            return
        # Containers and functions can be shared or recursive: hash each once.
        oid = id(obj)
        if oid in self._seen:
            self._tag("ref", self._seen[oid])
            return
        self._seen[oid] = len(self._seen)
        if isinstance(obj, tuple | list):
            self._tag(type(obj).__name__, len(obj))
            for i, x in enumerate(obj):
                self._feed(x, f"{where}[{i}]", depth + 1)
        elif isinstance(obj, dict):
            self._tag("dict", len(obj))
            for k in sorted(obj, key=repr):
                self._feed(k, f"{where} key", depth + 1)
                self._feed(obj[k], f"{where}[{k!r}]", depth + 1)
        elif isinstance(obj, frozenset | set):
            self._tag(type(obj).__name__, sorted(repr(x) for x in obj))
        elif isinstance(obj, types.ModuleType):
            self._tag("module", obj.__name__, _version(obj.__name__))
        elif isinstance(obj, functools.partial):
            self._tag("partial")
            self._feed(obj.func, f"{where}.func", depth + 1)
            self._feed(obj.args, f"{where}.args", depth + 1)
            self._feed(obj.keywords, f"{where}.keywords", depth + 1)
        elif isinstance(obj, types.MethodType):
            self._tag("method")
            self._feed(obj.__func__, f"{where}.__func__", depth + 1)
            self._feed(obj.__self__, f"{where}.__self__", depth + 1)
        elif isinstance(obj, types.FunctionType):
            self._function(obj, where, depth)
        elif isinstance(obj, types.CodeType):
            self._code(obj, where, depth)
        elif isinstance(obj, type):
            self._class(obj, where, depth)
        elif _is_library(type(obj)) and not dataclasses.is_dataclass(obj):
            # A library object (a diffrax solver, a jitted function): by type and repr when
            # the repr is free of addresses, else unhashable.
            r = repr(obj)
            if " at 0x" in r:
                name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
                if name is None:
                    self.unhashable.append(f"{where}: {type(obj).__qualname__} object")
                    return
                r = f"{getattr(obj, '__module__', '?')}.{name}"
            self._tag("libobj", _qualname(type(obj)), _version(type(obj).__module__), r)
        elif dataclasses.is_dataclass(obj):  # includes equinox Modules: every field
            self._class(type(obj), where, depth)
            for f in dataclasses.fields(obj):
                self._tag("field", f.name)
                self._feed(getattr(obj, f.name, None), f"{where}.{f.name}", depth + 1)
        elif callable(obj) and hasattr(obj, "__wrapped__"):
            self._feed(obj.__wrapped__, f"{where}.__wrapped__", depth + 1)
        elif hasattr(obj, "__dict__") and not _is_library(type(obj)):
            self._class(type(obj), where, depth)
            self._feed(vars(obj), f"{where}.__dict__", depth + 1)
        else:
            self.unhashable.append(f"{where}: {type(obj).__qualname__} object")

    # ------------------------------------------------------------------ code
    def _function(self, fn: types.FunctionType, where: str, depth: int) -> None:
        if _is_library_module(fn.__module__):
            self._tag("libfn", fn.__module__, fn.__qualname__, _version(fn.__module__))
            return
        self._tag("function", fn.__module__, fn.__qualname__)
        self._code(fn.__code__, f"{where}", depth)
        self._feed(fn.__defaults__, f"{where} defaults", depth + 1)
        self._feed(fn.__kwdefaults__, f"{where} kwdefaults", depth + 1)
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell (a name assigned later)
                self._tag("emptycell", name)
                continue
            self._tag("closure", name)
            self._feed(value, f"{where} closure {name!r}", depth + 1)
        g = fn.__globals__
        for name in sorted(_global_names(fn.__code__)):
            if name in g:
                self._tag("global", name)
                self._feed(g[name], f"{where} global {name!r}", depth + 1)
            elif hasattr(__builtins__, name) or name in dir(__import__("builtins")):
                self._tag("builtin", name)

    def _code(self, code: types.CodeType, where: str, depth: int) -> None:
        self._tag("code", code.co_name, code.co_argcount, code.co_kwonlyargcount)
        self._h.update(code.co_code)
        self._tag(code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)
        for i, const in enumerate(code.co_consts):
            if isinstance(const, types.CodeType):
                self._code(const, f"{where}/{const.co_name}", depth + 1)
            else:
                self._feed(const, f"{where} const {i}", depth + 1)

    def _class(self, cls: type, where: str, depth: int) -> None:
        self._tag("class", _qualname(cls))
        if _is_library(cls):
            self._tag(_version(cls.__module__))
            return
        # The code of the methods a user-defined class adds (its bases' too).
        for base in cls.__mro__:
            if _is_library(base) or base is object:
                continue
            for name in sorted(vars(base)):
                member = vars(base)[name]
                func = getattr(member, "__func__", member)
                if isinstance(func, types.FunctionType):
                    self._tag("method", _qualname(base), name)
                    self._code(func.__code__, f"{where}.{name}", depth + 1)
                elif isinstance(member, property) and member.fget is not None:
                    self._tag("property", _qualname(base), name)
                    self._code(member.fget.__code__, f"{where}.{name}", depth + 1)
                elif not name.startswith("__") and isinstance(member, int | float | str | bool):
                    self._tag("classvar", name, repr(member))


def _global_names(code: types.CodeType) -> set[str]:
    """Names a code object (and the code objects nested in it) may look up globally."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_library_module(module: str | None) -> bool:
    module = module or "builtins"
    if module.startswith("jaxdyn.") or module == "jaxdyn":
        # jaxdyn's own library code is identified by its version; its experiments are
        # user code (their member functions close over the values that matter).
        return not module.startswith("jaxdyn.experiments")
    return module.split(".")[0] in LIBRARIES


def _is_library(cls: type) -> bool:
    return _is_library_module(getattr(cls, "__module__", None))


@functools.cache
def _version(module: str | None) -> str:
    top = (module or "").split(".")[0]
    if top in sys.stdlib_module_names or not top:
        return ""
    try:
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        return ""


def fingerprint(*objs: Any, names: tuple[str, ...] | None = None) -> Fingerprint:
    """The :class:`Fingerprint` of ``objs`` (labelled by ``names`` in its notes)."""
    fp = Fingerprint()
    for i, obj in enumerate(objs):
        fp.add(obj, names[i] if names else f"argument {i}")
    return fp


__all__ = ["Fingerprint", "LIBRARIES", "fingerprint"]
