"""Inpainting checkpoint -> U-Net segmentor through PretrainedEncoderHook:
the whole encoder loads (encoder mode), the decoder too (encoder+decoder);
with FreezeThenUnfreezeHook, frozen weights do not move during freeze_iters
and move afterwards."""
import os.path as osp

import nibabel as nib
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRE_CPU = osp.join(
    ROOT, 'configs/context_restoration/'
    'context-restoration_unet-tiny_1xb8-adam-120i_nifti-mri-128_cpu.py')
SEG_CPU = osp.join(
    ROOT, 'configs/context_restoration/benchmarks/'
    'unet-tiny_1xb8-adam-500i_nifti-mri-128_context-restoration_cpu.py')
TINY_UNET = dict(
    base_channels=8,
    num_stages=3,
    strides=(1, 1, 1),
    enc_num_convs=(2, 2, 2),
    dec_num_convs=(2, 2),
    downsamples=(True, True),
    enc_dilations=(1, 1, 1),
    dec_dilations=(1, 1),
    norm_cfg=dict(type='GN', num_groups=4, requires_grad=True))


@pytest.fixture
def pretrained_ckpt(tmp_path):
    """A tiny ContextRestoration checkpoint with distinctive weights."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(PRE_CPU)
    cfg.model.backbone.update(TINY_UNET)
    cfg.model.head.in_channels = 8
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    torch.manual_seed(123)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    path = str(tmp_path / 'cr.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path, {k: v.clone() for k, v in model.state_dict().items()}


@pytest.fixture
def nifti_root(tmp_path):
    rng = np.random.default_rng(0)
    for split in ('train', ):
        for i in range(2):
            vol = rng.normal(0, 1, (32, 32, 3)).astype(np.float32)
            mask = np.zeros((32, 32, 3), np.uint8)
            mask[8:20, 10:24] = 1
            vol[mask.astype(bool)] += 2
            for d, a in (('img_dir', vol), ('ann_dir', mask)):
                p = tmp_path / 'data' / d / split
                p.mkdir(parents=True, exist_ok=True)
                nib.save(nib.Nifti1Image(a, np.eye(4)), str(p / f'v{i}.nii'))
    return str(tmp_path / 'data')


class Recorder(Hook):
    """Snapshot backbone tensors before training and after every iter."""

    def __init__(self):
        self.before = None
        self.after = []

    def _snap(self, runner):
        return {k: v.detach().clone()
                for k, v in runner.model.state_dict().items()
                if k.startswith('backbone.')}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.before is None:  # after every before_train hook ran
            self.before = self._snap(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.after.append(self._snap(runner))


def _runner(tmp_path, data_root, ckpt, mode, freeze_iters, max_iters):
    cfg = Config.fromfile(SEG_CPU)
    cfg.model.backbone.update(TINY_UNET)
    cfg.model.decode_head.update(in_channels=8, in_index=2, channels=8,
                                 norm_cfg=dict(type='GN', num_groups=4))
    cfg.data_preprocessor.size = (32, 32)
    pipeline = [dict(type='PackSegInputs')]
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=data_root, img_suffix='.nii', seg_map_suffix='.nii',
        pipeline=pipeline)
    for k in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader',
              'test_cfg', 'test_evaluator'):
        cfg[k] = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.default_hooks.pop('visualization', None)
    cfg.pretrained_encoder.update(checkpoint=ckpt, mode=mode)
    if freeze_iters:
        cfg.custom_hooks.append(
            dict(type='FreezeThenUnfreezeHook', freeze_iters=freeze_iters,
                 prefixes=['backbone.encoder.']))
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    rec = Recorder()
    runner.register_hook(rec, priority='LOWEST')
    return runner, rec


def _prefixed(state, prefix):
    return {k: v for k, v in state.items() if k.startswith(prefix)}


@pytest.mark.slow
def test_encoder_transfer_loads_the_whole_encoder_then_freeze_unfreeze(
        tmp_path, nifti_root, pretrained_ckpt):
    ckpt, src = pretrained_ckpt
    runner, rec = _runner(tmp_path, nifti_root, ckpt, 'encoder',
                          freeze_iters=2, max_iters=4)
    runner.train()
    enc = _prefixed(rec.before, 'backbone.encoder.')
    dec = _prefixed(rec.before, 'backbone.decoder.')
    assert len(enc) > 0
    assert set(enc) == set(_prefixed(src, 'backbone.encoder.'))
    for k, v in enc.items():  # every encoder tensor came from the checkpoint
        torch.testing.assert_close(v, src[k], msg=k)
    assert all(not torch.equal(v, src[k]) for k, v in dec.items()
               if v.is_floating_point() and v.numel() > 1), \
        'encoder mode must not load the decoder'
    # Frozen for 2 iterations: the encoder did not move...
    for it in (0, 1):
        for k in enc:
            torch.testing.assert_close(rec.after[it][k], src[k], msg=k)
    # ...while the decoder trained...
    assert any(not torch.equal(rec.after[1][k], dec[k]) for k in dec)
    # ...then it was unfrozen and moved.
    moved = [k for k in enc if k.endswith('conv.weight')
             and not torch.equal(rec.after[3][k], src[k])]
    assert len(moved) == sum(k.endswith('conv.weight') for k in enc)
    assert all(p.requires_grad for p in runner.model.parameters())


@pytest.mark.slow
def test_encoder_plus_decoder_transfer(tmp_path, nifti_root, pretrained_ckpt):
    ckpt, src = pretrained_ckpt
    runner, rec = _runner(tmp_path, nifti_root, ckpt, 'encoder+decoder',
                          freeze_iters=0, max_iters=1)
    runner.train()
    bb = _prefixed(rec.before, 'backbone.')
    assert set(bb) == set(_prefixed(src, 'backbone.'))
    for k, v in bb.items():
        torch.testing.assert_close(v, src[k], msg=k)


def test_shortfall_is_refused(tmp_path, nifti_root, pretrained_ckpt):
    ckpt, src = pretrained_ckpt
    state = {k: v for k, v in src.items()
             if not k.startswith('backbone.encoder.2.')}
    torch.save(dict(state_dict=state), ckpt)
    runner, _ = _runner(tmp_path, nifti_root, ckpt, 'encoder', 0, 1)
    with pytest.raises(RuntimeError, match='encoder'):
        runner.train()
