"""Figures of the koopman_limits experiment."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from ...plotting import figure

CIRCLE = np.exp(1j * np.linspace(0, 2 * np.pi, 400))


def _scatter_eigs(ax, ev, r, norm, **kw):
    return ax.scatter(ev.real, ev.imag, c=np.maximum(r, 1e-16), norm=norm, cmap="viridis_r", **kw)


def fig_gauss(gm: dict, eps: float, spurious: float):
    """EDMD eigenvalues by residual, counts vs M, pseudospectra, Koenigs errors."""
    fig, axes = figure(2, 2, panel=(4.8, 4.2))
    a, b = axes[0]
    norm = LogNorm(1e-14, 1.0)
    sc = None
    for k, (ev, r) in enumerate(zip(gm["eigs"], gm["resid"], strict=True)):
        sc = _scatter_eigs(a, ev, r, norm, s=8 + 4 * k, marker="o")
    a.plot(CIRCLE.real, CIRCLE.imag, "k-", lw=0.5)
    fig.colorbar(sc, ax=a, label="ResDMD residual")
    a.set(
        aspect="equal",
        xlabel="Re λ",
        ylabel="Im λ",
        title=f"Gauss map: EDMD eigenvalues, M={tuple(int(m) for m in gm['sizes'])}",
    )
    b.plot(gm["sizes"], gm["spurious"], "o-", label=f"residual > {spurious:g} (rejected)")
    b.plot(gm["sizes"], gm["verified"], "s-", label=f"residual <= {eps:g} (verified)")
    b.set(
        xlabel="dictionary size M",
        ylabel="EDMD eigenvalues",
        title="Pollution persists and grows with M",
    )
    b.legend(fontsize=8)
    c, d = axes[1]
    z = gm["z"]
    styles = ["-", "--", ":", "-."]
    for k in range(min(3, len(gm["sizes"]))):
        i = len(gm["sizes"]) - 1 - k
        c.contour(
            z.real,
            z.imag,
            gm["pseudo"][i],
            levels=[0.01, 0.05, 0.1],
            colors=["C0", "C1", "C2"],
            linestyles=styles[k],
        )
        c.plot([], [], "k" + styles[k], label=f"M={int(gm['sizes'][i])}")
    c.plot(CIRCLE.real, CIRCLE.imag, "k-", lw=0.5)
    c.set(
        aspect="equal", xlabel="Re z", ylabel="Im z", title="ε-pseudospectra (ε = 0.01, 0.05, 0.1)"
    )
    c.legend(fontsize=8)
    for k in range(gm["koenigs_err"].shape[1]):
        d.semilogy(
            gm["sizes"], np.maximum(gm["koenigs_err"][:, k], 1e-17), "o-", label=f"(2/e)^{k}"
        )
    d.set(
        xlabel="dictionary size M",
        ylabel="distance to nearest verified eigenvalue",
        title="α = 1: verified vs Koenigs eigenvalues",
    )
    d.legend(fontsize=8)
    return fig


def fig_quadrature(qd: dict):
    """Galerkin-matrix errors against the number of quadrature nodes."""
    fig, axes = figure(1, 1, panel=(5.8, 4.4))
    ax = axes[0, 0]
    n = qd["nodes"]
    ax.errorbar(
        n,
        qd["monte_carlo"],
        yerr=qd["monte_carlo_sem"],
        fmt="o-",
        label=f"Monte Carlo (slope {qd['rate_mc']:.2f})",
    )
    ax.plot(n, qd["trapezoid"], "s-", label=f"trapezoid (slope {qd['rate_trapezoid']:.2f})")
    ax.plot(
        n,
        np.maximum(qd["gauss"], 1e-17),
        "^-",
        label=f"Gauss-Legendre (e^{{-{qd['gauss_log_rate']:.2f} N}})",
    )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="quadrature nodes N",
        ylabel="max relative error of G, A, L",
        title="Gauss map: quadrature vs convergence",
    )
    ax.legend(fontsize=8)
    return fig


def fig_pendulum(pd: dict):
    """Unitary bound, pseudospectra as M grows, convergence in the snapshot count."""
    fig, axes = figure(1, 3, panel=(4.4, 4.0))
    a, b, c = axes[0]
    for k, (ev, r) in enumerate(zip(pd["eigs"], pd["resid"], strict=True)):
        a.plot(np.abs(1 - np.abs(ev)), r, ".", ms=4, label=f"M={int(pd['sizes'][k])}")
    lim = [1e-4, 2]
    a.plot(lim, lim, "k--", lw=1, label="residual = 1 - |λ|")
    a.set(
        xscale="log",
        yscale="log",
        xlabel="1 - |λ| (distance to the circle)",
        ylabel="ResDMD residual",
        title="Pendulum: residuals >= 1 - |λ|",
    )
    a.legend(fontsize=7)
    z = pd["z"]
    for k in range(len(pd["sizes"])):
        b.contour(z.real, z.imag, pd["pseudo"][k], levels=[0.1], colors=[f"C{k}"])
        b.plot([], [], f"C{k}-", label=f"M={int(pd['sizes'][k])}")
    ev = pd["eigs"][-1]
    b.plot(ev.real, ev.imag, "k.", ms=3, label="EDMD eigenvalues (largest M)")
    b.plot(CIRCLE.real, CIRCLE.imag, "k-", lw=0.5)
    b.set(aspect="equal", xlabel="Re z", ylabel="Im z", title="0.1-pseudospectra vs M")
    b.legend(fontsize=7)
    c.semilogy(pd["grids"][:-1] ** 2, np.maximum(pd["snapshot_sup_diff"][:-1], 1e-16), "o-")
    c.set(
        xscale="log",
        xlabel="snapshots N",
        ylabel="sup |res_N(z) - res_finest(z)|",
        title="convergence in the snapshot count",
    )
    return fig


def fig_duffing(df: dict, eps: float):
    """Duffing EDMD eigenvalues by residual, with e^{(mμ + nμ̄)Δt}."""
    fig, axes = figure(1, 1, panel=(5.4, 4.6))
    ax = axes[0, 0]
    sc = _scatter_eigs(ax, df["eigs"], df["resid"], LogNorm(1e-6, 1.0), s=12)
    fig.colorbar(sc, ax=ax, label="ResDMD residual")
    ax.plot(
        df["theory"].real,
        df["theory"].imag,
        "r+",
        ms=12,
        mew=2,
        label=r"$e^{(m\mu+n\bar\mu)\Delta t}$, spirals",
    )
    ax.plot(CIRCLE.real, CIRCLE.imag, "k-", lw=0.5)
    ax.set(
        aspect="equal",
        xlabel="Re λ",
        ylabel="Im λ",
        title=f"Duffing: EDMD (M={df['size']}), verified: residual <= {eps:g}",
    )
    ax.legend(fontsize=8)
    return fig
