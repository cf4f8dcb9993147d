"""DenseContrastiveUNet and TwoViewCrop: the recorded geometry finds the same
image content in both views, the CPU config trains through the real Runner
on a tiny generated knee set, and its checkpoint loads 100 % of the encoder
and decoder into the fine-tuning U-Net (a checkpoint of another width is
refused)."""
import os.path as osp
import types

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.runner import Runner

from ussl_mm.datasets.transforms import TwoViewCrop
from ussl_mm.engine.hooks import PretrainedEncoderHook
from ussl_mm.models.selfsup.dense_contrastive_unet import (
    sample_overlap_points, view_grid)

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
PRE_CPU = osp.join(
    CFG_DIR, 'dense_contrastive_unet',
    'dense-contrastive_unet-tiny_1xb16-adam-200i_knee-us-128_cpu.py')
SEG_CPU = osp.join(
    CFG_DIR, 'dense_contrastive_unet', 'benchmarks',
    'unet-tiny_1xb8-adam-500i_knee-us-128_dense-contrastive_cpu.py')
PRE_GPU = osp.join(
    CFG_DIR, 'dense_contrastive_unet',
    'dense-contrastive_unet-s5-d16_1xb16-adam-10ki_knee-us-256.py')
SEG_GPU = osp.join(
    CFG_DIR, 'dense_contrastive_unet', 'benchmarks',
    'unet-s5-d16_1xb8-adam-10ki_knee-us-256_dense-contrastive.py')
# Smaller than unet_tiny: 3 stages, 8 base channels.
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
VIEW = 32
BATCH = 4
ITERS = 2


def _textured(h, w, seed=0):
    """A uint8 3-channel image whose every pixel differs from its mirror."""
    rng = np.random.default_rng(seed)
    gray = rng.integers(0, 256, (h, w), dtype=np.uint8)
    return np.repeat(gray[..., None], 3, -1)


def _smooth(h, w):
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    gray = 128 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + xx
    return np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[..., None], 3,
                     -1)


def _forced(transform, boxes, flips, monkeypatch):
    monkeypatch.setattr(
        transform, '_draw', lambda h, w: (np.array(boxes), np.array(flips)))


def _sample(img, grid):
    """Bilinear values of an HxWx3 uint8 image at (N, 2) grid points."""
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    return F.grid_sample(t, grid[None, :, None], mode='bilinear',
                         padding_mode='border',
                         align_corners=False)[0, 0, :, 0]


# ----------------------------------------------------------- correspondence
def test_flipped_crop_correspondence_hits_the_same_pixels(monkeypatch):
    img = _textured(48, 48)
    # View 1 is the mirrored crop of another box (both 32 x 32: no resize).
    boxes = [[4, 6, 36, 38], [12, 2, 44, 34]]
    t = TwoViewCrop(size=VIEW)
    _forced(t, boxes, [False, True], monkeypatch)
    out = t(dict(img=img))
    v0, v1 = out['img']
    np.testing.assert_array_equal(v1, img[2:34, 12:44][:, ::-1])
    np.testing.assert_array_equal(out['view_boxes'], np.float32(boxes))
    assert out['view_flips'].tolist() == [False, True]

    b = torch.as_tensor(out['view_boxes'])[None]  # (1, 2, 4)
    f = torch.as_tensor(out['view_flips'])[None]
    # Pixel centres of the overlap (x 12..35, y 6..33), and random points.
    ys, xs = np.mgrid[6:34, 12:36]
    centres = torch.tensor(np.stack([xs.ravel(), ys.ravel()], -1),
                           dtype=torch.float32)[None] + 0.5
    torch.manual_seed(0)
    points = torch.cat([centres, sample_overlap_points(b, 300)], 1)
    g0 = view_grid(points, b[:, 0], f[:, 0])[0]
    g1 = view_grid(points, b[:, 1], f[:, 1])[0]
    assert g0.abs().max() <= 1 and g1.abs().max() <= 1
    # At pixel centres, both views read exactly the original pixel.
    n = centres.size(1)
    original = img[ys.ravel(), xs.ravel(), 0].astype(np.float32)
    np.testing.assert_array_equal(_sample(v0, g0[:n]).numpy(), original)
    np.testing.assert_array_equal(_sample(v1, g1[:n]).numpy(), original)
    # Between centres (>= 1 px inside both crops, where neither view's
    # border clamps), the bilinear values agree with the original's (up
    # to float rounding of the two normalisations; gray levels are 0-255).
    p = points[0, n:]
    inner = ((p[:, 0] > 13) & (p[:, 0] < 35) & (p[:, 1] > 7) &
             (p[:, 1] < 33))
    assert inner.sum() > 100
    g_orig = p / 48 * 2 - 1
    want = _sample(img, g_orig[inner])
    for view, grid in ((v0, g0), (v1, g1)):
        torch.testing.assert_close(_sample(view, grid[n:][inner]), want,
                                   atol=1e-2, rtol=0)
    # The check can fail: ignoring the flip reads other pixels.
    wrong = view_grid(points, b[:, 1], torch.zeros_like(f[:, 1]))[0]
    assert (_sample(v1, wrong[:n]).numpy() != original).mean() > 0.9


def test_rescaled_crops_correspondence(monkeypatch):
    img = _smooth(64, 64)
    # 40 x 40 and 24 x 28 boxes, both resized to 32 x 32.
    boxes = [[2, 10, 42, 50], [20, 20, 44, 48]]
    t = TwoViewCrop(size=VIEW)
    _forced(t, boxes, [True, False], monkeypatch)
    out = t(dict(img=img))
    b = torch.as_tensor(out['view_boxes'])[None]
    f = torch.as_tensor(out['view_flips'])[None]
    torch.manual_seed(0)
    p = sample_overlap_points(b, 400)
    inner = ((p[0, :, 0] > 21) & (p[0, :, 0] < 41) & (p[0, :, 1] > 21) &
             (p[0, :, 1] < 47))
    want = _sample(img, (p[0] / 64 * 2 - 1)[inner])
    errs = []
    for k in range(2):
        g = view_grid(p, b[:, k], f[:, k])[0][inner]
        errs.append((_sample(out['img'][k], g) - want).abs().max().item())
    # Resampling error only (the image changes by up to ~15 gray levels per
    # pixel).
    assert max(errs) < 4.0, errs
    wrong = view_grid(p, b[:, 0], torch.zeros_like(f[:, 0]))[0][inner]
    assert (_sample(out['img'][0], wrong) - want).abs().max() > 20


def test_two_view_crop_draws_overlapping_different_views():
    t = TwoViewCrop(size=VIEW, scale=(0.15, 0.7), min_overlap=0.3)
    img = _textured(64, 80)
    masks = np.zeros((64, 80), np.uint8)
    masks[20:40, 30:50] = 1
    flips = []
    for seed in range(50):
        np.random.seed(seed)
        out = t(dict(img=img.copy(), gt_seg_map=masks.copy(),
                     seg_fields=['gt_seg_map']))
        boxes = out['view_boxes']
        assert boxes.dtype == np.float32 and boxes.shape == (2, 4)
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 80).all() and \
            (boxes[:, 3] <= 64).all()
        assert not np.array_equal(boxes[0], boxes[1])
        inter = np.prod(np.clip(
            np.minimum(boxes[0, 2:], boxes[1, 2:]) -
            np.maximum(boxes[0, :2], boxes[1, :2]), 0, None))
        areas = np.prod(boxes[:, 2:] - boxes[:, :2], 1)
        assert inter >= 0.3 * areas.min() - 1e-6
        assert [v.shape for v in out['img']] == [(VIEW, VIEW, 3)] * 2
        assert out['img_shape'] == (VIEW, VIEW)
        assert [m.shape for m in out['gt_seg_map']] == [(VIEW, VIEW)] * 2
        flips.append(out['view_flips'].tolist())
    # Each view is flipped on its own.
    assert {tuple(f) for f in flips} == {(a, b) for a in (False, True)
                                         for b in (False, True)}


def test_two_view_crop_applies_view_pipeline_per_view_and_refuses_geometry():
    img = np.full((48, 48, 3), 100, np.uint8)
    t = TwoViewCrop(size=VIEW, view_pipeline=[
        dict(type='USGainGamma', prob=1.0, gain=(0.5, 1.5), gamma=(1, 1))
    ])
    np.random.seed(0)
    v0, v1 = t(dict(img=img))['img']
    # One gain per view: flat, different gray levels.
    assert len(np.unique(v0)) == 1 and len(np.unique(v1)) == 1
    assert v0[0, 0, 0] != v1[0, 0, 0]
    bad = TwoViewCrop(size=VIEW, view_pipeline=[
        dict(type='USRandomResizedCrop', size=16)])
    with pytest.raises(ValueError, match='intensity transforms only'):
        bad(dict(img=img))
    with pytest.raises(TypeError, match='after the loader'):
        TwoViewCrop(size=VIEW)(dict(img=[img, img]))


# --------------------------------------------------------------- the loss
def _build_tiny_model():
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(PRE_CPU)
    cfg.model.backbone.update(TINY_UNET)
    cfg.model.neck.in_channels = 8
    cfg.model.data_preprocessor = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_info_nce_rewards_matched_pairs_and_excludes_near_duplicates():
    model = _build_tiny_model()
    torch.manual_seed(0)
    z = torch.randn(32, 16)
    matched = model._info_nce(z, z + 0.01 * torch.randn_like(z))
    shuffled = model._info_nce(z, z[torch.randperm(32)])
    assert matched < 0.25 * shuffled
    # A near-duplicate of row 0 among its negatives raises the loss;
    # excluding it restores it.
    z1 = z.clone()
    z1[1] = z1[0] + 1e-3
    n = 64
    excl = torch.zeros(n, n, dtype=torch.bool)
    for i, j in ((0, 1), (0, 33), (32, 1), (32, 33)):
        excl[i, j] = excl[j, i] = True
    with_dup = model._info_nce(z1, z1)
    without = model._info_nce(z1, z1, excl)
    assert without < with_dup and torch.isfinite(without)


def test_missing_geometry_is_a_clear_error():
    model = _build_tiny_model()
    from mmpretrain.structures import DataSample
    x = [torch.zeros(2, 3, VIEW, VIEW)] * 2
    with pytest.raises(KeyError, match='view_boxes'):
        model.loss(x, [DataSample(), DataSample()])
    with pytest.raises(ValueError, match='two views'):
        model.loss(x[0], [DataSample(), DataSample()])


# ------------------------------------------------- Runner + transfer to U-Net
class _GradRecorder:
    """Per parameter: did each backward give a finite, non-zero gradient
    (the optimizer wrapper zeroes ``.grad`` afterwards)."""

    def __init__(self, named_params):
        self.finite = {n: [] for n, _ in named_params}
        self.nonzero = {n: [] for n, _ in named_params}
        for name, param in named_params:
            param.register_hook(self._make(name))

    def _make(self, name):

        def hook(grad):
            self.finite[name].append(bool(torch.isfinite(grad).all()))
            self.nonzero[name].append(bool(grad.abs().sum() > 0))

        return hook


class _StepRecorder(Hook):
    """The log_vars of every step, and the trainable weights just before the
    first step (after the Runner initialised them)."""

    def __init__(self):
        self.outputs = []
        self.before = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.before is None:
            self.before = {n: p.detach().clone()
                           for n, p in runner.model.named_parameters()
                           if p.requires_grad}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.outputs.append(outputs)


@pytest.fixture(scope='module')
def pretrained(knee_us_data, tmp_path_factory):
    """Train the CPU config (smaller U-Net, 32 px views, batch 4) for 2
    iterations through ``Runner.from_cfg``; returns what the test checks."""
    root = str(knee_us_data(num_train=8, num_val=2, num_test=2, size=48,
                            seed=0))
    work_dir = str(tmp_path_factory.mktemp('dense_contrastive'))
    cfg = Config.fromfile(PRE_CPU)
    cfg.work_dir = work_dir
    cfg.model.backbone.update(TINY_UNET)
    cfg.model.neck.in_channels = 8
    cfg.train_cfg.max_iters = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = 1
    dl = cfg.train_dataloader
    dl.batch_size = BATCH
    dl.dataset.data_root = root
    crop = dl.dataset.pipeline[1]
    assert crop.type == 'TwoViewCrop'
    crop.size = VIEW
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert type(model).__name__ == 'DenseContrastiveUNet'
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    grads = _GradRecorder(trainable)
    steps = _StepRecorder()
    runner.register_hook(steps)
    runner.train()
    return dict(model=model, trainable=trainable, before=steps.before,
                grads=grads, losses=steps.outputs,
                ckpt=osp.join(work_dir, f'iter_{ITERS}.pth'))


def test_cpu_config_trains_through_the_runner(pretrained):
    assert len(pretrained['losses']) == ITERS
    for step, log_vars in enumerate(pretrained['losses']):
        assert {'loss', 'loss_dense', 'loss_global'} <= set(log_vars)
        values = {k: float(torch.as_tensor(v).detach())
                  for k, v in log_vars.items()}
        assert all(np.isfinite(v) for v in values.values()), (step, values)
        # Untrained, the dense InfoNCE (weight 0.5) is near log(#negatives
        # + 1): not degenerate (e.g. zero from an empty negative set).
        assert values['loss_dense'] > 0.5 * 0.5 * np.log(2 * BATCH * 64)
    trainable = pretrained['trainable']
    assert {n.split('.')[0] for n, _ in trainable} == {'backbone', 'neck'}
    grads = pretrained['grads']
    no_grad = [n for n, v in grads.finite.items() if len(v) != ITERS]
    assert not no_grad, f'no gradient for {no_grad[:5]}'
    assert all(all(v) for v in grads.finite.values())
    all_zero = [n for n, v in grads.nonzero.items() if not any(v)]
    assert not all_zero, f'all-zero gradient for {all_zero[:5]}'
    # Encoder and decoder both learn.
    moved = {n for n, p in trainable
             if not torch.equal(p.detach(), pretrained['before'][n])}
    assert any(n.startswith('backbone.encoder.') for n in moved)
    assert any(n.startswith('backbone.decoder.') for n in moved)
    assert osp.isfile(pretrained['ckpt'])


def _finetune_model(cfg):
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg.model.data_preprocessor = cfg.data_preprocessor
    seg = MODELS.build(cfg.model)
    seg.init_weights()
    return seg


def _tiny_seg_cfg():
    cfg = Config.fromfile(SEG_CPU)
    cfg.model.backbone.update(TINY_UNET)
    cfg.model.decode_head.update(in_channels=8, in_index=2, channels=8,
                                 norm_cfg=dict(type='GN', num_groups=4))
    return cfg


def test_checkpoint_loads_whole_unet_into_the_finetuning_model(pretrained):
    cfg = _tiny_seg_cfg()
    assert cfg.default_scope == 'mmseg'
    assert dict(type='PretrainedEncoderHook') in cfg.custom_hooks
    assert cfg.pretrained_encoder.mode == 'encoder+decoder'
    assert 'dense-contrastive_unet-tiny_1xb16-adam-200i_knee-us-128_cpu' in \
        cfg.pretrained_encoder.checkpoint
    seg = _finetune_model(cfg)
    init = {k: v.clone() for k, v in seg.state_dict().items()}
    cfg.pretrained_encoder.checkpoint = pretrained['ckpt']
    hook = PretrainedEncoderHook()
    hook.before_train(types.SimpleNamespace(model=seg, iter=0, cfg=cfg))
    report = hook.report

    src = torch.load(pretrained['ckpt'], map_location='cpu')['state_dict']
    src_bb = {k for k in src if k.startswith('backbone.')}
    seg_state = seg.state_dict()
    seg_bb = {k for k in seg_state if k.startswith('backbone.')}
    assert src_bb == seg_bb
    assert any(k.startswith('backbone.encoder.') for k in seg_bb)
    assert any(k.startswith('backbone.decoder.') for k in seg_bb)
    assert report['ratio'] == 1.0 and report['total'] == len(seg_bb)
    assert not report['missing'] and not report['unexpected']
    for key in seg_bb:
        assert torch.equal(seg_state[key], src[key]), key
    # Not the fine-tuning model's own initialisation: the conv weights of
    # both halves really came from the pretraining.
    convs = [k for k in seg_bb if k.endswith('conv.weight')]
    assert convs and all(not torch.equal(init[k], seg_state[k])
                         for k in convs)
    # The head is not touched.
    for key in (k for k in seg_state if k.startswith('decode_head.')):
        assert torch.equal(seg_state[key], init[key]), key


def test_checkpoint_of_another_width_is_refused(pretrained):
    cfg = Config.fromfile(SEG_CPU)  # unet_tiny: 16 channels, 4 stages
    seg = _finetune_model(cfg)
    cfg.pretrained_encoder.checkpoint = pretrained['ckpt']  # 8 channels
    init = {k: v.clone() for k, v in seg.state_dict().items()}
    hook = PretrainedEncoderHook()
    with pytest.raises(RuntimeError, match='shapes disagree'):
        hook.before_train(types.SimpleNamespace(model=seg, iter=0, cfg=cfg))
    for key, value in seg.state_dict().items():  # nothing was loaded
        assert torch.equal(value, init[key]), key


@pytest.mark.parametrize('pre,seg', [(PRE_CPU, SEG_CPU), (PRE_GPU, SEG_GPU)],
                         ids=['cpu', 'gpu'])
def test_config_backbone_keys_match_the_segmentor(pre, seg):
    from mmpretrain.registry import MODELS as PM
    from mmseg.registry import MODELS as SM
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pre_model = PM.build(Config.fromfile(pre).model)
    with DefaultScope.overwrite_default_scope('mmseg'):
        seg_model = SM.build(Config.fromfile(seg).model)

    def bb(m):
        return {k: v.shape for k, v in m.state_dict().items()
                if k.startswith('backbone.')}

    assert bb(pre_model) == bb(seg_model)
    assert type(pre_model.backbone.encoder[0][0].convs[0].conv).__name__ \
        == 'ConvWS2d'
