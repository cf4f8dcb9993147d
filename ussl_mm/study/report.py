"""The one report of a label-efficiency study: ``results.md`` with every
table and figure, plus ``results.csv`` (one row per run).

The numbers come from the runs' files (``test_metrics.json``,
``per_image.json``, ``clinical_per_image.json``); every statistic is one of
:mod:`ussl_mm.study.stats` (pure functions, tested on constructed inputs).
"""
import csv
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..utils.atomic import atomic_open, atomic_write_text
from . import stats
from .plots import plot_label_curve, plot_scaling
from .spec import StudySpec


def _mean_sd(values: Sequence[float]) -> Tuple[float, float]:
    arr = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if arr.size == 0:
        return math.nan, math.nan
    sd = float(arr.std(ddof=1)) if arr.size > 1 else math.nan
    return float(arr.mean()), sd


def _pm(mean: float, sd: float, digits: int = 2) -> str:
    if math.isnan(mean):
        return 'n/a'
    if math.isnan(sd):
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {sd:.{digits}f}'


def _p(p: float) -> str:
    return 'n/a' if math.isnan(p) else f'{p:.3g}'


def _rel(path: Optional[str], start: str) -> str:
    if not path:
        return ''
    return osp.relpath(path, start)


def per_image_scores(path: Optional[str],
                     metric: str) -> Optional[Dict[str, float]]:
    """Per-image mean foreground score from a ``PerClassIoUMetric``
    per-image file.

    A class absent from both prediction and label (``null``) scores 100:
    dropping such images would hide the other model's false positives.
    Slices of a volume are told apart by their ``slice_idx``.

    Args:
        path (str, optional): ``per_image.json``.
        metric (str): ``'Dice'`` or ``'IoU'``.

    Returns:
        dict | None: ``img_path -> score``; None without a file.
    """
    if not path or not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        records = json.load(f)
    scores = {}
    for rec in records:
        vals = [
            100.0 if v is None or (isinstance(v, float) and math.isnan(v))
            else float(v) for k, v in rec.items()
            if k.startswith(metric + '.') and k != f'{metric}.background'
        ]
        if vals:
            key = rec['img_path'] if rec.get('slice_idx') is None else \
                f'{rec["img_path"]}#{rec["slice_idx"]}'
            scores[key] = float(np.mean(vals))
    return scores or None


def never_predicted(metrics: Dict) -> List[str]:
    """Classes a run never predicted although they occur in the ground
    truth of its test set (``PerClassIoUMetric``'s ``never_predicted.<c>``
    keys; the count ``never_predicted`` alone gives ``['?']``).

    Args:
        metrics (dict): The run's test metrics.

    Returns:
        list[str]: Class names, empty when the run predicted every class.
    """
    names = sorted(k.split('.', 1)[1] for k, v in metrics.items()
                   if k.startswith('never_predicted.') and v)
    if not names and metrics.get('never_predicted'):
        names = ['?']
    return names


class StudyReport:
    """Builds ``results.md`` / ``results.csv`` from the run records.

    Args:
        records (list[dict]): One per fine-tuning run (see
            :meth:`LabelEfficiencyStudy.run`).
        spec (StudySpec): The study.
        main_size (float): Pretraining-set size of the main tables.
            Defaults to 100.
    """

    def __init__(self, records: List[Dict], spec: StudySpec,
                 main_size: float = 100.0):
        self.spec = spec
        self.all_records = records
        self.main_size = main_size
        self.records = [
            r for r in records
            if r.get('pretrain_size') in (None, main_size)
        ]
        order = [i.name for i in spec.initialisations]
        present = {r['init'] for r in self.records}
        self.inits = [n for n in order if n in present]
        self.fractions = sorted({r['label_fraction'] for r in self.records})
        self.work_dir = spec.work_dir
        self.metric = spec.primary_metric
        self.image_metric = {'mDice': 'Dice', 'mIoU': 'IoU'}.get(self.metric)

    # --------------------------------------------------------------- data
    def runs(self, init: str, frac: float,
             records: Optional[List[Dict]] = None) -> List[Dict]:
        """Records of one row, sorted by seed."""
        return sorted((r for r in (records or self.records)
                       if r['init'] == init and r['label_fraction'] == frac),
                      key=lambda r: r['seed'])

    def summary(self, metric: str) -> Dict[Tuple[str, float],
                                            Tuple[float, float]]:
        """``(init, fraction) -> (mean, sd)`` of ``metric`` over seeds."""
        out = {}
        for init in self.inits:
            for frac in self.fractions:
                vals = [r['metrics'].get(metric)
                        for r in self.runs(init, frac)]
                out[(init, frac)] = _mean_sd(vals)
        return out

    def compare(self, init: str, ref: str, frac: float,
                records: Optional[List[Dict]] = None) -> Optional[Dict]:
        """``init`` vs ``ref`` at one fraction over their common seeds.

        Returns:
            dict | None: ``delta`` (mean over seeds of the dataset-level
            primary metric difference), ``n_seeds``, ``seeds`` (a
            :class:`~ussl_mm.study.stats.SeedComparison` of that metric,
            None with fewer than 3 common seeds) and ``comparison`` (a
            :class:`~ussl_mm.study.stats.PairedComparison` of per-image
            scores, None without per-image results); None when the two
            share no seed.
        """
        a = {r['seed']: r for r in self.runs(init, frac, records)}
        b = {r['seed']: r for r in self.runs(ref, frac)}
        seeds = sorted(set(a) & set(b))
        if not seeds:
            return None
        both = [
            s for s in seeds
            if self.metric in a[s]['metrics'] and self.metric in b[s]['metrics']
        ]
        values_a = [a[s]['metrics'][self.metric] for s in both]
        values_b = [b[s]['metrics'][self.metric] for s in both]
        delta = _mean_sd([x - y for x, y in zip(values_a, values_b)])
        seed_test = None
        if len(both) >= 3:
            seed_test = stats.compare_seeds(
                values_a, values_b, threshold=self.spec.practical_threshold)
        comparison = None
        if self.image_metric:
            sa = [per_image_scores(a[s].get('per_image_file'),
                                   self.image_metric) for s in seeds]
            sb = [per_image_scores(b[s].get('per_image_file'),
                                   self.image_metric) for s in seeds]
            if all(sa) and all(sb):
                A, B, _ = stats.align_paired(sa, sb)
                comparison = stats.compare_paired(
                    A, B, threshold=self.spec.practical_threshold)
        return dict(delta=delta, n_seeds=len(seeds), seeds=seed_test,
                    comparison=comparison)

    def _cell(self, res: Optional[Dict]) -> str:
        if res is None:
            return 'n/a (no common seed)'
        mean, sd = res['delta']
        text = ('+' if mean >= 0 else '') + _pm(mean, sd)
        comp, seed_test = res['comparison'], res['seeds']
        if seed_test is not None:
            # The verdict, p and CI are about the printed Δ; the per-image
            # analysis only says where the difference lies.
            detail = (f'p = {_p(seed_test.p)}{seed_test.stars}, paired '
                      f't-test over {seed_test.n_seeds} seeds; '
                      f'{seed_test.level * 100:g} % CI '
                      f'[{seed_test.ci_low:+.2f}, {seed_test.ci_high:+.2f}]')
            if comp is not None:
                detail += (f'; per-image foreground {self.image_metric} '
                           f'Δ {comp.mean_diff:+.2f}')
                if not math.isnan(comp.ci_low):
                    detail += (f', CI [{comp.ci_low:+.2f}, '
                               f'{comp.ci_high:+.2f}]')
            return f'{text}: {seed_test.verdict} ({detail})'
        if comp is None:
            if abs(mean) < self.spec.practical_threshold:
                return f'{text}: no practical difference (no per-image test)'
            return f'{text} (no per-image results, no test)'
        p = f'p = {_p(comp.p)}{comp.stars} {comp.label}'
        return f'{text}: {self._verdict(mean, comp)} ({p})'

    def _stats_note(self) -> str:
        """What the verdicts, p and CIs of :meth:`_cell` are about."""
        image = self.image_metric or self.metric
        return (
            'Three or more common seeds: the verdict, p and 95 % CI are '
            f'about that Δ itself (paired t-test over the seeds\' '
            f'{self.metric}, Student-t CI of the mean Δ); the per-image '
            f'foreground {image} Δ beside them (with its bootstrap CI over '
            'seeds × images) says where the difference lies, and weighs '
            'every image alike where the dataset-level metric pools pixels, '
            'so it can differ in size. One or two seeds: no seed-level test '
            'exists; the verdict and p come from a Wilcoxon signed-rank test '
            f'over test images of the per-image foreground {image} (how '
            'consistent the difference is over these images, not whether '
            'another seed would repeat it; no stars), and a Δ whose '
            'per-image mean difference is below the threshold or of the '
            'other sign is "inconclusive". A Δ below '
            f'{self.spec.practical_threshold:g} point(s) is "no practical '
            'difference" whatever its p.')

    def _verdict(self, delta: float, comp) -> str:
        """The verdict of the Δ printed beside it.

        The practical threshold applies to that Δ (the dataset-level
        primary metric); the per-image test only says whether it is
        consistent. The per-image mean difference can be far smaller than
        the dataset-level one (images without foreground score alike in
        both rows): then, or when the two disagree in sign, the verdict is
        "inconclusive", never "no practical difference" next to a Δ above
        the threshold.
        """
        if abs(delta) < self.spec.practical_threshold:
            return 'no practical difference'
        per_image = f'per-image mean Δ {comp.mean_diff:+.2f}'
        if (comp.verdict == 'no practical difference'
                or (comp.mean_diff > 0) != (delta > 0)):
            scope = '' if comp.n_seeds >= 3 else (
                ' (one seed)' if comp.n_seeds == 1 else
                f' ({comp.n_seeds} seeds)')
            return f'inconclusive{scope}, {per_image}'
        return comp.verdict

    # ------------------------------------------------------------ sections
    def main_table(self) -> List[str]:
        spec = self.spec
        class_keys = sorted({
            k
            for r in self.records for k in r['metrics']
            if k.startswith('IoU.') and not k.endswith('.background')
        })
        # Per-volume Dice (NIfTI slices, PerClassIoUMetric) beside the
        # slice-pooled metrics, whether or not the preset lists it.
        volume_keys = [
            k for k in ('mDice3D', )
            if k not in spec.report_metrics
            and any(k in r['metrics'] for r in self.records)
        ]
        metrics = list(spec.report_metrics) + volume_keys + class_keys
        header = ['labels', 'init'] + metrics + [
            'Δ vs own scratch',
            f'Δ vs best supervised ({spec.best_supervised})'
        ]
        lines = [
            '| ' + ' | '.join(header) + ' |',
            '|' + '---|' * len(header)
        ]
        def nothing(init, frac):
            return {r['seed']: never_predicted(r['metrics'])
                    for r in self.runs(init, frac)
                    if never_predicted(r['metrics'])}

        notes = []
        for frac in self.fractions:
            for init in self.inits:
                runs = self.runs(init, frac)
                if not runs:
                    continue
                cells = [
                    _pm(*_mean_sd([r['metrics'].get(m) for r in runs]))
                    for m in metrics
                ]
                flagged = nothing(init, frac)
                if flagged:
                    # A run that never predicts a present class learned
                    # nothing about it: its means are not a result.
                    cells = [c if c == 'n/a' else f'~~{c}~~' for c in cells]
                    notes.append(
                        f'* ⚠ **`{init}` at {frac:g} % learned nothing**: '
                        + '; '.join(
                            f'seed {seed} never predicted '
                            + ', '.join(f'`{c}`' for c in classes)
                            for seed, classes in sorted(flagged.items()))
                        + ' although present in the test ground truth '
                        '(PerClassIoUMetric `never_predicted`). Those '
                        'classes score 0 and the row\'s metrics (struck '
                        'through) are not a result: train longer or handle '
                        'the class imbalance.')
                own = spec.own_baseline(spec.init(init))
                best = spec.best_supervised
                for prefix, ref in ((f'vs {own}: ', own), ('', best)):
                    if ref is None or ref == init:
                        cells.append('—')
                        continue
                    cell = prefix + self._cell(self.compare(init, ref, frac))
                    if flagged or nothing(ref, frac):
                        cell = '⚠ ' + cell
                    cells.append(cell)
                name = f'{init} ⚠' if flagged else init
                lines.append('| ' + ' | '.join([f'{frac:g}%', name] + cells)
                             + ' |')
        if notes:
            lines += [''] + notes
        seeds = sorted({r['seed'] for r in self.records})
        lines += [
            '',
            f'Test split; mean ± sd over {len(seeds)} seed(s) {seeds}. Δ: '
            f'difference in {self.metric} (dataset level, mean ± sd over the '
            'common seeds) from the row\'s own from-scratch counterpart and '
            f'from the best supervised row `{spec.best_supervised}`. '
            + self._stats_note() + ' ⚠: a row (or the row it is compared '
            'with) that never predicted a class present in the test ground '
            'truth.'
        ]
        return lines

    def comparisons_section(self) -> List[str]:
        """Head-to-head rows of ``study.comparisons`` (e.g. ussl_mm's
        recipe vs the stock OpenMMLab recipe), per fraction."""
        if not self.spec.comparisons:
            return []
        lines = [
            '## Head-to-head comparisons', '',
            f'| labels | row | reference | Δ {self.metric}, verdict |',
            '|---|---|---|---|'
        ]
        for frac in self.fractions:
            for init, ref in self.spec.comparisons:
                if not self.runs(init, frac) or not self.runs(ref, frac):
                    continue
                lines.append(
                    f'| {frac:g}% | {init} | {ref} | '
                    f'{self._cell(self.compare(init, ref, frac))} |')
        lines += [
            '', f'Δ: dataset-level {self.metric} difference, mean ± sd over '
            'the common seeds. ' + self._stats_note(), ''
        ]
        return lines

    def curve_section(self) -> List[str]:
        spec = self.spec
        summary = self.summary(self.metric)
        ref = None
        base = spec.baseline
        if 100.0 in self.fractions and (base, 100.0) in summary:
            ref = (f'{base} at 100 %', summary[(base, 100.0)][0])
        png = plot_label_curve(summary, self.inits, self.fractions,
                               self.metric,
                               osp.join(self.work_dir, 'results.png'), ref)
        lines = [
            f'![{self.metric} vs label fraction]({osp.basename(png)})', ''
        ]
        if 100.0 not in self.fractions:
            lines.append(
                'Smallest matching fraction: not computed (100 % is not one '
                'of the label fractions).')
            return lines
        for init in self.inits:
            i = spec.init(init)
            if i.pretrain is None:
                continue
            curve = {
                f: [r['metrics'][self.metric] for r in self.runs(init, f)]
                for f in self.fractions if self.runs(init, f)
            }
            for ref_name in dict.fromkeys(
                    [spec.own_baseline(i), spec.best_supervised]):
                ref_runs = self.runs(ref_name, 100.0)
                if not ref_runs or not curve:
                    continue
                m = stats.smallest_matching_fraction(
                    curve, [r['metrics'][self.metric] for r in ref_runs],
                    threshold=spec.practical_threshold)
                target = (f'{ref_name} trained on 100 % of the labels '
                          f'({m.reference_mean:.2f} {self.metric})')
                if m.fraction is None:
                    lines.append(
                        f'* `{init}` does not reach {target} within '
                        f'{m.threshold:g} point(s) at any measured fraction.')
                else:
                    lines.append(
                        f'* `{init}` matches {target} within {m.threshold:g} '
                        f'point(s) from **{m.fraction:g} %** of the labels '
                        f'({m.mean:.2f}); '
                        + ('every larger fraction matches too.'
                           if m.sustained else
                           'NOT sustained: a larger fraction falls below.'))
        return lines

    def training_section(self) -> List[str]:
        lines = [
            '| run | train images | batch | iterations | epochs | '
            'best-val iter | best val score | minutes | config |',
            '|---|---|---|---|---|---|---|---|---|'
        ]
        for r in sorted(self.all_records,
                        key=lambda r: (r['label_fraction'], r['init'],
                                       r.get('pretrain_size') or 0,
                                       r['seed'])):
            name = osp.basename(r['work_dir'])

            def fmt(v, spec='{}'):
                return '—' if v is None else spec.format(v)

            lines.append('| ' + ' | '.join([
                name, fmt(r.get('n_train')), fmt(r.get('batch_size')),
                fmt(r.get('iters')), fmt(r.get('epochs'), '{:.1f}'),
                fmt(r.get('best_iter')), fmt(r.get('best_score'), '{:.2f}'),
                fmt(r.get('minutes')),
                f'[{osp.basename(r["config_dump"])}]'
                f'({_rel(r["config_dump"], self.work_dir)})'
                if r.get('config_dump') else '—'
            ]) + ' |')
        sch = self.spec.schedule
        if any(i.schedule for i in self.spec.initialisations):
            lines += ['', 'Rows with their own schedule keys: ' + '; '.join(
                f'`{i.name}`: {i.schedule}'
                for i in self.spec.initialisations if i.schedule) + '.']
        if sch.epochs is not None:
            rule = (f'{sch.epochs:g} epoch(s) of the run\'s training images, '
                    f'at least {sch.min_iters} iterations' +
                    (f', at most {sch.max_iters}' if sch.max_iters else ''))
        else:
            rule = "each config's own number of iterations"
        lines += [
            '',
            f'Schedule: {rule}; {sch.num_vals} validations per run. The '
            'tested checkpoint is ' +
            (f'the best on validation ({sch.save_best}, mmengine '
             '`save_best`).' if sch.save_best else 'the last one.') +
            ' Epochs = iterations × batch / training images.'
        ]
        return lines

    def commands_section(self) -> List[str]:
        lines = ['```bash']
        for p in getattr(self, 'pretrain_records', []) or []:
            lines.append(f'# pretraining {p["name"]} ({p["size"]:g} % of '
                         'the unlabelled pool)')
            lines.append(p['command'])
        for r in self.all_records:
            lines.append(f'# {osp.basename(r["work_dir"])}')
            for key in ('train_command', 'test_command'):
                if r.get(key):
                    lines.append(r[key])
            for extra in (r.get('extra_tests') or {}).values():
                lines.append(extra['test_command'])
        lines.append('```')
        return lines

    def extra_tests_section(self) -> List[str]:
        """Every model tested on each of ``study.extra_test_sets``: the
        results table and the head-to-head rows again, on that set."""
        lines = []
        for name, root in self.spec.extra_test_sets.items():
            records = [
                dict(r, metrics=r['extra_tests'][name]['metrics'],
                     per_image_file=r['extra_tests'][name]['per_image_file'])
                for r in self.all_records if name in (r.get('extra_tests')
                                                       or {})
            ]
            lines += [f'## Tested on `{name}`', '']
            if not records:
                lines += ['No run was tested on it.', '']
                continue
            other = StudyReport(records, self.spec, self.main_size)
            missing = [i for i in self.inits if i not in other.inits]
            lines += [
                f'The models above (trained on `{self.spec.data_root}`, with '
                f'its normalisation) tested on the test split of `{root}` '
                '(study.extra_test_sets): how far each recipe carries to '
                'another scanner, site or generator.' + (
                    f' Not tested there: {", ".join(missing)} (external '
                    'rows are scored on study.data_root only).'
                    if missing else ''), ''
            ] + other.main_table() + ['']
            lines += [ln.replace('## Head-to-head comparisons',
                                 f'### Head-to-head on `{name}`')
                      for ln in other.comparisons_section()]
        return lines

    def clinical_section(self) -> List[str]:
        rows = [r for r in self.records if r.get('clinical_file')]
        if not rows:
            return [
                'No clinical measurements in these runs (set '
                'study.clinical=True; tests then run with tools/test.py '
                '--clinical).'
            ]
        loaded = {}
        classes = set()
        for r in rows:
            with open(r['clinical_file'], encoding='utf-8') as f:
                recs = json.load(f)
            loaded[r['work_dir']] = recs
            for rec in recs:
                classes |= {
                    k.split('.', 1)[1]
                    for k in rec if k.startswith('size_pct_err.')
                }
        units = sorted({
            rec.get('size_unit', 'px')
            for recs in loaded.values() for rec in recs
        })
        lines = [
            '| labels | init | class | size MdAPE % (n) | vs baseline: '
            'median Δ abs. error, p | intensity MdAPE % (n) | vs baseline: '
            'median Δ abs. error, p |', '|---|---|---|---|---|---|---|'
        ]

        def errors(runs, cls, quantity):
            return [
                stats.clinical_errors(loaded[r['work_dir']], cls, quantity)
                for r in runs if r['work_dir'] in loaded
            ]

        for frac in self.fractions:
            for init in self.inits:
                runs = self.runs(init, frac)
                if not any(r['work_dir'] in loaded for r in runs):
                    continue
                i = self.spec.init(init)
                ref = self.spec.own_baseline(i)
                if ref is None and init != self.spec.best_supervised:
                    ref = self.spec.best_supervised
                for cls in sorted(classes):
                    cells = []
                    for quantity in ('size', 'intensity'):
                        errs = errors(runs, cls, quantity)
                        pooled = [e for d in errs for e in d.values()]
                        mdape = stats.median_abs_percent_error(pooled)
                        cells.append(
                            f'{mdape["median"]:.1f} ({mdape["n"]})'
                            if mdape['n'] else 'n/a (0)')
                        ref_runs = {
                            r['seed']: r
                            for r in self.runs(ref, frac) if r['work_dir'] in
                            loaded
                        } if ref else {}
                        mine = {r['seed']: r for r in runs
                                if r['work_dir'] in loaded}
                        seeds = sorted(set(ref_runs) & set(mine))
                        if not seeds:
                            cells.append('—')
                            continue
                        test = stats.paired_abs_error_test(
                            errors([mine[s] for s in seeds], cls, quantity),
                            errors([ref_runs[s] for s in seeds], cls,
                                   quantity))
                        if not test['n']:
                            cells.append(f'vs {ref}: n/a (no image with a '
                                         'defined error in both)')
                            continue
                        cells.append(
                            f'vs {ref}: {test["median_diff"]:+.1f}, p = '
                            f'{_p(test["p"])} ({test["label"]}, n = '
                            f'{test["n"]})')
                    lines.append('| ' + ' | '.join(
                        [f'{frac:g}%', init, cls] + cells) + ' |')
        lines += [
            '',
            'Per test image and class (ClinicalMetric, '
            '`clinical_per_image.json` of each run): percent error of the '
            f'predicted region size ({", ".join(units)}) and of its mean '
            'raw intensity against the ground truth. MdAPE: median absolute '
            'percent error over the images where it is defined (empty ground '
            'truth and zero-intensity references are excluded and counted, '
            'see docs/metrics.md), all seeds pooled. vs baseline: median of '
            'the difference in absolute percent error from the row\'s own '
            'scratch, or from the best supervised row for the other rows '
            '(negative = closer to the ground truth), and a two-sided '
            'Wilcoxon signed-rank test on the per-image absolute errors '
            '(averaged over seeds).'
        ]
        return lines

    def scaling_section(self) -> List[str]:
        sizes = sorted(self.spec.pretrain_data.sizes)
        if len(sizes) < 2:
            return []
        spec = self.spec
        lines = [
            '## Unlabelled-data scaling', '',
            'Each pretrained initialisation was pretrained on nested, seeded '
            f'subsets of the unlabelled pool (seed {spec.pretrain_data.seed})'
            f': {", ".join(f"{s:g} %" for s in sizes)}'
            + (f' (above 100 %: extra images from '
               f'{spec.pretrain_data.extra_roots})'
               if max(sizes) > 100 else '')
            + f', then fine-tuned as above. Per label fraction, `y = a·x^k '
            f'+ c` is fitted to the mean test {self.metric} over seeds (x in '
            '% of the pool) with scipy.optimize.curve_fit; RSE = residual '
            'standard error.', ''
        ]
        header = ['labels', 'init'] + [f'{s:g} %' for s in sizes] + [
            'a', 'k', 'c', 'RSE'
        ]
        lines += ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
        points, fits = {}, {}
        for frac in self.fractions:
            for init in self.inits:
                if spec.init(init).pretrain is None:
                    continue
                cells, xs, ys = [], [], []
                for size in sizes:
                    runs = [
                        r for r in self.all_records
                        if r['init'] == init and r['label_fraction'] == frac
                        and r.get('pretrain_size') == size
                    ]
                    mean, sd = _mean_sd(
                        [r['metrics'].get(self.metric) for r in runs])
                    cells.append(_pm(mean, sd))
                    if not math.isnan(mean):
                        xs.append(size)
                        ys.append(mean)
                        points.setdefault(f'{init}, {frac:g}% labels',
                                          []).append((size, mean, sd))
                fit = stats.fit_power_law(xs, ys)
                fits[f'{init}, {frac:g}% labels'] = fit
                if fit.ok:
                    cells += [
                        f'{fit.a:.3g} ± {fit.a_sd:.2g}',
                        f'{fit.k:.3g} ± {fit.k_sd:.2g}',
                        f'{fit.c:.3g} ± {fit.c_sd:.2g}', f'{fit.rse:.3g}'
                    ]
                else:
                    cells += [f'fit ill-posed: {fit.reason}', '', '', '']
                lines.append('| ' + ' | '.join([f'{frac:g}%', init] + cells)
                             + ' |')
        if points:
            png = plot_scaling(points, fits, self.metric,
                               osp.join(self.work_dir, 'scaling.png'))
            lines += ['', f'![scaling]({osp.basename(png)})']
        return lines + ['']

    def tsne_section(self, tsne: Optional[List[Dict]]) -> List[str]:
        if not tsne:
            return []
        lines = [
            '## Features: t-SNE of the pretrained vs the random encoder', '',
            f'Pooled backbone features of the {self.spec.tsne.split} images '
            '(tools/analysis_tools/visualize_tsne.py functions), colour = '
            'mask has foreground. k-NN: leave-one-out 5-NN accuracy of that '
            'label on the features, to compare with the majority class.', '',
            '| pretraining | encoder | 5-NN accuracy | majority class | '
            'figure |', '|---|---|---|---|---|'
        ]
        for t in tsne:
            for which in ('pretrained', 'random'):
                res = t[which]
                acc = res.get('knn_accuracy')
                lines.append(
                    f'| {t["name"]} | {which} | '
                    f'{"n/a" if acc is None else f"{100 * acc:.1f} %"} | '
                    f'{100 * res["majority"]:.1f} % | '
                    f'![{t["name"]} {which}]'
                    f'({_rel(res["png"], self.work_dir)}) |')
        return lines + ['']

    def env_section(self, env: Optional[Dict],
                    command: Optional[str]) -> List[str]:
        lines = []
        if command:
            lines += ['Reproduce the whole study (finished runs are '
                      'skipped):', '', '```bash', command, '```', '']
        if env:
            dirty = ' (with uncommitted changes)' if env.get(
                'git_dirty') else ''
            lines.append(f'* git commit: `{env.get("git_commit")}`{dirty}')
            lines.append(f'* ussl_mm {env.get("ussl_mm")}, Python '
                         f'{env.get("python")}, {env.get("platform")}')
            lines.append('* ' + ', '.join(
                f'{k} {v}' for k, v in env['packages'].items()
                if v is not None))
        stats_file = osp.join(self.work_dir, 'dataset_stats.json')
        if osp.isfile(stats_file):
            with open(stats_file, encoding='utf-8') as f:
                st = json.load(f)
            lines.append(
                f'* normalisation: gray mean {st["mean"]:.2f}, std '
                f'{st["std"]:.2f} of {self.spec.data_root} '
                '(dataset_stats.json; in every command as cfg-options)'
                if self.spec.data_stats else
                '* normalisation: each config\'s own mean/std')
        lines.append('* every run\'s resolved config is dumped in its work '
                     'dir (linked in the training table)')
        return lines

    # --------------------------------------------------------------- write
    def write_csv(self) -> str:
        path = osp.join(self.work_dir, 'results.csv')
        metrics = sorted({k for r in self.all_records for k in r['metrics']})
        cols = ['init', 'label_fraction', 'seed', 'pretrain_size', 'n_train',
                'batch_size', 'iters', 'epochs', 'best_iter', 'best_score']
        with atomic_open(path, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(cols + metrics)
            for r in self.all_records:
                writer.writerow([r.get(c, '') for c in cols] +
                                [r['metrics'].get(m, '') for m in metrics])
        return path

    def build(self,
              tsne: Optional[List[Dict]] = None,
              env: Optional[Dict] = None,
              command: Optional[str] = None,
              pretrain_records: Optional[List[Dict]] = None) -> str:
        """Write ``results.md``, ``results.csv`` and the figures.

        Args:
            tsne (list[dict], optional): t-SNE results per pretraining.
            env (dict, optional): From :func:`~ussl_mm.study.env.
                collect_study_env`.
            command (str, optional): The study's own command line.
            pretrain_records (list[dict], optional): The pretrainings
                (name, size, command).

        Returns:
            str: The markdown.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        self.pretrain_records = pretrain_records
        self.write_csv()
        lines = [f'# Label-efficiency study: {self.spec.name}', '']
        lines += ['## Results', ''] + self.main_table() + ['']
        lines += self.comparisons_section()
        lines += self.extra_tests_section()
        lines += ['## Label-fraction curve', ''] + self.curve_section() + ['']
        lines += ['## Training of each run', ''] + self.training_section()
        lines += ['', '## Clinical measurements', '']
        lines += self.clinical_section() + ['']
        lines += self.scaling_section()
        lines += self.tsne_section(tsne)
        lines += ['## Reproducibility', ''] + self.env_section(env, command)
        lines += ['', '### Every command', ''] + self.commands_section()
        report = '\n'.join(lines) + '\n'
        atomic_write_text(osp.join(self.work_dir, 'results.md'), report)
        return report


def build_report(records: List[Dict], spec: StudySpec, **kwargs) -> str:
    """Write the study report; see :meth:`StudyReport.build`.

    Args:
        records (list[dict]): One per fine-tuning run.
        spec (StudySpec): The study.
        **kwargs: ``main_size`` and the arguments of
            :meth:`StudyReport.build`.

    Returns:
        str: The markdown of ``results.md``.
    """
    main_size = kwargs.pop('main_size', 100.0)
    return StudyReport(records, spec, main_size).build(**kwargs)

