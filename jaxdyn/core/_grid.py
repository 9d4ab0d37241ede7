"""Parameter grids: a cartesian product of axes, or an explicit list of points."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from jaxtyping import ArrayLike


class Grid:
    """Points in parameter space, with the labels a Dataset needs.

    Build one with :meth:`product` (every combination; one dimension per parameter) or
    :meth:`points` (an explicit list; one dimension ``"point"``). ``values[name]`` holds
    the flat per-point values, in C order over ``shape``.
    """

    def __init__(self, values: dict[str, np.ndarray], shape: tuple[int, ...], dims, coords):
        self.values = values
        self.shape = shape
        self.dims = tuple(dims)
        self.coords = coords

    @classmethod
    def product(cls, axes: Mapping[str, ArrayLike] | None = None, **kw: ArrayLike) -> Grid:
        """Cartesian product: ``Grid.product(K=[1, 2], sigma=[0.1, 0.2, 0.3])`` has 6 points."""
        axes = {**(axes or {}), **kw}
        cols = {k: _column(k, v) for k, v in axes.items()}
        if not cols:
            raise ValueError("grid needs at least one parameter axis")
        shape = tuple(len(c) for c in cols.values())
        mesh = np.meshgrid(*cols.values(), indexing="ij")
        values = {k: m.reshape(-1) for k, m in zip(cols, mesh, strict=True)}
        return cls(values, shape, cols.keys(), {k: (k, c) for k, c in cols.items()})

    @classmethod
    def points(cls, columns: Mapping[str, ArrayLike] | None = None, **kw: ArrayLike) -> Grid:
        """Explicit list: ``Grid.points(K=[1, 2], sigma=[0.1, 0.5])`` has 2 points."""
        columns = {**(columns or {}), **kw}
        cols = {k: _column(k, v) for k, v in columns.items()}
        if not cols:
            raise ValueError("grid needs at least one parameter column")
        lengths = {k: len(c) for k, c in cols.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"grid columns must have equal lengths, got {lengths}")
        n = next(iter(lengths.values()))
        return cls(cols, (n,), ("point",), {k: ("point", c) for k, c in cols.items()})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)

    def __len__(self) -> int:
        return int(np.prod(self.shape))

    def __repr__(self) -> str:
        return f"Grid(dims={self.dims}, shape={self.shape}, names={self.names})"


def _column(name: str, v: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"grid axis {name!r} must hold numbers, got {v!r}") from None
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1:
        raise ValueError(f"grid axis {name!r} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"grid axis {name!r} is empty: give at least one value")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"grid axis {name!r} contains NaN or infinite values")
    return arr
