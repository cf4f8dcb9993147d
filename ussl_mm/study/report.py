"""Tables, paired statistics and plots for a label-efficiency study."""
import csv
import json
import math
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np


def _mean_sd(values: Sequence[float]):
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return math.nan, math.nan
    sd = float(arr.std(ddof=1)) if arr.size > 1 else math.nan
    return float(arr.mean()), sd


def _pm(mean: float, sd: float) -> str:
    if math.isnan(mean):
        return 'n/a'
    return f'{mean:.2f}' if math.isnan(sd) else f'{mean:.2f} ± {sd:.2f}'


def _per_image_scores(work_dir: str, metric: str) -> Optional[Dict[str, float]]:
    """Per-image mean foreground score (``metric`` is 'Dice' or 'IoU').

    A class absent from both prediction and label is a perfect score (100):
    dropping such images would hide the other model's false positives.
    """
    path = osp.join(work_dir, 'per_image.json')
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        records = json.load(f)
    scores = {}
    for rec in records:
        vals = [
            100.0 if v is None else v for k, v in rec.items()
            if k.startswith(metric + '.') and k != f'{metric}.background'
        ]
        if vals:
            scores[rec['img_path']] = float(np.mean(vals))
    return scores


def paired_wilcoxon(a: Sequence[float], b: Sequence[float]) -> Dict:
    """Two-sided Wilcoxon signed-rank test of paired samples ``a - b``.

    Returns n, the mean difference and the p-value (NaN when fewer than 6
    non-zero pairs: the exact test cannot reach p < 0.05 below that).
    """
    from scipy.stats import wilcoxon
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    out = dict(n=int(diff.size), mean_diff=float(diff.mean()) if diff.size
               else math.nan, p=math.nan)
    if np.count_nonzero(diff) >= 6:
        out['p'] = float(wilcoxon(diff).pvalue)
    return out


def build_report(records: List[Dict], baseline: str, work_dir: str,
                 report_metrics: Sequence[str] = ('mIoU', 'mDice'),
                 primary_metric: str = 'mDice',
                 title: str = 'Label-efficiency study') -> str:
    """Write ``results.csv``, ``results.md`` and ``results.png``.

    Args:
        records (list[dict]): One per fine-tuning run: ``init``,
            ``label_fraction``, ``seed``, ``work_dir``, ``metrics``.
        baseline (str): Initialisation the others are compared with.
        work_dir (str): Where the files go.
        report_metrics (Sequence[str]): Dataset-level metrics in the table.
        primary_metric (str): Metric of the deltas and statistics.
        title (str): Heading of the markdown report.

    Returns:
        str: The markdown report (also printed by the caller).
    """
    os.makedirs(work_dir, exist_ok=True)
    class_keys = sorted({
        k
        for r in records for k in r['metrics']
        if k.startswith('IoU.') and not k.endswith('.background')
    })
    metrics = list(report_metrics) + class_keys
    inits = list(dict.fromkeys(r['init'] for r in records))
    fractions = sorted({r['label_fraction'] for r in records})
    by = {(r['init'], r['label_fraction'], r['seed']): r for r in records}

    # ---- csv: one row per run, with the paired delta vs the baseline
    csv_path = osp.join(work_dir, 'results.csv')
    with open(csv_path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['init', 'label_fraction', 'seed'] + metrics +
                        [f'delta_{primary_metric}_vs_{baseline}'])
        for r in records:
            base = by.get((baseline, r['label_fraction'], r['seed']))
            delta = (r['metrics'][primary_metric] -
                     base['metrics'][primary_metric]) if base else ''
            writer.writerow([r['init'], r['label_fraction'], r['seed']] +
                            [r['metrics'].get(m, '') for m in metrics] +
                            [delta if delta == '' else f'{delta:.2f}'])

    # ---- markdown: mean ± sd over seeds, delta, per-image statistics
    lines = [f'# {title}', '']
    seeds = sorted({r['seed'] for r in records})
    lines.append(
        f'Test split; mean ± sd over {len(seeds)} seed(s) {seeds}. '
        f'Δ = paired difference in {primary_metric} vs `{baseline}` '
        '(same fraction, same seed). p: two-sided Wilcoxon signed-rank '
        f'test on per-image foreground {primary_metric.lstrip("m")} '
        '(each image averaged over seeds), n = test images.')
    lines.append('')
    header = ['labels', 'init'] + metrics + [f'Δ {primary_metric}', 'p (n)']
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '---|' * len(header))
    summary = defaultdict(dict)
    for frac in fractions:
        for init in inits:
            runs = [
                r for r in records
                if r['init'] == init and r['label_fraction'] == frac
            ]
            if not runs:
                continue
            cells = []
            for m in metrics:
                mean, sd = _mean_sd(
                    [r['metrics'][m] for r in runs if m in r['metrics']])
                summary[(init, frac)][m] = (mean, sd)
                cells.append(_pm(mean, sd))
            if init == baseline:
                cells += ['—', '—']
            else:
                deltas = []
                a_img, b_img = defaultdict(list), defaultdict(list)
                for r in runs:
                    base = by.get((baseline, frac, r['seed']))
                    if base is None:
                        continue
                    deltas.append(r['metrics'][primary_metric] -
                                  base['metrics'][primary_metric])
                    pm = primary_metric.lstrip('m')
                    sa = _per_image_scores(r['work_dir'], pm)
                    sb = _per_image_scores(base['work_dir'], pm)
                    if sa and sb:
                        for k in set(sa) & set(sb):
                            a_img[k].append(sa[k])
                            b_img[k].append(sb[k])
                mean, sd = _mean_sd(deltas)
                sign = '+' if mean >= 0 else ''
                cells.append(sign + _pm(mean, sd))
                # Seeds of one image are not independent samples: average
                # them, then test across images.
                imgs = sorted(a_img)
                stat = paired_wilcoxon([np.mean(a_img[k]) for k in imgs],
                                       [np.mean(b_img[k]) for k in imgs])
                summary[(init, frac)]['stat'] = stat
                cells.append('n/a' if math.isnan(stat['p']) else
                             f'{stat["p"]:.3g} ({stat["n"]})')
            lines.append('| ' + ' | '.join([f'{frac:g}%', init] + cells) +
                         ' |')
    lines.append('')

    png = _plot(summary, inits, fractions, primary_metric,
                osp.join(work_dir, 'results.png'))
    if png:
        lines.append(f'![{primary_metric} per label fraction]'
                     f'({osp.basename(png)})')
        lines.append('')
    report = '\n'.join(lines)
    with open(osp.join(work_dir, 'results.md'), 'w', encoding='utf-8') as f:
        f.write(report)
    return report


def _plot(summary, inits, fractions, metric, path) -> Optional[str]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    width = 0.8 / max(len(inits), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(fractions), 3.2))
    x = np.arange(len(fractions))
    for i, init in enumerate(inits):
        means = [summary[(init, f)].get(metric, (np.nan, np.nan))[0]
                 for f in fractions]
        sds = [summary[(init, f)].get(metric, (np.nan, np.nan))[1]
               for f in fractions]
        sds = [0 if math.isnan(s) else s for s in sds]
        bars = ax.bar(x + (i - (len(inits) - 1) / 2) * width, means, width,
                      yerr=sds, capsize=3, label=init)
        for b, m in zip(bars, means):
            if not math.isnan(m):
                ax.annotate(f'{m:.1f}', (b.get_x() + b.get_width() / 2,
                                         b.get_height()),
                            ha='center', va='bottom', fontsize=7)
    ax.set_xticks(x, [f'{f:g}%' for f in fractions])
    ax.set_xlabel('labelled training images')
    ax.set_ylabel(f'test {metric} (%)')
    ax.legend(fontsize=8, loc='lower right')
    ax.set_ylim(0, 100)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
