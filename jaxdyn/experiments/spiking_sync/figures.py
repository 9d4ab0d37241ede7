"""Figures of the spiking_sync experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure


def fig_kuramoto(dl: dict, lz: dict, gamma: float):
    fig, axes = figure(1, 2)
    a1, a2 = axes[0]
    a1.plot(
        dl["taus"],
        dl["Omega_theory"],
        "k-",
        lw=3,
        alpha=0.4,
        label=r"$\Omega=\omega-K\sin\Omega\tau$",
    )
    a1.plot(dl["taus"], dl["Omega_sim"], "o", label="delayed Kuramoto (DDE)")
    a1.set(
        xlabel=r"delay $\tau$", ylabel=r"locked frequency $\Omega$", title="identical oscillators"
    )
    a1.legend(fontsize=8)
    kk = np.linspace(0, max(lz["K"]) * 1.05, 300)
    a2.plot(kk, np.sqrt(np.clip(1 - 2 * gamma / np.maximum(kk, 1e-9), 0, None)), "k-", lw=3,
            alpha=0.4, label=r"$r=\sqrt{1-2\gamma/K}$")  # fmt: skip
    a2.plot(lz["K"], lz["r"], "o", label="simulation")
    a2.axvline(2 * gamma, color="gray", ls=":")
    a2.set(xlabel="coupling K", ylabel="order parameter r", title="Lorentzian, no delay")
    a2.legend(fontsize=8)
    return fig


def fig_network(ps: dict, n: int):
    fig, axes = figure(2, 2, panel=(5.0, 3.0))
    for col, label in enumerate(("uncoupled", "coupled")):
        d = ps[label]
        ax = axes[0, col]
        ax.plot(d["times"], d["neurons"], "k.", ms=1)
        ax.set(xlabel="t (ms)", ylabel="neuron", title=f"{label}: raster", ylim=(-1, n))
        axes[1, col].plot(d["t"], d["r"], lw=1)
        axes[1, col].set(xlabel="t (ms)", ylabel="spike-phase r(t)", ylim=(0, 1),
                         title=f"mean r = {d['r_mean']:.2f}, std {d['r_std']:.2f}")  # fmt: skip
    return fig


def fig_binding(bd: dict, side: int):
    fig, axes = figure(1, 3, panel=(4.0, 3.4))
    a0, a1, a2 = axes[0]
    a0.imshow(bd["groups"].reshape(side, side), cmap="coolwarm")
    a0.set(title="objects on the scaffold")
    for ax, label in ((a1, "uncoupled"), (a2, "coupled")):
        d = bd[label]
        g = bd["groups"][d["neurons"]]
        for lab, c in ((0, "tab:red"), (1, "tab:blue"), (-1, "gray")):
            m = g == lab
            ax.plot(d["times"][m], d["neurons"][m], ".", color=c, ms=1)
        ax.set(xlabel="t (ms)", ylabel="neuron",
               title=f"{label}: within {d['within']:.2f}, between {d['between']:.2f}")  # fmt: skip
    return fig
