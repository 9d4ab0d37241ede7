"""Figures of the steelpan experiment."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Ellipse

from ...plotting import figure


def fig_examples(images: np.ndarray, labels: dict, dets: list[dict], cfg):
    """Held-out images with the true regions (green ellipses, true ring count) and the
    detections (red crosses, predicted ring count)."""
    n = images.shape[0]
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = figure(rows, cols, panel=(2.6, 2.8))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray", vmin=-0.2, vmax=1.2)
        for j in np.flatnonzero(labels["mask"][i]):
            (r, c), (a, b) = labels["centers"][i, j], labels["axes"][i, j]
            ax.add_patch(
                Ellipse(
                    (c, r),
                    2 * a,
                    2 * b,
                    angle=np.degrees(labels["angles"][i, j]),
                    fill=False,
                    ec="lime",
                    lw=1.0,
                )
            )
            ax.text(c - a, r - a, str(int(labels["rings"][i, j])), color="lime", fontsize=8)
        d = dets[i]
        for (r, c), k in zip(d["centers"], d["rings"], strict=True):
            ax.plot(c, r, "rx", ms=6, mew=1.5)
            ax.text(c + 2, r + 2, f"{k:.1f}", color="red", fontsize=8)
    fig.suptitle(f"held-out images, noise {cfg.noise:g}: true (green) vs detected (red)")
    return fig


def fig_noise(cfg, sweep: list[dict], paper: dict):
    """Precision, recall and ring-count accuracy of the trained detector vs noise level."""
    fig, axes = figure(1, 2, panel=(4.4, 3.4))
    a1, a2 = axes[0]
    x = np.asarray(cfg.eval_noises)
    for key, style in (("precision", "o-"), ("recall", "s-"), ("ring_count_accuracy", "^-")):
        a1.plot(x, [s[key] for s in sweep], style, label=key.replace("_", " "))
    a1.axhline(paper["ring_count_accuracy"], color="k", ls=":", label="paper: ring accuracy")
    a1.axvspan(0, cfg.train_noise_max, color="0.9", label="training noise range")
    a1.set(xlabel="noise level σ", ylabel="score", ylim=(-0.02, 1.05))
    a1.legend(fontsize=7)
    a2.plot(x, [s["center_error_px"] for s in sweep], "o-", label="centre error (px)")
    a2.plot(x, [s["ring_count_mae"] for s in sweep], "s-", label="ring count MAE")
    a2.set(xlabel="noise level σ", ylabel="error")
    a2.legend(fontsize=7)
    return fig
