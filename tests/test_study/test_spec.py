"""The study config format: every preset validates, and bad keys or values
are refused with the key named."""
import glob
import os.path as osp

import pytest
from tiny_study import FCN_SCRATCH, REPO, UNET

from ussl_mm.study import LabelEfficiencyStudy, StudyConfigError, StudySpec

PRESETS = sorted(glob.glob(osp.join(REPO, 'configs', 'study', '*.py')))


@pytest.mark.parametrize('preset', PRESETS, ids=osp.basename)
def test_every_preset_validates_and_plans(preset, monkeypatch):
    monkeypatch.chdir(REPO)
    spec = StudySpec.fromfile(preset)
    names = [i.name for i in spec.initialisations]
    # Every preset carries a best supervised row without pretraining.
    assert spec.best_supervised in names
    assert spec.init(spec.best_supervised).pretrain is None
    study = LabelEfficiencyStudy(spec, log=lambda *_: None)
    runs = study.finetune_runs()
    assert runs and all(osp.isfile(r.init.config) for r in runs
                        if r.init.kind == 'mmseg')
    assert spec.init(spec.baseline).pretrain is None


def test_label_curve_preset_has_the_curve():
    spec = StudySpec.fromfile(
        osp.join(REPO, 'configs/study/label_curve_knee_us.py'))
    assert spec.label_fractions == [1, 5, 10, 25, 50, 100]
    assert spec.seeds == [0, 1, 2]


def _base(**kw):
    s = dict(
        name='t', work_dir='w', data_root='d',
        initialisations=dict(scratch=dict(config=FCN_SCRATCH)),
        label_fractions=[5], seeds=[0], baseline='scratch',
        best_supervised='scratch')
    s.update(kw)
    return s


@pytest.mark.parametrize('study, match', [
    (_base(fractions=[5]), r"unknown key\(s\) \['fractions'\] \(did you "
     r"mean 'fractions' -> 'label_fractions'\?\)"),
    (_base(initialisations=dict(scratch=dict(config=FCN_SCRATCH,
                                             pretrained='x'))),
     r"study.initialisations.scratch: unknown key\(s\) \['pretrained'\]"),
    (_base(schedule=dict(epoch=3)),
     r"study.schedule: unknown key\(s\) \['epoch'\]"),
    (_base(initialisations=dict(scratch=dict(
        config=FCN_SCRATCH, schedule=dict(min_iter=3)))),
     r"scratch.schedule: unknown key\(s\) \['min_iter'\]"),
    (_base(best_supervised=None), r"missing \['best_supervised'\]"),
    (_base(best_supervised='unet'), "best_supervised='unet' is not one"),
    (_base(initialisations=dict(
        scratch=dict(config=FCN_SCRATCH),
        ssl=dict(config=FCN_SCRATCH, pretrain='nope'))),
     "refers to pretraining 'nope'"),
    (_base(initialisations=dict(scratch=dict(config=FCN_SCRATCH,
                                             kind='detectron'))),
     "kind='detectron'; expected one of"),
    (_base(initialisations=dict(scratch=dict(
        config=FCN_SCRATCH,
        cfg_options={'pretrained_encoder.checkpoint': 'x.pth'}))),
     'set pretrain=<name> instead'),
    (_base(label_fractions=[0]), r'percentages in \(0, 100\]'),
    (_base(schedule=dict(num_vals=0)), 'num_vals must be >= 1'),
    (_base(pretrain_data=dict(sizes=[50, 200])), 'extra_roots'),
    (_base(primary_metric='mAcc'), 'must be one of study.report_metrics'),
    (_base(extra_test_sets=['data/b']), 'must be a dict name -> data root'),
    (_base(extra_test_sets={'scanner b': 'data/b'}),
     r"extra_test_sets.scanner b='data/b': give a name of letters"),
    (_base(extra_test_sets=dict(b='d/')), 'is study.data_root itself'),
])
def test_bad_study_is_refused_with_the_key(study, match):
    with pytest.raises(StudyConfigError, match=match):
        StudySpec.from_dict(study, 'my_study.py')


def test_missing_config_is_named():
    with pytest.raises(FileNotFoundError, match='nope.py'):
        StudySpec.from_dict(
            _base(initialisations=dict(scratch=dict(config='nope.py'))))


def test_rows_of_different_segmentors_and_their_baselines():
    spec = StudySpec.from_dict(_base(
        pretrain=dict(p=dict(config=FCN_SCRATCH)),
        initialisations=dict(
            scratch=dict(config=FCN_SCRATCH),
            unet=dict(config=UNET, cfg_options=dict(pretrained_encoder=None),
                      schedule=dict(min_iters=500)),
            ssl_fcn=dict(config=FCN_SCRATCH, pretrain='p'),
            ssl_unet=dict(config=UNET, pretrain='p', baseline='unet'),
            nnunet=dict(kind='nnunet', options=dict(trainer='x'))),
        best_supervised='unet'))
    own = {i.name: spec.own_baseline(i) for i in spec.initialisations}
    assert own == dict(scratch=None, unet=None, ssl_fcn='scratch',
                       ssl_unet='unet', nnunet=None)
    assert spec.schedule_of(spec.init('unet')).min_iters == 500
    assert spec.schedule_of(spec.init('scratch')).min_iters == 0
    with pytest.raises(StudyConfigError, match="kind='nnunet' takes neither"):
        StudySpec.from_dict(_base(initialisations=dict(
            scratch=dict(config=FCN_SCRATCH),
            nn=dict(kind='nnunet', cfg_options=dict(a=1)))))


def test_recipe_ablation_runs_the_same_rows_on_both_regimes(monkeypatch):
    """A choice must carry to the second regime, so regime b runs every row
    of regime a; there mmseg's recipe (every row on the stock FCN config)
    rescales around b's native size, not a's."""
    monkeypatch.chdir(REPO)
    a, b = (StudySpec.fromfile(
        f'configs/study/recipe_ablation_knee_us{suffix}.py')
        for suffix in ('', '_b'))
    assert [i.name for i in a.initialisations] == [
        i.name for i in b.initialisations]
    assert [p.name for p in a.pretrainings] == [
        p.name for p in b.pretrainings]
    assert a.comparisons == b.comparisons
    assert (a.data_root, b.data_root) == ('data/knee_us_450', 'data/knee_us_b')
    stock = [i for i in b.initialisations if 'stock_' in i.config]
    assert {i.name for i in stock} == {'scratch_stock', 'stock_stock',
                                      'densecl_stockft'}
    for init in stock:
        assert init.cfg_options[
            'train_dataloader.dataset.pipeline.2.scale'] == (288, 224), \
            init.name
    assert all(not i.cfg_options for i in a.initialisations
               if 'stock_' in i.config)
