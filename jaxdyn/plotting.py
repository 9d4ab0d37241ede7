"""Small shared figure helpers: one figure size and style, saving, log-log axes with
reference slopes, heatmaps.

Kept deliberately thin: experiments build their figures with matplotlib, starting from
:func:`figure` (panel size, layout) and saving through their run context (atomically, at
:data:`DPI`), so that every figure in the gallery looks alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# No backend is forced: matplotlib falls back to Agg on a headless machine by itself, and
# forcing it here would break inline figures in notebooks that import this module.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DPI = 110
#: width and height of one panel, inches
PANEL = (4.4, 3.6)


def figure(
    nrows: int = 1, ncols: int = 1, *, panel: tuple[float, float] = PANEL, **kw
) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows x ncols`` panels of the house size, constrained layout.

    Returns ``(fig, axes)`` with ``axes`` always a 2-D array (``squeeze=False``).
    """
    kw.setdefault("layout", "constrained")
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False, **kw
    )
    return fig, axes


def savefig(
    fig: Figure, path: str | os.PathLike, dpi: int | None = None, format: str | None = None
) -> str:
    """Save ``fig`` at ``dpi`` (default :data:`DPI`) with a tight bounding box, close it."""
    fig.savefig(path, dpi=dpi or DPI, bbox_inches="tight", format=format)
    plt.close(fig)
    return str(path)


def loglog(ax: Axes, xlabel: str | None = None, ylabel: str | None = None) -> Axes:
    """Log-log axes with labels and a light grid."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    return ax


def reference_slope(
    ax: Axes,
    slope: float,
    x_range: tuple[float, float],
    y_start: float,
    label: str | None = None,
    **kw,
) -> None:
    """Draw y = y_start (x / x_range[0])^slope over ``x_range`` (dashed, with a label)."""
    x = np.geomspace(*x_range, 20)
    style = {"color": "k", "ls": "--", "lw": 1.0, "alpha": 0.7}
    style.update(kw)
    ax.plot(x, y_start * (x / x_range[0]) ** slope, label=label, **style)


def log_heatmap(
    ax: Axes,
    x: Sequence[float],
    y: Sequence[float],
    z: np.ndarray,
    *,
    xlabel: str,
    ylabel: str,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    annotate: str | None = None,
    cbar_label: str | None = None,
):
    """Heatmap of ``z[iy, ix]`` on log-spaced axes ``x``, ``y`` (cell centres).

    NaN cells are drawn light grey. ``annotate`` is a format string (e.g. ``"{:.2f}"``)
    to print each value in its cell. Returns the image.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = np.ma.masked_invalid(np.asarray(z, dtype=float))
    cm = plt.get_cmap(cmap).copy()
    cm.set_bad("0.85")
    im = ax.pcolormesh(_edges(x), _edges(y), z, cmap=cm, vmin=vmin, vmax=vmax, shading="flat")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # ticks at the cell centres, plainly labelled (log minor ticks would crowd the axes)
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_yticks(y, [f"{v:g}" for v in y])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if annotate:
        for iy, yy in enumerate(y):
            for ix, xx in enumerate(x):
                if not np.ma.is_masked(z[iy, ix]):
                    ax.text(
                        xx,
                        yy,
                        annotate.format(z[iy, ix]),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="w",
                    )
    if cbar_label is not None:
        ax.figure.colorbar(im, ax=ax, label=cbar_label)
    return im


def _edges(c: np.ndarray) -> np.ndarray:
    """Cell edges of log-spaced centres (geometric midpoints, extrapolated at the ends)."""
    if c.size == 1:
        return np.array([c[0] / 1.5, c[0] * 1.5])
    lc = np.log(c)
    mid = 0.5 * (lc[1:] + lc[:-1])
    return np.exp(np.concatenate([[lc[0] - (mid[0] - lc[0])], mid, [lc[-1] + (lc[-1] - mid[-1])]]))


__all__ = ["DPI", "PANEL", "figure", "log_heatmap", "loglog", "reference_slope", "savefig"]
