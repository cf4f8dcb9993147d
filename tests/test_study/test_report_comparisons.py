"""Head-to-head comparisons (``study.comparisons``): ussl_mm's recipe vs the
stock OpenMMLab recipe, on constructed records with a known answer."""
import json

import numpy as np
import pytest

from ussl_mm.study import StudySpec, build_report
from ussl_mm.study.spec import StudyConfigError


def _spec(tmp_path, **kw):
    cfg = tmp_path / 'fcn.py'
    cfg.write_text('# placeholder\n')
    s = dict(
        name='h2h', work_dir=str(tmp_path / 'out'), data_root=str(tmp_path),
        pretrain=dict(ours=dict(config=str(cfg)), stock=dict(config=str(cfg))),
        initialisations=dict(
            scratch=dict(config=str(cfg)),
            ours=dict(config=str(cfg), pretrain='ours'),
            stock_stock=dict(config=str(cfg), pretrain='stock')),
        baseline='scratch', best_supervised='scratch',
        label_fractions=[5], seeds=[0, 1, 2], tsne=dict(enabled=False),
        comparisons=[('ours', 'stock_stock')])
    s.update(kw)
    return StudySpec.from_dict(s)


def _record(tmp_path, init, seed, dice):
    wd = tmp_path / 'runs' / f'{init}_{seed}'
    wd.mkdir(parents=True)
    (wd / 'per_image.json').write_text(json.dumps([
        {'img_path': f'img{i}.png', 'Dice.effusion': d}
        for i, d in enumerate(dice)]))
    return dict(init=init, label_fraction=5.0, seed=seed, pretrain_size=None,
                work_dir=str(wd), per_image_file=str(wd / 'per_image.json'),
                metrics={'mIoU': float(np.mean(dice)) - 5,
                         'mDice': float(np.mean(dice))},
                n_train=22, batch_size=8, iters=250, epochs=90.0,
                best_iter=250, best_score=90.0)


def test_head_to_head_section_has_the_known_difference(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.uniform(60, 90, 40)
    records = []
    for seed in range(3):
        records.append(_record(tmp_path, 'scratch', seed, base - 6))
        records.append(_record(tmp_path, 'stock_stock', seed, base))
        # ours is 3 points better on every image of every seed
        records.append(_record(tmp_path, 'ours', seed, base + 3))
    md = build_report(records, _spec(tmp_path))
    assert '## Head-to-head comparisons' in md
    row = [ln for ln in md.splitlines()
           if ln.startswith('| 5% | ours | stock_stock |')]
    assert len(row) == 1
    assert '+3.00 ± 0.00' in row[0]
    assert 'no practical difference' not in row[0]


def test_head_to_head_below_the_threshold_is_no_practical_difference(
        tmp_path):
    base = np.linspace(60, 90, 30)
    records = [_record(tmp_path, n, s, base + d) for s in range(3)
               for n, d in (('scratch', -5), ('stock_stock', 0),
                            ('ours', 0.3))]
    md = build_report(records, _spec(tmp_path))
    row = [ln for ln in md.splitlines()
           if ln.startswith('| 5% | ours | stock_stock |')][0]
    assert 'no practical difference' in row


@pytest.mark.parametrize('pairs', [[('ours', 'nope')], [('ours', 'ours')],
                                   ['ours']])
def test_bad_comparisons_are_refused(tmp_path, pairs):
    with pytest.raises(StudyConfigError, match='comparisons'):
        _spec(tmp_path, comparisons=pairs)
