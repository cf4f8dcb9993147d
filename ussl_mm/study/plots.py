"""Figures of the study report (matplotlib, Agg backend)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: (init, fraction) -> (mean, sd) of one metric.
Summary = Dict[Tuple[str, float], Tuple[float, float]]


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_label_curve(summary: Summary,
                     inits: Sequence[str],
                     fractions: Sequence[float],
                     metric: str,
                     path: str,
                     reference: Optional[Tuple[str, float]] = None) -> str:
    """Metric vs label fraction on a log x axis, mean +- sd over seeds, one
    line per initialisation.

    Args:
        summary (dict): ``(init, fraction) -> (mean, sd)``.
        inits (Sequence[str]): Lines, in legend order.
        fractions (Sequence[float]): Label fractions (%).
        metric (str): Axis label.
        path (str): Output PNG.
        reference (tuple, optional): ``(label, value)`` drawn as a dashed
            horizontal line (e.g. scratch at 100 %). Defaults to None.

    Returns:
        str: ``path``.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for init in inits:
        xs, ms, sds = [], [], []
        for f in fractions:
            mean, sd = summary.get((init, f), (math.nan, math.nan))
            if math.isnan(mean):
                continue
            xs.append(f)
            ms.append(mean)
            sds.append(0.0 if math.isnan(sd) else sd)
        if xs:
            ax.errorbar(xs, ms, yerr=sds, marker='o', capsize=3,
                        label=init)
    if reference is not None and not math.isnan(reference[1]):
        ax.axhline(reference[1], color='gray', linestyle='--', linewidth=1,
                   label=reference[0])
    ax.set_xscale('log')
    ax.set_xticks(list(fractions))
    ax.set_xticklabels([f'{f:g}%' for f in fractions])
    ax.minorticks_off()
    ax.set_xlabel('labelled training images (log scale)')
    ax.set_ylabel(f'test {metric} (%)')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_scaling(points: Dict[str, List[Tuple[float, float, float]]],
                 fits: Dict[str, object],
                 metric: str,
                 path: str,
                 xlabel: str = 'pretraining images (% of the unlabelled '
                 'pool)') -> str:
    """Metric vs pretraining-set size with the power-law fits.

    Args:
        points (dict): Series label -> ``[(x, mean, sd), ...]``.
        fits (dict): Series label -> :class:`~ussl_mm.study.stats.
            PowerLawFit` (drawn when ``ok``).
        metric (str): Axis label.
        path (str): Output PNG.
        xlabel (str): X axis label.

    Returns:
        str: ``path``.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for label, pts in points.items():
        pts = sorted(pts)
        xs = np.array([p[0] for p in pts])
        line = ax.errorbar(xs, [p[1] for p in pts],
                           yerr=[0 if math.isnan(p[2]) else p[2]
                                 for p in pts],
                           marker='o', linestyle='none', capsize=3,
                           label=label)
        fit = fits.get(label)
        if fit is not None and fit.ok:
            grid = np.geomspace(xs.min(), xs.max(), 100)
            ax.plot(grid, fit.predict(grid), color=line[0].get_color(),
                    linewidth=1,
                    label=f'{label}: {fit.a:.3g}·x^{fit.k:.3g} + {fit.c:.3g}')
    ax.set_xscale('log')
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f'test {metric} (%)')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
