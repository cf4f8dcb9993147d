"""The study report on constructed records with known answers."""
import csv
import json
import math

import numpy as np
import pytest

from ussl_mm.study import build_report, paired_wilcoxon


def _records(tmp_path):
    recs = []
    rng = np.random.default_rng(0)
    for frac in (5, 100):
        for seed in (0, 1):
            for init, bonus in (('scratch', 0.0), ('densecl', 3.0)):
                wd = tmp_path / f'{init}_{frac}_{seed}'
                wd.mkdir()
                # 10 test images; densecl better by `bonus` on each.
                base = rng.uniform(40, 80, 10) if init == 'scratch' else None
                per_img = []
                for i in range(10):
                    d = 50 + i + bonus + seed
                    per_img.append({
                        'img_path': f'img{i}.png',
                        'Dice.background': 99.0,
                        'Dice.effusion': d,
                        'IoU.effusion': d / 2
                    })
                del base
                (wd / 'per_image.json').write_text(json.dumps(per_img))
                recs.append(
                    dict(
                        init=init,
                        label_fraction=frac,
                        seed=seed,
                        work_dir=str(wd),
                        metrics={
                            'mIoU': 60.0 + bonus + seed,
                            'mDice': 70.0 + bonus + seed,
                            'IoU.background': 95.0,
                            'IoU.effusion': 25.0 + bonus + seed
                        }))
    return recs


def test_report_tables_deltas_and_stats(tmp_path):
    out = tmp_path / 'out'
    report = build_report(
        _records(tmp_path), baseline='scratch', work_dir=str(out))
    with open(out / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    dense = [r for r in rows if r['init'] == 'densecl']
    assert all(float(r['delta_mDice_vs_scratch']) == 3.0 for r in dense)
    assert all(r['delta_mDice_vs_scratch'] == '0.00'
               for r in rows if r['init'] == 'scratch')
    # mean ± sd over seeds 0 and 1: 73, 74 -> 73.50 ± 0.71
    assert '73.50 ± 0.71' in report
    assert '+3.00' in report
    # 10 test images (seeds averaged per image), all differences +3.
    line = [l for l in report.splitlines() if '| 5% | densecl' in l][0]
    p = float(line.split('|')[-2].split('(')[0])
    assert p < 0.01 and '(10)' in line
    assert (out / 'results.png').stat().st_size > 1000
    assert (out / 'results.md').read_text() == report


def test_wilcoxon_needs_enough_pairs():
    assert math.isnan(paired_wilcoxon([1, 2, 3], [0, 1, 2])['p'])
    res = paired_wilcoxon(list(range(10, 20)), list(range(10)))
    assert res['n'] == 10 and res['mean_diff'] == pytest.approx(10)
    assert res['p'] < 0.01
