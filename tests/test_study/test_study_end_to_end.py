"""tools/study.py on a tiny study: pretraining, FCN from scratch and from
DenseCL, best checkpoint on validation tested with the clinical metric,
t-SNE, one report; every logged command rebuilds exactly the config that
ran; a second invocation skips everything."""
import contextlib
import importlib.util
import io
import json
import os.path as osp
import shlex

import pytest
from mmengine.config import Config
from tiny_study import REPO, tiny_study_dict

from ussl_mm.apis import (build_test_cfg, build_train_cfg, parse_test_args,
                          parse_train_args)

pytestmark = pytest.mark.slow

TOOL = osp.join(REPO, 'tools', 'study.py')


def _tool():
    spec = importlib.util.spec_from_file_location('study_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def finished(tiny_configs, tiny_knee, tmp_path_factory, knee_us_data):
    tmp = tmp_path_factory.mktemp('study')
    # another 'scanner': other images (seed 1), 3 test images instead of 4
    other = str(knee_us_data(num_train=2, num_val=1, num_test=3, size=64,
                             seed=1, fractions=None))
    study = tiny_study_dict(tiny_configs, tiny_knee, tmp / 'work',
                            extra_test_sets=dict(other=other))
    cfg_file = tmp / 'tiny_study.py'
    Config(dict(study=study)).dump(str(cfg_file))
    records, logged = _run(str(cfg_file))
    return dict(records=records, log=logged, work=str(tmp / 'work'),
                cfg_file=str(cfg_file), other=other)


def _run(cfg_file):
    """tools/study.py CFG_FILE; returns the records and the printed lines."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        records = _tool().main([cfg_file])
    return records, out.getvalue().splitlines()


def test_runs_and_report(finished):
    records = finished['records']
    work = finished['work']
    # scratch + densecl, one fraction, one seed
    assert sorted(osp.basename(r['work_dir']) for r in records) == [
        'densecl_100pct_seed0', 'scratch_100pct_seed0'
    ]
    for r in records:
        # 8 training images, batch 2, 1 epoch -> 4 iterations
        assert (r['n_train'], r['batch_size'], r['iters']) == (8, 2, 4)
        assert r['epochs'] == pytest.approx(1.0)
        # one validation (at the end): the best checkpoint is iteration 4
        assert r['best_iter'] == 4
        assert osp.basename(r['checkpoint']) == 'best_mDice_iter_4.pth'
        assert 0 <= r['metrics']['mDice'] <= 100
        assert osp.isfile(r['per_image_file'])
        assert osp.isfile(r['clinical_file'])
        assert osp.isfile(r['config_dump'])
    md = open(osp.join(work, 'results.md'), encoding='utf-8').read()
    for heading in ('## Results', '## Label-fraction curve',
                    '## Training of each run', '## Clinical measurements',
                    '## Features: t-SNE',
                    '## Reproducibility', '### Every command'):
        assert heading in md, heading
    # One seed: the per-image test says so and has no stars.
    row = [ln for ln in md.splitlines() if ln.startswith('| 100% | densecl')]
    assert row and 'over test images, one seed' in row[0]
    assert '*' not in row[0]
    for png in ('results.png', 'tsne/densecl_pretrained.png',
                'tsne/densecl_random.png'):
        assert osp.getsize(osp.join(work, png)) > 1000, png
        assert png in md
    assert 'git commit' in md and 'mmengine 0.10.7' in md
    # every model is also tested on the extra test set, scored per image
    # there (3 images, not the 4 of study.data_root) and reported
    for r in records:
        extra = r['extra_tests']['other']
        assert 0 <= extra['metrics']['mDice'] <= 100
        assert len(json.load(open(extra['per_image_file']))) == 3
        assert len(json.load(open(r['per_image_file']))) == 4
        assert f'--data-root {finished["other"]}' in extra['test_command']
        assert extra['test_command'] in md
    section = md[md.index('## Tested on `other`'):md.index(
        '## Label-fraction curve')]
    assert finished['other'] in section
    assert sorted(ln.split('|')[2].strip(' ⚠') for ln in section.splitlines()
                  if ln.startswith('| 100% |')) == ['densecl', 'scratch']
    assert 'tools/study.py' in md
    assert osp.isfile(osp.join(work, 'study_config.py'))
    stats = json.load(open(osp.join(work, 'dataset_stats.json')))
    assert f'gray mean {stats["mean"]:.2f}' in md


def _logged(finished, script):
    return [
        shlex.split(ln.strip()[2:]) for ln in finished['log']
        if ln.strip().startswith(f'$ python {script}')
    ]


def test_every_logged_command_rebuilds_the_config_that_ran(finished,
                                                           tmp_path):
    trains = _logged(finished, 'tools/train.py')
    assert len(trains) == 1 + 2  # the pretraining, two fine-tunings
    for cmd in trains:
        cfg = build_train_cfg(parse_train_args(cmd[2:]))
        dumped = osp.join(cfg.work_dir, osp.basename(cmd[2]))
        rebuilt = str(tmp_path / 'rebuilt.py')
        cfg.dump(rebuilt)
        assert open(rebuilt).read() == open(dumped).read(), cmd
    tests = _logged(finished, 'tools/test.py')
    assert len(tests) == 2 * 2  # on study.data_root and on extra set 'other'
    for cmd in tests:
        args = parse_test_args(cmd[2:])
        assert args.clinical
        cfg = build_test_cfg(args)
        dumped = osp.join(cfg.work_dir, osp.basename(cmd[2]))
        rebuilt = str(tmp_path / 'rebuilt_test.py')
        cfg.dump(rebuilt)
        assert open(rebuilt).read() == open(dumped).read(), cmd


def test_second_invocation_skips_every_run(finished):
    before = json.load(open(osp.join(finished['work'], 'records.json')))
    records, logged = _run(finished['cfg_file'])
    assert records == before
    assert not any(ln.strip().startswith('$ python') for ln in logged)
    assert sum('already trained' in ln for ln in logged) == 3


def _changed_study(finished, tiny_configs, tiny_knee, tmp_path, **pretrain):
    """The finished study's file, with its pretraining row changed."""
    study = tiny_study_dict(tiny_configs, tiny_knee, finished['work'])
    study['pretrain']['densecl'].update(pretrain)
    cfg_file = tmp_path / 'changed_study.py'
    Config(dict(study=study)).dump(str(cfg_file))
    return str(cfg_file)


def test_changed_setting_of_a_finished_run_is_refused(finished, tiny_configs,
                                                      tiny_knee, tmp_path):
    """A finished run whose config changed since (here the queue length of
    the pretraining) is not reused under the new settings: the study stops
    and names the run, the key and both values; nothing is retrained."""
    from ussl_mm.study import StaleRunError
    done = osp.join(finished['work'], 'pretrain', 'densecl', 'done.json')
    before = open(done).read()
    cfg_file = _changed_study(
        finished, tiny_configs, tiny_knee, tmp_path,
        cfg_options={'model.queue_len': 16})
    with pytest.raises(StaleRunError) as err:
        _run(cfg_file)
    msg = str(err.value)
    assert osp.join(finished['work'], 'pretrain', 'densecl') in msg
    assert 'model.queue_len: trained 8, now 16' in msg
    assert 'Delete' in msg and '--work-dir' in msg
    assert open(done).read() == before


def test_changed_command_without_config_dump_is_refused(
        finished, tiny_configs, tiny_knee, tmp_path):
    """A run recorded without its config dump (older work dirs) is
    compared by its logged command."""
    import shutil

    from ussl_mm.study import StaleRunError
    from ussl_mm.study.stale import check_run_current
    src = osp.join(finished['work'], 'pretrain', 'densecl')
    wd = str(tmp_path / 'densecl')
    shutil.copytree(src, wd)
    done = json.load(open(osp.join(wd, 'done.json')))
    argv = shlex.split(done['command'])[2:]
    # Unchanged: accepted, with or without the dump.
    check_run_current(argv, wd, done, done['command'])
    done['config_dump'] = None
    check_run_current(argv, wd, done, done['command'])
    changed = argv + ['--cfg-options', 'model.queue_len=16']
    with pytest.raises(StaleRunError, match='another command'):
        check_run_current(changed, wd, done, shlex.join(['python'] + changed))
