"""Every checkpoint a training is given (``--resume PATH``, ``--resume``
through ``last_checkpoint``, ``load_from=``) is read by the reader that
names the file, and checked against the model before mmengine touches it;
``load_from`` is strict unless ``load_from_strict=False``. (The
``pretrained_encoder.checkpoint`` and ``tools/test.py`` paths are covered
in test_pretrained_encoder_hook.py and test_utils/test_checkpoint.py.)"""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import save_checkpoint
from resume_configs import tiny_fcn, tiny_unet

from ussl_mm.apis import build_train_runner, parse_train_args
from ussl_mm.utils.checkpoint import CheckpointReadError


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64,
                            fractions=None))


@pytest.fixture(scope='module')
def trained(knee_root, tmp_path_factory):
    """The tiny FCN trained 2 iterations (iter_1.pth, iter_2.pth and a
    best checkpoint), and the tiny U-Net's weights (another
    architecture)."""
    tmp = tmp_path_factory.mktemp('entry')
    config = tiny_fcn(tmp / 'fcn.py', max_iters=2, val_interval=2)
    work = tmp / 'work'
    runner = build_train_runner(parse_train_args(
        [config, '--work-dir', str(work), '--data-root', knee_root,
         '--cfg-options', 'default_hooks.checkpoint.max_keep_ckpts=3']))
    runner.train()
    unet_cfg = tiny_unet(tmp / 'unet.py')
    unet = build_train_runner(parse_train_args(
        [unet_cfg, '--work-dir', str(tmp / 'unet'), '--data-root',
         knee_root]))
    other = str(tmp / 'unet_weights.pth')
    save_checkpoint(
        {'state_dict': unet.model.state_dict(),
         'meta': {'iter': 2, 'epoch': 0},
         'optimizer': {'state': {}, 'param_groups': []}}, other)
    return dict(config=config, work=work, other=other)


def _argv(trained, knee_root, work, *extra):
    return [trained['config'], '--work-dir', str(work), '--data-root',
            knee_root, *extra]


def _bad(tmp_path, kind):
    path = tmp_path / f'{kind}.pth'
    if kind == 'text':
        path.write_text('<html>404 Not Found</html>\n')
    else:
        path.write_bytes(b'')
    return str(path)


@pytest.mark.parametrize('kind,words', [
    ('text', 'is a text file, not a torch checkpoint'),
    ('empty', 'is empty (0 bytes)'),
])
@pytest.mark.parametrize('how', ['--resume PATH', 'load_from='])
def test_unreadable_checkpoint_names_the_file(trained, knee_root, tmp_path,
                                              kind, words, how):
    path = _bad(tmp_path, kind)
    extra = ['--resume', path] if how == '--resume PATH' else [
        '--cfg-options', f'load_from={path}']
    with pytest.raises(CheckpointReadError) as err:
        build_train_runner(parse_train_args(
            _argv(trained, knee_root, tmp_path / 'w', *extra)))
    assert path in str(err.value) and words in str(err.value)


def test_resume_from_another_architecture_is_refused_with_counts(
        trained, knee_root, tmp_path):
    with pytest.raises(RuntimeError) as err:
        build_train_runner(parse_train_args(_argv(
            trained, knee_root, tmp_path / 'w', '--resume',
            trained['other'])))
    msg = str(err.value)
    assert f'Cannot resume from {trained["other"]}' in msg
    assert 'missing' in msg and 'unexpected' in msg
    assert 'First missing: [' in msg and 'backbone.' in msg
    assert trained['config'] in msg


def test_resume_from_a_weights_only_checkpoint_is_refused(
        trained, knee_root, tmp_path):
    best = [p for p in trained['work'].iterdir()
            if p.name.startswith('best_')][0]
    with pytest.raises(CheckpointReadError,
                       match='no optimizer state.*iter_\\*.pth'):
        build_train_runner(parse_train_args(_argv(
            trained, knee_root, tmp_path / 'w', '--resume', str(best))))


def test_last_checkpoint_naming_a_missing_file_is_named(
        trained, knee_root, tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    (work / 'last_checkpoint').write_text(str(work / 'iter_7.pth'))
    with pytest.raises(FileNotFoundError) as err:
        build_train_runner(parse_train_args(_argv(
            trained, knee_root, work, '--resume')))
    msg = str(err.value)
    assert str(work / 'last_checkpoint') in msg
    assert 'iter_7.pth' in msg and 'does not exist' in msg
    assert '--resume PATH' in msg and 'delete' in msg


class _Conv1(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        self.conv1 = runner.model.backbone.conv1.weight.detach().clone()


def test_load_from_is_strict_unless_told_otherwise(trained, knee_root,
                                                   tmp_path):
    argv = _argv(trained, knee_root, tmp_path / 'w', '--cfg-options',
                 f'load_from={trained["other"]}')
    with pytest.raises(RuntimeError) as err:
        build_train_runner(parse_train_args(argv))
    msg = str(err.value)
    assert f'load_from={trained["other"]} does not match' in msg
    assert 'missing' in msg and 'unexpected' in msg
    assert 'load_from_strict=False' in msg
    # The explicit opt-out: a partial load (nothing matches here), trained.
    runner = build_train_runner(parse_train_args(
        argv + ['load_from_strict=False', 'train_cfg.max_iters=1']))
    runner.train()
    assert runner.iter == 1


def test_load_from_a_matching_checkpoint_loads_every_tensor(
        trained, knee_root, tmp_path):
    ckpt = str(trained['work'] / 'iter_2.pth')
    saved = torch.load(ckpt)['state_dict']
    runner = build_train_runner(parse_train_args(_argv(
        trained, knee_root, tmp_path / 'w', '--cfg-options',
        f'load_from={ckpt}', 'train_cfg.max_iters=1')))
    rec = _Conv1()
    runner.register_hook(rec)
    runner.train()
    torch.testing.assert_close(rec.conv1, saved['backbone.conv1.weight'])
    assert osp.isfile(tmp_path / 'w' / 'iter_1.pth')
