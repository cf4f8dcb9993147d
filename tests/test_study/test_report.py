"""The study report on constructed records with known answers: deltas vs
the own scratch and the best supervised row, what the statistics say with
one and with three seeds, "no practical difference", the smallest matching
fraction, the power-law fit, the clinical table and the CSV."""
import csv
import json
import os.path as osp

import numpy as np
import pytest

from ussl_mm.study import StudySpec, build_report


@pytest.fixture
def spec_factory(tmp_path):
    configs = {}
    for name in ('fcn', 'fcn_pre', 'unet'):
        path = tmp_path / f'{name}.py'
        path.write_text('# placeholder\n')
        configs[name] = str(path)

    def make(**kw):
        s = dict(
            name='constructed', work_dir=str(tmp_path / 'out'),
            data_root=str(tmp_path),
            pretrain=dict(densecl=dict(config=configs['fcn'])),
            initialisations=dict(
                scratch=dict(config=configs['fcn']),
                densecl=dict(config=configs['fcn_pre'], pretrain='densecl'),
                unet=dict(config=configs['unet'])),
            baseline='scratch', best_supervised='unet',
            label_fractions=[5, 25, 100], seeds=[0],
            tsne=dict(enabled=False))
        s.update(kw)
        return StudySpec.from_dict(s)

    return make


def _record(tmp_path, init, frac, seed, per_image, size=None, mdice=None,
            clinical=None):
    wd = tmp_path / 'runs' / f'{init}_{frac}_{seed}_{size}'
    wd.mkdir(parents=True)
    (wd / 'per_image.json').write_text(json.dumps([
        {'img_path': f'img{i}.png', 'Dice.background': 99.0,
         'Dice.effusion': d, 'IoU.effusion': d / 2}
        for i, d in enumerate(per_image)
    ]))
    rec = dict(
        init=init, label_fraction=float(frac), seed=seed,
        pretrain_size=size, work_dir=str(wd),
        per_image_file=str(wd / 'per_image.json'),
        metrics={'mIoU': float(np.mean(per_image)) - 10,
                 'mDice': float(np.mean(per_image)) if mdice is None
                 else mdice,
                 'IoU.effusion': float(np.mean(per_image)) / 2},
        n_train=12, batch_size=4, iters=150, epochs=50.0, best_iter=100,
        best_score=80.0)
    if clinical is not None:
        (wd / 'clinical.json').write_text(json.dumps([
            {'img_path': f'img{i}.png', 'size_unit': 'px',
             'size_pct_err.effusion': e, 'intensity_pct_err.effusion': None}
            for i, e in enumerate(clinical)
        ]))
        rec['clinical_file'] = str(wd / 'clinical.json')
    return rec


BASE = np.linspace(50, 80, 12)


def _row(md, frac, init):
    rows = [ln for ln in md.splitlines()
            if ln.startswith(f'| {frac}% | {init} |')]
    assert len(rows) == 1, (frac, init, md)
    return rows[0]


@pytest.mark.slow
def test_one_seed_deltas_labels_and_no_stars(spec_factory, tmp_path):
    spec = spec_factory()
    recs = []
    for frac in (5, 25, 100):
        recs.append(_record(tmp_path, 'scratch', frac, 0, BASE + frac / 10))
        recs.append(_record(tmp_path, 'unet', frac, 0,
                            BASE + 1.5 + frac / 10))
        # +3 on every image vs scratch, +1.5 vs unet; +0.3 at 100 %.
        bonus = 0.3 if frac == 100 else 3.0
        recs.append(_record(tmp_path, 'densecl', frac, 0,
                            BASE + bonus + frac / 10, size=100.0))
    md = build_report(recs, spec)
    row = _row(md, 5, 'densecl')
    cells = [c.strip() for c in row.strip('|').split('|')]
    own, best = cells[-2], cells[-1]
    assert own.startswith('vs scratch: +3.00: better (one seed)')
    assert 'over test images, one seed' in own and '*' not in row
    assert best.startswith('+1.50: better (one seed) (p = ')
    # +0.3 on every image: p is tiny, the difference is not practical.
    row100 = _row(md, 100, 'densecl')
    assert 'vs scratch: +0.30: no practical difference (p = ' in row100
    # The baseline rows compare only with the best supervised row.
    scratch = [c.strip() for c in _row(md, 5, 'scratch').strip('|').split(
        '|')]
    assert scratch[-2] == '—' and scratch[-1].startswith('-1.50: worse')
    assert [c.strip() for c in _row(md, 5, 'unet').strip('|').split('|')
            ][-2:] == ['—', '—']
    assert '`densecl` matches scratch trained on 100 % of the labels' in md
    with open(osp.join(spec.work_dir, 'results.csv')) as f:
        assert len(list(csv.DictReader(f))) == 9
    assert osp.getsize(osp.join(spec.work_dir, 'results.png')) > 1000


def test_three_seeds_add_the_seed_level_test_and_ci(spec_factory, tmp_path):
    spec = spec_factory(label_fractions=[5], seeds=[0, 1, 2])
    rng = np.random.default_rng(0)
    recs = []
    for seed in range(3):
        recs.append(_record(tmp_path, 'scratch', 5, seed, BASE + seed))
        recs.append(_record(tmp_path, 'unet', 5, seed, BASE + seed))
        recs.append(_record(tmp_path, 'densecl', 5, seed,
                            BASE + seed + 4 + rng.normal(0, 0.5, 12),
                            size=100.0))
    md = build_report(recs, spec)
    row = _row(md, 5, 'densecl')
    own = [c.strip() for c in row.strip('|').split('|')][-2]
    # dataset-level mIoU and per-image Dice both +3.95 here
    assert own.startswith('vs scratch: +3.95 ± 0.07: better (p = '), own
    assert '***, paired t-test over 3 seeds; 95 % CI [+3.7' in own
    assert 'per-image foreground Dice Δ +3.95, CI [+3.' in own


def test_three_seed_verdict_is_about_the_printed_delta(spec_factory,
                                                       tmp_path):
    """With 3 seeds the verdict and p test the dataset-level Δ printed
    beside them: +1.1 on every seed is "better" although the per-image
    scores (here: no mean difference at all) would call it nothing (the
    recipe ablation printed "+1.11 ± 0.03: not significant (p = 0.56)")."""
    spec = spec_factory(label_fractions=[5], seeds=[0, 1, 2],
                        best_supervised='scratch')
    rng = np.random.default_rng(1)
    recs = []
    for seed in range(3):
        base = BASE + rng.normal(0, 2, 12)
        recs.append(_record(tmp_path, 'scratch', 5, seed, base,
                            mdice=70.0 + seed))
        recs.append(_record(tmp_path, 'unet', 5, seed, base))
        recs.append(_record(tmp_path, 'densecl', 5, seed,
                            base + rng.normal(0, 3, 12),
                            mdice=70.0 + seed + 1.1 + 0.03 * (seed - 1)))
    md = build_report(recs, spec)
    own = [c.strip() for c in _row(md, 5, 'densecl').strip('|').split('|')
           ][-2]
    assert own.startswith('vs scratch: +1.10 ± 0.03: better (p = '), own
    assert '95 % CI [+1.03, +1.17]' in own, own
    assert 'per-image foreground Dice Δ ' in own
    # the same seeds scattered around +1.1 are "not significant"
    for r, shift in zip((r for r in recs if r['init'] == 'densecl'),
                        (-2.0, 1.1, 4.2)):
        r['metrics']['mDice'] = 70.0 + r['seed'] + shift
    own = [c.strip() for c in _row(build_report(recs, spec), 5,
                                   'densecl').strip('|').split('|')][-2]
    assert own.startswith('vs scratch: +1.10 ± 3.10: not significant (p = '
                          '0.6'), own


def test_smallest_matching_fraction(spec_factory, tmp_path):
    spec = spec_factory(best_supervised='scratch')
    recs = []
    for frac, s, d in ((5, 60, 65), (25, 70, 79.5), (100, 80, 82)):
        recs.append(_record(tmp_path, 'scratch', frac, 0, BASE, mdice=s))
        recs.append(_record(tmp_path, 'unet', frac, 0, BASE, mdice=s))
        recs.append(_record(tmp_path, 'densecl', frac, 0, BASE, mdice=d,
                            size=100.0))
    md = build_report(recs, spec)
    assert ('`densecl` matches scratch trained on 100 % of the labels '
            '(80.00 mDice) within 1 point(s) from **25 %** of the labels '
            '(79.50); every larger fraction matches too.') in md


def test_scaling_fit_recovers_a_power_law(spec_factory, tmp_path):
    sizes = [12.5, 25, 50, 100]
    spec = spec_factory(label_fractions=[5],
                        pretrain_data=dict(sizes=sizes, seed=0))
    recs = [_record(tmp_path, 'scratch', 5, 0, BASE),
            _record(tmp_path, 'unet', 5, 0, BASE)]
    for x in sizes:
        y = -30.0 * x**-0.5 + 90.0
        recs.append(_record(tmp_path, 'densecl', 5, 0, BASE, size=x,
                            mdice=y))
    md = build_report(recs, spec)
    line = _row(md.split('## Unlabelled-data scaling')[1], 5, 'densecl')
    cells = [c.strip() for c in line.strip('|').split('|')]
    assert float(cells[-4].split(' ± ')[0]) == pytest.approx(-30, rel=1e-3)
    assert float(cells[-3].split(' ± ')[0]) == pytest.approx(-0.5, rel=1e-3)
    assert float(cells[-2].split(' ± ')[0]) == pytest.approx(90, rel=1e-3)
    assert osp.getsize(osp.join(spec.work_dir, 'scaling.png')) > 1000


def test_clinical_table(spec_factory, tmp_path):
    spec = spec_factory(label_fractions=[5])
    errs_scratch = [20, -30, 40, 10, -50, 25, 30, -35, 45, 15, 60, 20]
    errs_dense = [e / 2 for e in errs_scratch]
    recs = [
        _record(tmp_path, 'scratch', 5, 0, BASE, clinical=errs_scratch),
        _record(tmp_path, 'unet', 5, 0, BASE, clinical=errs_scratch),
        _record(tmp_path, 'densecl', 5, 0, BASE, size=100.0,
                clinical=errs_dense),
    ]
    md = build_report(recs, spec).split('## Clinical measurements')[1]
    row = [ln for ln in md.splitlines()
           if ln.startswith('| 5% | densecl | effusion')][0]
    cells = [c.strip() for c in row.strip('|').split('|')]
    # median |err| of densecl: half of scratch's (12 images)
    assert cells[3] == f'{np.median(np.abs(errs_dense)):.1f} (12)'
    assert cells[4].startswith(
        f'vs scratch: {-np.median(np.abs(errs_scratch)) / 2:+.1f}, p = ')
    assert 'over test images, one seed' in cells[4]
    assert cells[5] == 'n/a (0)'  # intensity undefined everywhere
    assert cells[6] == ('vs scratch: n/a (no image with a defined error in '
                        'both)')


def test_a_run_that_learned_nothing_is_flagged(spec_factory, tmp_path):
    """Issue 14: a row whose test run never predicted a class present in
    the ground truth (PerClassIoUMetric ``never_predicted.<class>``) is
    flagged, its metrics are struck through instead of shown as a result,
    and the comparisons that involve it carry the flag."""
    spec = spec_factory(label_fractions=[5])
    scratch = _record(tmp_path, 'scratch', 5, 0, BASE)
    scratch['metrics'].update({'never_predicted.effusion': 1,
                               'never_predicted.background': 0,
                               'never_predicted': 1, 'mDice3D': 49.5})
    unet = _record(tmp_path, 'unet', 5, 0, BASE + 2)
    unet['metrics'].update({'never_predicted.effusion': 0,
                            'never_predicted': 0, 'mDice3D': 80.25})
    dense = _record(tmp_path, 'densecl', 5, 0, BASE + 3, size=100.0)
    md = build_report([scratch, unet, dense], spec)
    lines = md.splitlines()
    bad = [ln for ln in lines if ln.startswith('| 5% | scratch ⚠ |')]
    assert len(bad) == 1, md
    cells = [c.strip() for c in bad[0].strip('|').split('|')]
    mdice = f'{float(np.mean(BASE)):.2f}'
    assert f'~~{mdice}~~' in cells and mdice not in [
        c for c in cells if not c.startswith('~~')]
    assert '~~49.50~~' in cells  # per-volume Dice added to the table
    assert ('⚠ **`scratch` at 5 % learned nothing**: seed 0 never predicted '
            '`effusion`') in md
    # the healthy rows are not struck through; a comparison with the flagged
    # scratch carries the flag, the one with the healthy U-Net does not
    good = [c.strip() for c in _row(md, 5, 'unet').strip('|').split('|')]
    assert not any(c.startswith('~~') for c in good) and '80.25' in good
    dense_cells = [c.strip()
                   for c in _row(md, 5, 'densecl').strip('|').split('|')]
    assert dense_cells[-2].startswith('⚠ vs scratch: +3.00')
    assert dense_cells[-1].startswith('+1.00')
    assert '| mDice3D |' in md.splitlines()[[
        i for i, ln in enumerate(lines) if ln.startswith('| labels |')][0]]


@pytest.mark.slow
def test_verdict_follows_the_printed_delta(spec_factory, tmp_path):
    """A dataset-level Δ above the practical threshold is never called "no
    practical difference" because the per-image scores (diluted by images
    that score alike in both rows) differ by less: the quickstart printed
    "-4.52: no practical difference" before."""
    spec = spec_factory(label_fractions=[5])
    scratch = _record(tmp_path, 'scratch', 5, 0, BASE)
    # per-image Dice 0.5 lower on every image (< 1 point), but the dataset
    # mDice 4.5 lower
    dense = _record(tmp_path, 'densecl', 5, 0, BASE - 0.5,
                    mdice=float(np.mean(BASE)) - 4.5)
    unet = _record(tmp_path, 'unet', 5, 0, BASE)
    md = build_report([scratch, dense, unet], spec)
    own = [c.strip() for c in _row(md, 5, 'densecl').strip('|').split('|')
           ][-2]
    assert own.startswith('vs scratch: -4.50: inconclusive (one seed), '
                          'per-image mean Δ -0.50 (p = '), own
    assert 'no practical difference' not in own
    # and a small dataset-level Δ stays "no practical difference"
    close = _record(tmp_path, 'densecl', 5, 1, BASE - 0.5,
                    mdice=float(np.mean(BASE)) - 0.5)
    close['seed'] = 0
    md = build_report([scratch, close, unet], spec)
    own = [c.strip() for c in _row(md, 5, 'densecl').strip('|').split('|')
           ][-2]
    assert own.startswith('vs scratch: -0.50: no practical difference'), own
