"""ContextPrediction / ContextRestoration on a tiny U-Net, InpaintingHead,
BatchDiceLoss, and key equality with the U-Net segmentor."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from mmpretrain.datasets.transforms import PackInputs

from ussl_mm.datasets.transforms import (ContextPredictionCorruption,
                                         ContextRestorationCorruption)

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


def build_tiny(algo='ContextRestoration', mean=(100., ) * 3, std=(50., ) * 3):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(PRE_CPU)
    m = cfg.model
    m.type = algo
    m.backbone.update(TINY_UNET)
    m.head.in_channels = 8
    m.data_preprocessor = dict(cfg.data_preprocessor, mean=list(mean),
                               std=list(std))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(m)
    model.init_weights()
    return model


def make_batch(transform, n=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    pack = PackInputs(algorithm_keys=['gt_img', 'corruption_mask'])
    items = []
    for i in range(n):
        f = rng.uniform(0.15, 0.4)
        base = 100 + 60 * np.sin(xx * f + i) * np.cos(yy * f)
        img = np.stack([base, base + 10, base - 10], -1).astype(np.uint8)
        items.append(pack(transform(dict(img=img))))
    return default_collate(items)


@pytest.mark.slow
@pytest.mark.parametrize('algo,cls', [
    ('ContextRestoration', ContextRestorationCorruption),
    ('ContextPrediction', ContextPredictionCorruption),
])
def test_loss_decreases_and_every_parameter_gets_a_gradient(algo, cls):
    torch.manual_seed(0)
    model = build_tiny(algo)
    kw = dict(fill=[100., 100., 100.]) if cls is ContextPredictionCorruption \
        else {}
    t = cls(patch_size=8, num_precomputed=4, seed=0, **kw)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    fixed = make_batch(t, seed=1)
    losses = []
    for it in range(25):
        data = model.data_preprocessor(make_batch(t, seed=it), True)
        loss = model(**data, mode='loss')['loss']
        assert torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        if it == 0:
            missing = [n for n, p in model.named_parameters()
                       if p.requires_grad and (p.grad is None
                                               or not p.grad.abs().sum() > 0)]
            assert not missing, missing
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        data = model.data_preprocessor(fixed, False)
        final = model(**data, mode='loss')['loss'].item()
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:3]), losses
    assert final < losses[0]


def test_target_is_normalised_like_the_input():
    model = build_tiny(mean=(100., 110., 120.), std=(50., 40., 30.))
    t = ContextRestorationCorruption(patch_size=8, num_precomputed=1, seed=0)
    data = model.data_preprocessor(make_batch(t, n=2), True)
    target = model._normalised_target(data['data_samples'], data['inputs'])
    mask = torch.stack([torch.as_tensor(s.corruption_mask)
                        for s in data['data_samples']]).bool()
    # Outside the corrupted patches, input and target are identical.
    keep = (~mask).unsqueeze(1).expand_as(target)
    torch.testing.assert_close(target[keep], data['inputs'][keep])
    # And the restoration multiset is preserved in normalised space.
    torch.testing.assert_close(
        target.flatten(2).sort(-1).values,
        data['inputs'].flatten(2).sort(-1).values)


def test_head_is_1x1_with_image_channels_and_per_channel_l2():
    from mmpretrain.registry import MODELS
    head = MODELS.build(dict(type='InpaintingHead', in_channels=8,
                             out_channels=3, _scope_='mmpretrain'))
    assert head.conv.kernel_size == (1, 1) and head.conv.out_channels == 3
    pred = torch.zeros(2, 3, 4, 4)
    target = torch.zeros(2, 3, 4, 4)
    target[:, 0] = 1.0  # channel 0 error 1, others 0
    target[:, 2, :2] = 2.0  # channel 2: half the pixels error 4
    # per channel: [1, 0, 2] -> mean 1
    assert head.loss(pred, target)['loss'].item() == pytest.approx(1.0)
    head_c = MODELS.build(
        dict(type='InpaintingHead', in_channels=8, loss_region='corrupted',
             _scope_='mmpretrain'))
    mask = torch.zeros(2, 4, 4)
    mask[:, :2] = 1
    # corrupted rows only: per channel [1, 0, 4] -> 5/3
    assert head_c.loss(pred, target, mask)['loss'].item() == pytest.approx(
        5 / 3)
    with pytest.raises(ValueError, match='out_channels'):
        head.loss(torch.zeros(2, 1, 4, 4), target)


def test_missing_target_is_a_clear_error():
    model = build_tiny()
    pack = PackInputs()
    data = default_collate(
        [pack(dict(img=np.zeros((32, 32, 3), np.uint8)))] * 2)
    data = model.data_preprocessor(data, True)
    with pytest.raises(KeyError, match='ContextRestorationCorruption'):
        model(**data, mode='loss')


def test_batch_dice_loss_is_per_class_over_the_batch():
    from mmseg.registry import MODELS
    loss = MODELS.build(
        dict(type='BatchDiceLoss', smooth=0.0, _scope_='mmseg'))
    # Perfect, confident logits -> 0.
    target = torch.zeros(2, 4, 4, dtype=torch.long)
    target[0, :2] = 1
    logits = torch.stack([(target == 0), (target == 1)], 1).float() * 50
    assert loss(logits, target).item() == pytest.approx(0.0, abs=1e-6)
    # Image 1 has no foreground and predicts none; image 0 gets half its
    # foreground: batch Dice of class 1 = 2*4/(4+8), class 0 = 2*24/(24+28).
    pred_fg = torch.zeros(2, 4, 4)
    pred_fg[0, 0] = 1
    logits = torch.stack([1 - pred_fg, pred_fg], 1) * 50
    d1 = 2 * 4 / (4 + 8)
    d0 = 2 * 24 / (28 + 24)
    assert loss(logits, target).item() == pytest.approx(
        1 - (d0 + d1) / 2, abs=1e-5)
    # mmseg's DiceLoss computes something else (per image, classes pooled).
    mm = MODELS.build(dict(type='DiceLoss', naive_dice=True, eps=0.0,
                        _scope_='mmseg'))
    assert abs(mm(logits, target).item() - loss(logits, target).item()) > 1e-3
    # ignore_index pixels do not count: row 0 of image 0 (predicted fg) is
    # ignored, so class 1 has 0 overlap with its 4 target pixels, and
    # class 0 scores 2*24/(28+24).
    t2 = target.clone()
    t2[0, 0] = 255
    assert loss(logits, t2).item() == pytest.approx(
        1 - (2 * 24 / 52 + 0) / 2, abs=1e-5)


def test_pretraining_and_segmentor_backbone_keys_match():
    from mmpretrain.registry import MODELS as PM
    from mmseg.registry import MODELS as SM
    pre_cfg, seg_cfg = Config.fromfile(PRE_CPU), Config.fromfile(SEG_CPU)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pre = PM.build(pre_cfg.model)
    with DefaultScope.overwrite_default_scope('mmseg'):
        seg = SM.build(seg_cfg.model)

    def bb(m):
        return {k: v.shape for k, v in m.state_dict().items()
                if k.startswith('backbone.')}

    assert bb(pre) == bb(seg)
    assert any(k.startswith('backbone.encoder.') for k in bb(pre))
    assert any(k.startswith('backbone.decoder.') for k in bb(pre))
    assert type(pre.backbone.encoder[0][0].convs[0].conv).__name__ == \
        'ConvWS2d'
