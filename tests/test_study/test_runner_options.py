"""How the study assembles each run's command line: what it parses back
into, the converged schedule, the data's own normalisation, nested
pretraining subsets, and the nnU-Net row kind."""
import math
import os.path as osp

import pytest
from tiny_study import REPO, tiny_study_dict

from ussl_mm.apis import build_train_cfg, parse_test_args, parse_train_args
from ussl_mm.apis.run import leaf_datasets
from ussl_mm.study import LabelEfficiencyStudy, StudySpec
from ussl_mm.study.data import labelled_dataset_key
from ussl_mm.study.runner import FinetuneRun, PretrainRun


def _study(tiny_configs, tiny_knee, tmp_path, **kw):
    spec = StudySpec.from_dict(
        tiny_study_dict(tiny_configs, tiny_knee, tmp_path / 'study', **kw))
    return LabelEfficiencyStudy(spec, log=lambda *_: None)


def test_inpainting_preset_rows_differ_only_in_initialisation(monkeypatch):
    monkeypatch.chdir(REPO)
    spec = StudySpec.fromfile('configs/study/inpainting_knee_us.py',
                              {'study.data_stats': False})
    study = LabelEfficiencyStudy(spec, log=lambda *_: None)
    scratch, pre = spec.init('scratch'), spec.init('context_restoration')
    assert scratch.config == pre.config
    ckpts = {'context_restoration@100': 'w/pre/iter_120.pth'}
    a = study.model_options(FinetuneRun(scratch, 5, 1), ckpts)
    b = study.model_options(FinetuneRun(pre, 5, 1, 100.0), ckpts)
    assert a == {
        'pretrained_encoder': None,
        'train_dataloader.dataset.label_fraction': 5,
        'randomness.seed': 1,
    }
    assert b == {
        'train_dataloader.dataset.label_fraction': 5,
        'randomness.seed': 1,
        'pretrained_encoder.checkpoint': 'w/pre/iter_120.pth',
    }


def test_finetune_command_line_is_the_run(tiny_configs, tiny_knee, tmp_path):
    study = _study(tiny_configs, tiny_knee, tmp_path,
                   label_fractions=[50, 100],
                   schedule=dict(epochs=3, min_iters=2, num_vals=2,
                                 save_best='mDice'))
    stats = study.data_stats()
    densecl = study.spec.init('densecl')
    ckpts = {'densecl@100': '/x/iter_2.pth'}
    argv = study.finetune_argv(FinetuneRun(densecl, 50, 1, 100.0), ckpts)
    cfg = build_train_cfg(parse_train_args(argv))
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.work_dir == osp.join(study.spec.work_dir, 'runs',
                                    'densecl_50pct_seed1')
    assert cfg.train_dataloader.dataset.label_fraction == 50
    assert cfg.randomness.seed == 1
    assert cfg.pretrained_encoder.checkpoint == '/x/iter_2.pth'
    assert [h['type'] for h in cfg.custom_hooks].count(
        'PretrainedEncoderHook') == 1
    # 50 % of 8 images = 4, batch 2, 3 epochs -> 6 iterations (floor 2).
    assert cfg.train_cfg.max_iters == 6
    assert cfg.param_scheduler[0].end == 6
    assert cfg.train_cfg.val_interval == 3
    assert cfg.default_hooks.checkpoint.interval == 3
    assert cfg.default_hooks.checkpoint.save_best == 'mDice'
    # The data's own gray mean/std, on every channel.
    pre = cfg.get('data_preprocessor')
    assert pre.mean == [round(stats['mean'], 2)] * 3
    assert pre.std == [round(stats['std'], 2)] * 3
    assert not math.isclose(pre.mean[0], 114.18)
    # Every dataset reads the study's data.
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert all(d['data_root'] == tiny_knee
                   for d in leaf_datasets(cfg[name].dataset))
    # 100 %: 8 images -> 12 iterations; a cap wins.
    argv = study.finetune_argv(FinetuneRun(densecl, 100, 0, 100.0), ckpts)
    assert build_train_cfg(parse_train_args(argv)).train_cfg.max_iters == 12
    study.spec.schedule.max_iters = 10
    argv = study.finetune_argv(FinetuneRun(densecl, 100, 0, 100.0), ckpts)
    assert build_train_cfg(parse_train_args(argv)).train_cfg.max_iters == 10

    # The test command: same model options, per-image files, clinical.
    targv = study.test_argv(FinetuneRun(densecl, 50, 1, 100.0), ckpts,
                            '/x/best.pth')
    args = parse_test_args(targv)
    assert args.clinical and args.checkpoint == '/x/best.pth'
    assert args.cfg_options['test_evaluator.per_image_file'].endswith(
        'densecl_50pct_seed1/per_image.json')
    assert args.cfg_options['randomness.seed'] == 1


def test_rows_without_data_stats_keep_their_normalisation(
        tiny_configs, tiny_knee, tmp_path):
    study = _study(tiny_configs, tiny_knee, tmp_path)
    study.spec.init('scratch').data_stats = False
    opts = study.model_options(
        FinetuneRun(study.spec.init('scratch'), 100, 0), {})
    assert not any('mean' in k for k in opts)


@pytest.mark.slow
def test_pretrain_subsets_are_nested_and_seeded(tiny_configs, tiny_knee,
                                                tmp_path):
    extra = tmp_path / 'extra'
    extra.mkdir()
    import shutil
    for i, name in enumerate(sorted(
            (osp.join(tiny_knee, 'img_dir', 'val', n) for n in
             __import__('os').listdir(osp.join(tiny_knee, 'img_dir',
                                               'val'))))):
        shutil.copy(name, extra / f'extra_{i}.png')
    study = _study(
        tiny_configs, tiny_knee, tmp_path, data_stats=False,
        pretrain_data=dict(sizes=[25, 50, 100, 125], seed=3,
                           extra_roots=[str(extra)]))
    p = study.spec.pretrainings[0]
    kept = {}
    for size in (25, 50, 100, 125):
        argv = study.pretrain_argv(PretrainRun(p, float(size)))
        cfg = build_train_cfg(parse_train_args(argv))
        from mmengine.registry import DefaultScope
        from mmpretrain.registry import DATASETS
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            ds = DATASETS.build(cfg.train_dataloader.dataset)
        kept[size] = {
            osp.basename(ds.get_data_info(i)['img_path'])
            for i in range(len(ds))
        }
        # held-out images never enter, whatever the size
        assert not any('_val_' in k or '_test_' in k for k in kept[size])
    assert [len(kept[s]) for s in (25, 50, 100, 125)] == [2, 4, 8, 10]
    assert kept[25] < kept[50] < kept[100] < kept[125]
    assert sum(k.startswith('extra_') for k in kept[125]) == 2
    # Same seed, same subset; the work dirs differ per size.
    again = study.pretrain_argv(PretrainRun(p, 50.0))
    assert again == study.pretrain_argv(PretrainRun(p, 50.0))
    assert '--work-dir' in again and again[again.index('--work-dir') + 1] \
        .endswith('pretrain/densecl_data50pct')
    with pytest.raises(ValueError, match='needs 20 images'):
        study.pretrain_argv(PretrainRun(p, 250.0))


def test_nnunet_row_without_the_extra_is_a_clear_error(
        tiny_configs, tiny_knee, tmp_path):
    from ussl_mm.baselines import nnunet_available
    if nnunet_available():
        pytest.skip('nnunetv2 is installed: the row would really run')
    study = _study(
        tiny_configs, tiny_knee, tmp_path, data_stats=False,
        initialisations=dict(
            scratch=dict(config=tiny_configs['scratch']),
            nnunet=dict(kind='nnunet',
                        options=dict(trainer='nnUNetTrainer_5epochs'))))
    run = [r for r in study.finetune_runs() if r.init.kind == 'nnunet'][0]
    with pytest.raises(RuntimeError, match=r"pip install '.\[nnunet\]'"):
        study._external_record(run)


def test_missing_extra_test_set_stops_before_any_training(
        tiny_configs, tiny_knee, tmp_path):
    study = _study(tiny_configs, tiny_knee, tmp_path,
                   extra_test_sets=dict(scanner_b=str(tmp_path / 'nope')))
    with pytest.raises(FileNotFoundError,
                       match=r'extra_test_sets.scanner_b: no data set at '):
        study.run()
    assert not osp.exists(tmp_path / 'study')  # nothing ran


def test_extra_test_set_command_tests_the_same_model_elsewhere(
        tiny_configs, tiny_knee, tmp_path):
    study = _study(tiny_configs, tiny_knee, tmp_path,
                   extra_test_sets=dict(scanner_b='data/b'))
    run = FinetuneRun(study.spec.init('densecl'), 100, 0, 100.0)
    ckpts = {'densecl@100': 'w/pre/iter_2.pth'}
    own = parse_test_args(study.test_argv(run, ckpts, 'w/best.pth'))
    other = parse_test_args(
        study.test_argv(run, ckpts, 'w/best.pth', 'scanner_b'))
    assert (own.data_root, other.data_root) == (tiny_knee, 'data/b')
    assert other.work_dir == osp.join(study.run_dir(run), 'test_scanner_b')
    assert other.checkpoint == own.checkpoint == 'w/best.pth'
    # the same model options (normalisation, pretrained encoder) ...
    strip = ('per_image_file', )
    assert {k: v for k, v in own.cfg_options.items()
            if not k.endswith(strip)} == {
                k: v for k, v in other.cfg_options.items()
                if not k.endswith(strip)}
    # ... and its own per-image file
    assert [v for k, v in other.cfg_options.items()
            if k.endswith('per_image_file')] == [
                osp.join(study.run_dir(run), 'per_image_scanner_b.json')]


@pytest.mark.parametrize('preset', [
    pytest.param('quickstart_knee_us.py', marks=pytest.mark.slow),
    'inpainting_knee_us.py',
    pytest.param('unlabelled_scaling_knee_us.py', marks=pytest.mark.slow),
    pytest.param('label_curve_knee_us.py', marks=pytest.mark.slow),
    pytest.param('unlabelled_vs_supervised_knee_us.py',
                 marks=pytest.mark.slow),
])
def test_every_preset_builds_every_command(preset, tiny_knee, tmp_path,
                                           monkeypatch):
    """Each command of the real presets parses and builds a train/test
    config on the study's data, with the data's own normalisation."""
    monkeypatch.chdir(REPO)
    spec = StudySpec.fromfile(
        osp.join('configs/study', preset), {
            'study.data_root': tiny_knee,
            'study.work_dir': str(tmp_path / 'w'),
            'study.label_fractions': [50],
        })
    study = LabelEfficiencyStudy(spec, log=lambda *_: None)
    stats = study.data_stats()
    ckpts = {}
    for p in study.pretrain_runs():
        cfg = build_train_cfg(parse_train_args(study.pretrain_argv(p)))
        pre = cfg.model.get('data_preprocessor') or cfg.data_preprocessor
        if p.pretrain.data_stats:
            assert pre.mean[0] == round(stats['mean'], 2)
        else:  # a stock row keeps its published (ImageNet) normalisation
            assert pre.mean[0] == 123.675
        ckpts[p.key] = f'/x/{p.name}.pth'
    for run in study.finetune_runs():
        cfg = build_train_cfg(parse_train_args(
            study.finetune_argv(run, ckpts)))
        sch = spec.schedule_of(run.init)
        # 50 % of 8 images: the floor in iterations decides.
        assert cfg.train_cfg.max_iters == sch.min_iters
        assert cfg.default_hooks.checkpoint.save_best == 'mDice'
        # Every dataset reads the study's data; the label fraction reaches
        # the labelled one (a semi-supervised row's first dataset).
        key = labelled_dataset_key(cfg)
        labelled = cfg
        for part in key.split('.'):
            labelled = labelled[int(part)] if part.isdigit() else \
                labelled[part]
        assert labelled.label_fraction == 50
        assert all(d['data_root'] == tiny_knee
                   for d in leaf_datasets(cfg.train_dataloader.dataset))
        test_args = parse_test_args(study.test_argv(run, ckpts, '/x/b.pth'))
        assert test_args.data_root == tiny_knee


def test_a_row_can_train_without_amp(tiny_configs, tiny_knee, tmp_path):
    """The fp32 row of a bf16-vs-fp32 ablation: `amp=False` on one row."""
    study = _study(tiny_configs, tiny_knee, tmp_path)
    study.spec.amp = True
    init = study.spec.init('scratch')
    assert '--amp' in study.finetune_argv(FinetuneRun(init, 100, 0), {})
    init.amp = False
    argv = study.finetune_argv(FinetuneRun(init, 100, 0), {})
    assert '--amp' not in argv
    assert build_train_cfg(parse_train_args(argv)).optim_wrapper.type == \
        'OptimWrapper'


def test_step_decay_moves_with_the_iterations(tiny_configs, tiny_knee,
                                              tmp_path):
    """The U-Net's MultiStepLR (decay at 450 of 500) stays at 90 % when the
    schedule gives the run 1000 iterations; at 500 nothing is overridden."""
    unet = osp.join(REPO,
                    'configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py')
    study = _study(
        tiny_configs, tiny_knee, tmp_path,
        initialisations=dict(
            scratch=dict(config=tiny_configs['scratch']),
            unet=dict(config=unet, schedule=dict(min_iters=1000)),
            unet_500=dict(config=unet, schedule=dict(min_iters=500))))
    study.spec.schedule.save_best = None
    opts = study.schedule_options(FinetuneRun(study.spec.init('unet'), 100,
                                              0), {})
    assert opts['train_cfg.max_iters'] == 1000
    assert opts['param_scheduler.0.milestones'] == [900]
    argv = study.finetune_argv(FinetuneRun(study.spec.init('unet'), 100, 0),
                               {})
    cfg = build_train_cfg(parse_train_args(argv))
    assert cfg.param_scheduler[0].milestones == [900]
    assert cfg.train_cfg.max_iters == 1000
    opts = study.schedule_options(
        FinetuneRun(study.spec.init('unet_500'), 100, 0), {})
    assert opts['train_cfg.max_iters'] == 500
    assert not any('milestones' in k for k in opts)
    # The tiny FCN's poly schedule (no milestones) gets none either.
    opts = study.schedule_options(
        FinetuneRun(study.spec.init('scratch'), 100, 0), {})
    assert not any('milestones' in k for k in opts)
