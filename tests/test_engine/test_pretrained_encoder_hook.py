"""PretrainedEncoderHook: DenseCL checkpoint -> FCN encoder, verified, driven
by the top-level ``pretrained_encoder`` dict of the config."""
import argparse
import copy
import logging
import os.path as osp
import types

import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from ussl_mm.engine.hooks import (PretrainedEncoderHook,
                                  ensure_pretrained_encoder_hook)
from ussl_mm.utils.checkpoint import transfer_weights

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
FCN_DENSECL_CPU = osp.join(
    CFG_DIR, 'densecl/benchmarks/'
    'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')


def _densecl_r18(queue_len=32, backbone=None):
    """Tiny DenseCL built from the project's model base config."""
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(CFG_DIR, '_base_/models/densecl_r50.py'))
    cfg.model.queue_len = queue_len
    cfg.model.backbone.depth = 18
    if backbone is not None:
        cfg.model.backbone = backbone
    cfg.model.neck.in_channels = 512
    cfg.model.neck.hid_channels = 512
    return MODELS.build(cfg.model)


def _fcn_r18(in_channels=3):
    """Tiny FCN built from the project's model base config."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(CFG_DIR, '_base_/models/fcn_r50-d8.py'))
    cfg.model.data_preprocessor = dict(
        type='SegDataPreProcessor', bgr_to_rgb=True, size=(32, 32),
        mean=[114.0] * 3, std=[80.0] * 3, seg_pad_val=255)
    cfg.model.backbone.depth = 18
    cfg.model.backbone.in_channels = in_channels
    cfg.model.decode_head.update(in_channels=512, channels=16)
    cfg.model.auxiliary_head.update(in_channels=256, channels=8)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _train_densecl(model, steps=2, size=32, batch=4):
    """A few real optimisation steps on random two-view batches."""
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(steps):
        views = [torch.randn(batch, 3, size, size) for _ in range(2)]
        losses = model.loss(views, [None] * batch)
        loss = sum(losses.values())
        optim.zero_grad()
        loss.backward()
        optim.step()
    return model


@pytest.fixture(scope='module')
def densecl_ckpt(tmp_path_factory):
    """A real DenseCL checkpoint (mmengine format) after 2 training steps."""
    torch.manual_seed(1)
    model = _densecl_r18()
    model.init_weights()
    _train_densecl(model)
    path = str(tmp_path_factory.mktemp('densecl') / 'densecl_r18.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture
def mm_log(caplog):
    """caplog on mmengine's current logger (MMLogger calls only its own
    handlers, so the root logger's caplog handler would see nothing)."""
    logger = MMLogger.get_current_instance()
    caplog.handler.setLevel(logging.INFO)
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def _runner(model, it=0, **cfg):
    """What the hook uses of a Runner: model, iter and cfg (public API)."""
    return types.SimpleNamespace(model=model, iter=it, cfg=Config(cfg))


def _run(model, it=0, **options):
    hook = PretrainedEncoderHook()
    hook.before_train(_runner(model, it, pretrained_encoder=options))
    return hook


def test_every_fcn_backbone_key_is_in_densecl_checkpoint(densecl_ckpt):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    tgt = _fcn_r18().state_dict()
    tgt_backbone = {k: v for k, v in tgt.items() if k.startswith('backbone.')}
    assert len(tgt_backbone) == 120
    missing = [k for k in tgt_backbone if k not in src]
    bad_shape = [
        k for k in tgt_backbone
        if k in src and src[k].shape != tgt_backbone[k].shape
    ]
    assert not missing and not bad_shape, (missing[:5], bad_shape[:5])


@pytest.mark.slow
def test_transfer_from_top_level_dict_loads_encoder_leaves_decoder(
        densecl_ckpt):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = _run(model, checkpoint=densecl_ckpt)

    after = model.state_dict()
    assert hook.report['ratio'] == 1.0
    assert len(hook.report['matched']) == hook.report['total'] == 120
    # Every encoder tensor now equals the checkpoint; the weights changed.
    for k, v in after.items():
        if k.startswith('backbone.'):
            assert torch.equal(v, src[k]), k
    conv = 'backbone.layer3.1.conv2.weight'
    assert not torch.equal(after[conv], before[conv])
    assert hook.report['changed'] == hook.report['changed_total'] == 100
    # Decoder (decode_head, auxiliary_head) untouched.
    head_keys = [k for k in after if not k.startswith('backbone.')]
    assert any(k.startswith('decode_head.') for k in head_keys)
    for k in head_keys:
        assert torch.equal(after[k], before[k]), k
    assert all(p.requires_grad for p in model.backbone.parameters())


def test_cfg_options_override_reaches_the_hook(densecl_ckpt):
    """``--cfg-options pretrained_encoder.checkpoint=PATH`` on a real
    fine-tuning config, whatever else is in custom_hooks."""
    cfg = Config.fromfile(FCN_DENSECL_CPU)
    assert cfg.pretrained_encoder.checkpoint != densecl_ckpt
    assert dict(type='PretrainedEncoderHook') in cfg.custom_hooks
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args([
        '--cfg-options', f'pretrained_encoder.checkpoint={densecl_ckpt}',
        'pretrained_encoder.min_loaded_ratio=1.0'
    ])
    cfg.custom_hooks.insert(0, dict(type='EMAHook'))  # index 0 is not ours
    cfg.merge_from_dict(args.cfg_options)
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    model = _fcn_r18()
    runner = types.SimpleNamespace(model=model, iter=0, cfg=cfg)
    hook = PretrainedEncoderHook()
    hook.before_train(runner)
    assert hook.report['ratio'] == 1.0
    assert torch.equal(model.state_dict()['backbone.conv1.weight'],
                       src['backbone.conv1.weight'])


def test_explicit_none_is_a_logged_scratch_run(mm_log):
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = PretrainedEncoderHook()
    hook.before_train(_runner(model, pretrained_encoder=None))
    assert hook.report == {}
    assert 'deliberate from-scratch run' in mm_log.text
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


@pytest.mark.slow
def test_missing_key_and_bad_options_are_errors(densecl_ckpt):
    with pytest.raises(KeyError, match='pretrained_encoder.checkpoint=PATH'):
        PretrainedEncoderHook().before_train(_runner(_fcn_r18()))
    with pytest.raises(ValueError, match=r"unknown keys \['chekpoint'\]"):
        _run(_fcn_r18(), checkpoint=densecl_ckpt, chekpoint='x.pth')
    with pytest.raises(ValueError, match='pretrained_encoder.checkpoint'):
        _run(_fcn_r18(), mode='encoder')
    with pytest.raises(ValueError, match='not both'):
        _run(_fcn_r18(), checkpoint=densecl_ckpt, mode='encoder',
             prefix_map={'backbone.': 'backbone.'})
    with pytest.raises(ValueError, match='needs an encoder-decoder'):
        _run(_fcn_r18(), checkpoint=densecl_ckpt, mode='encoder+decoder')
    with pytest.raises(ValueError, match='overlap'):
        _run(_fcn_r18(), checkpoint=densecl_ckpt,
             prefix_map={'backbone.': 'backbone.',
                         'backbone.layer1.': 'backbone.layer1.'})


def test_missing_checkpoint_names_the_file(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth does not exist'):
        _run(_fcn_r18(), checkpoint=missing)


@pytest.mark.slow
def test_resume_transfers_nothing(densecl_ckpt):
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = _run(model, it=4, checkpoint=densecl_ckpt)
    assert hook.report == {}
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    # A run that starts at iter 0 (auto-resume found nothing) transfers.
    assert _run(model, it=0, checkpoint=densecl_ckpt).report['ratio'] == 1.0


def test_ensure_adds_the_hook_once():
    cfg = Config(dict(pretrained_encoder=dict(checkpoint='a.pth'),
                      custom_hooks=[dict(type='EMAHook')]))
    ensure_pretrained_encoder_hook(cfg)
    assert cfg.custom_hooks == [
        dict(type='EMAHook'), dict(type='PretrainedEncoderHook')
    ]
    ensure_pretrained_encoder_hook(cfg)
    assert len(cfg.custom_hooks) == 2
    # No custom_hooks at all (a stock library config).
    cfg = ensure_pretrained_encoder_hook(
        Config(dict(pretrained_encoder=dict(checkpoint='a.pth'))))
    assert cfg.custom_hooks == [dict(type='PretrainedEncoderHook')]
    # None (deliberate scratch) or absent: nothing added.
    for cfg in (Config(dict(pretrained_encoder=None)), Config(dict())):
        ensure_pretrained_encoder_hook(cfg)
        assert not cfg.get('custom_hooks')


def test_accepts_bare_and_ddp_state_dicts(densecl_ckpt, tmp_path):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    path = str(tmp_path / 'ddp_bare.pth')
    torch.save({'module.' + k: v for k, v in src.items()}, path)
    model = _fcn_r18()
    _run(model, checkpoint=path)
    assert torch.equal(model.state_dict()['backbone.conv1.weight'],
                       src['backbone.conv1.weight'])


@pytest.mark.slow
def test_refuses_deep_stem_checkpoint_with_counts(tmp_path):
    # A ResNetV1c (deep stem) pretraining: the classic silent failure.
    deep = _densecl_r18(backbone=dict(type='ResNetV1c', depth=18))
    path = str(tmp_path / 'densecl_r18v1c.pth')
    torch.save({'state_dict': deep.state_dict()}, path)
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(RuntimeError) as err:
        _run(model, checkpoint=path)
    msg = str(err.value)
    # conv1.weight + bn1.{weight,bias,running_mean,running_var,
    # num_batches_tracked} are missing: 114 of 120 loaded.
    assert 'Loaded 114/120 (95.0%)' in msg
    assert "prefix_map={'backbone.': 'backbone.'}" in msg
    assert 'backbone.conv1.weight' in msg
    assert path in msg
    assert 'need >= 100%' in msg
    assert 'Nothing was loaded' in msg
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


@pytest.mark.slow
def test_refuses_deeper_encoder_with_counts(tmp_path):
    # ResNet-34 holds every ResNet-18 key with equal shape: only the extra
    # keys show that the architecture is wrong.
    r34 = _densecl_r18(backbone=dict(type='ResNet', depth=34))
    path = str(tmp_path / 'densecl_r34.pth')
    torch.save({'state_dict': r34.state_dict()}, path)
    with pytest.raises(RuntimeError) as err:
        _run(_fcn_r18(), checkpoint=path)
    msg = str(err.value)
    assert 'Loaded 120/120 (100.0%)' in msg
    assert 'unexpected in checkpoint (first 5): [' in msg
    assert 'backbone.layer1.2.conv1.weight' in msg
    assert 'different architecture' in msg
    hook = _run(_fcn_r18(), checkpoint=path, allow_unexpected=True)
    assert len(hook.report['unexpected']) > 0


@pytest.mark.slow
def test_refuses_wrong_prefix_and_prefix_map_fixes_it(densecl_ckpt,
                                                      tmp_path):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    path = str(tmp_path / 'renamed.pth')
    torch.save({'state_dict': {k.replace('backbone.', 'encoder_q.', 1): v
                               for k, v in src.items()}}, path)
    with pytest.raises(RuntimeError, match=r'Loaded 0/120 \(0\.0%\)'):
        _run(_fcn_r18(), checkpoint=path)
    model = _fcn_r18()
    _run(model, checkpoint=path, prefix_map={'encoder_q.': 'backbone.'})
    assert torch.equal(model.state_dict()['backbone.layer4.1.bn2.weight'],
                       src['backbone.layer4.1.bn2.weight'])


@pytest.mark.slow
def test_one_vs_three_channel_stem(densecl_ckpt):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    with pytest.raises(RuntimeError) as err:
        _run(_fcn_r18(in_channels=1), checkpoint=densecl_ckpt)
    msg = str(err.value)
    assert 'Loaded 119/120' in msg and 'adapt_stem' in msg
    assert 'backbone.conv1.weight: checkpoint (64, 3, 7, 7) vs model ' \
        '(64, 1, 7, 7)' in msg
    model = _fcn_r18(in_channels=1)
    _run(model, checkpoint=densecl_ckpt, adapt_stem='sum')
    w = model.state_dict()['backbone.conv1.weight']
    assert w.shape[1] == 1
    torch.testing.assert_close(
        w, src['backbone.conv1.weight'].sum(1, keepdim=True))


@pytest.mark.slow
def test_checkpoint_equal_to_init_is_reported(tmp_path, mm_log):
    torch.manual_seed(3)
    model = _fcn_r18()
    path = str(tmp_path / 'same.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    report = transfer_weights(model, path, {'backbone.': 'backbone.'})
    assert report['ratio'] == 1.0
    assert report['changed'] == 0
    warnings = [r.getMessage() for r in mm_log.records
                if r.levelno == logging.WARNING]
    assert any('equals the current initialisation' in w for w in warnings)


class Foreign:
    """A class torch's weights_only unpickler must refuse."""


def _bad_checkpoints(tmp_path, densecl_ckpt):
    """(file, expected words): every way a checkpoint file can be wrong."""
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    text = tmp_path / 'lfs_pointer.pth'
    text.write_text('version https://git-lfs.github.com/spec/v1\n'
                    'oid sha256:0123\nsize 1234\n')
    data = open(densecl_ckpt, 'rb').read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    foreign = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {}, 'obj': Foreign()}, foreign)
    legacy = tmp_path / 'legacy_truncated.pth'
    torch.save({'a': torch.zeros(3)}, legacy,
               _use_new_zipfile_serialization=False)
    legacy.write_bytes(legacy.read_bytes()[:100])
    directory = tmp_path / 'a_dir.pth'
    directory.mkdir()
    return [
        (empty, 'is empty (0 bytes)'),
        (text, 'is a text file, not a torch checkpoint'),
        (text, 'Git LFS pointer'),
        (truncated, 'truncated torch zip archive'),
        (foreign, 'Foreign'),
        (foreign, 'weights_only=True'),
        (legacy, 'truncated pickle'),
        (directory, 'is a directory'),
    ]


@pytest.mark.slow
def test_bad_checkpoint_files_name_the_file_and_the_problem(
        tmp_path, densecl_ckpt):
    from ussl_mm.utils.checkpoint import CheckpointReadError
    for path, words in _bad_checkpoints(tmp_path, densecl_ckpt):
        with pytest.raises(CheckpointReadError) as err:
            _run(_fcn_r18(), checkpoint=str(path))
        msg = str(err.value)
        assert str(path) in msg and words in msg, (path.name, msg)
