"""UNetHead: full-resolution U-Net decoder over plain-stem ResNet features,
fed by a DenseCL checkpoint through PretrainedEncoderHook."""
import copy
import os.path as osp
import types

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ussl_mm.engine.hooks import PretrainedEncoderHook
from ussl_mm.models.decode_heads import UNetHead

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
SIZE = 64
NORM = dict(type='BN', requires_grad=True)


def _resnet_unet(depth=18, in_channels=(64, 128, 256, 512), **head):
    """ResNet (plain stem, undilated, stride 4..32) + UNetHead."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    head_cfg = dict(
        type='UNetHead',
        in_channels=in_channels,
        decoder_channels=(32, 16, 16, 8, 8),
        num_classes=2,
        norm_cfg=NORM,
        dropout_ratio=0.0,
        loss_decode=[
            dict(type='CrossEntropyLoss', loss_weight=1.0),
            dict(type='BatchDiceLoss', loss_weight=1.0)
        ])
    head_cfg.update(head)
    model = MODELS.build(
        ConfigDict(
            type='EncoderDecoder',
            data_preprocessor=dict(
                type='SegDataPreProcessor', mean=[114.0] * 3,
                std=[80.0] * 3, bgr_to_rgb=True, size=(SIZE, SIZE),
                seg_pad_val=255),
            backbone=dict(
                type='ResNet', depth=depth, in_channels=3,
                out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 2),
                dilations=(1, 1, 1, 1), deep_stem=False, norm_cfg=NORM,
                style='pytorch'),
            decode_head=head_cfg,
            train_cfg=dict(),
            test_cfg=dict(mode='whole')))
    model.init_weights()
    return model


def _batch(n=2, size=SIZE):
    torch.manual_seed(0)
    inputs = torch.randn(n, 3, size, size)
    samples = []
    for _ in range(n):
        label = torch.zeros(1, size, size, dtype=torch.long)
        label[:, size // 4:size // 2, size // 3:size - 4] = 1
        s = SegDataSample(gt_sem_seg=PixelData(data=label))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size),
                            pad_shape=(size, size)))
        samples.append(s)
    return inputs, samples


@pytest.mark.slow
def test_logits_at_full_input_resolution():
    model = _resnet_unet()
    x = torch.randn(2, 3, SIZE, SIZE)
    feats = model.extract_feat(x)
    # the encoder really is stride 4..32 (undilated)
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]
    logits = model.decode_head(feats)
    assert logits.shape == (2, 2, SIZE, SIZE)
    # three skip stages (32->16->8->4), two x2 stages (4->2->1)
    assert len(model.decode_head.skip_blocks) == 3
    assert len(model.decode_head.up_blocks) == 2
    # a size that is not a multiple of 32 still decodes (skips are matched
    # by resizing, not by a fixed x2)
    odd = model.decode_head(model.extract_feat(torch.randn(1, 3, 70, 90)))
    assert odd.shape[:2] == (1, 2) and odd.shape[-2] >= 70
    model.eval()
    with torch.no_grad():
        out = model.predict(*_batch(1, 70))
    assert out[0].seg_logits.data.shape == (2, 70, 70)


@pytest.mark.slow
def test_finite_loss_and_gradient_on_every_trainable_parameter():
    model = _resnet_unet()
    model.train()
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert set(losses) >= {'decode.loss_ce', 'decode.loss_dice'}
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    no_grad = [n for n, p in trainable
               if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not no_grad, no_grad[:10]
    # Every decoder parameter gets a non-zero gradient. (mmseg's ResNet
    # zero-initialises the last BN of each residual block, so at step 0 the
    # residual branches' inner weights get exactly zero, by design.)
    zero = [n for n, p in trainable
            if n.startswith('decode_head.') and not p.grad.abs().sum() > 0]
    assert not zero, zero[:10]
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_bad_arguments_name_the_fix():
    with pytest.raises(ValueError, match='channels=8 must equal'):
        UNetHead(in_channels=(64, 128, 256, 512), channels=8,
                 decoder_channels=(32, 16, 16, 8, 4), num_classes=2)
    with pytest.raises(ValueError, match='at least 3 skip stages'):
        UNetHead(in_channels=(64, 128, 256, 512), decoder_channels=(32, 16),
                 num_classes=2)
    with pytest.raises(ValueError, match='at least two'):
        UNetHead(in_channels=512, num_classes=2)
    with pytest.raises(ValueError, match="must be 'multiple_select'"):
        UNetHead(in_channels=(64, 128, 256, 512), num_classes=2,
                 input_transform='resize_concat')


@pytest.fixture(scope='module')
def densecl_r18_ckpt(tmp_path_factory):
    """A tiny mmpretrain DenseCL R18 (library classes, unchanged) trained
    for two steps, saved the way mmengine's CheckpointHook saves it."""
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    torch.manual_seed(1)
    model = MODELS.build(
        dict(
            type='DenseCL',
            queue_len=32,
            feat_dim=128,
            momentum=0.001,
            loss_lambda=0.5,
            backbone=dict(type='ResNet', depth=18, in_channels=3,
                          norm_cfg=dict(type='BN'), zero_init_residual=False),
            neck=dict(type='DenseCLNeck', in_channels=512, hid_channels=512,
                      out_channels=128, num_grid=None),
            head=dict(type='ContrastiveHead',
                      loss=dict(type='CrossEntropyLoss'), temperature=0.2)))
    model.init_weights()
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(2):
        views = [torch.randn(4, 3, 32, 32) for _ in range(2)]
        loss = sum(model.loss(views, [None] * 4).values())
        optim.zero_grad()
        loss.backward()
        optim.step()
    path = str(tmp_path_factory.mktemp('densecl') / 'densecl_r18.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.mark.slow
def test_densecl_r18_checkpoint_transfers_whole_encoder(densecl_r18_ckpt):
    src = torch.load(densecl_r18_ckpt, map_location='cpu',
                     weights_only=False)['state_dict']
    model = _resnet_unet()
    before = copy.deepcopy(model.state_dict())
    backbone_keys = [k for k in before if k.startswith('backbone.')]
    # every backbone tensor of the segmentor is in the checkpoint, same shape
    assert len(backbone_keys) == 120
    assert all(k in src and src[k].shape == before[k].shape
               for k in backbone_keys)

    # the hook as a config uses it: top-level `pretrained_encoder` dict
    runner = types.SimpleNamespace(
        model=model, iter=0,
        cfg=Config(dict(pretrained_encoder=dict(
            checkpoint=densecl_r18_ckpt))))
    hook = PretrainedEncoderHook()
    hook.before_train(runner)
    report = hook.report
    assert report['ratio'] == 1.0
    assert len(report['matched']) == report['total'] == 120
    assert report['changed'] == report['changed_total'] == 100
    after = model.state_dict()
    for k in backbone_keys:
        assert torch.equal(after[k], src[k]), k
    changed = [k for k in backbone_keys
               if after[k].is_floating_point()
               and not torch.equal(after[k], before[k])]
    assert len(changed) >= 100  # every conv/BN weight, not just a few
    # the decoder is not part of the transfer and stays as initialised
    head_keys = [k for k in after if k.startswith('decode_head.')]
    assert head_keys
    assert all(torch.equal(after[k], before[k]) for k in head_keys)


METHODS = ('densecl', 'mocov2', 'simclr', 'simsiam', 'barlowtwins')


@pytest.mark.slow
def test_cpu_benchmark_configs_take_the_whole_encoder(densecl_r18_ckpt):
    """The shipped CPU benchmark configs: each builds the same plain
    ResNet-18 + UNetHead (full-resolution logits) as the scratch config, and
    its `pretrained_encoder` (checkpoint overridden as with --cfg-options)
    loads 100 % of an R18 contrastive checkpoint (DenseCL here; the five
    methods share mmpretrain's ResNet backbone keys)."""
    from mmseg.registry import MODELS
    scratch = Config.fromfile(
        osp.join(CFG_DIR, 'unethead',
                 'unethead_r18_1xb8-250i_knee-us-128_cpu.py'))
    assert scratch.model.backbone.deep_stem is False
    assert tuple(scratch.model.backbone.dilations) == (1, 1, 1, 1)
    assert 'pretrained_encoder' not in scratch
    cfgs = {
        m: Config.fromfile(
            osp.join(CFG_DIR, m, 'benchmarks',
                     f'unethead_r18_1xb8-250i_knee-us-128_{m}_cpu.py'))
        for m in METHODS
    }
    for m, cfg in cfgs.items():
        assert cfg.model.to_dict() == scratch.model.to_dict(), m
        assert [h['type'] for h in cfg.custom_hooks] == [
            'PretrainedEncoderHook'], m
        assert f'work_dirs/{m}_r18_' in cfg.pretrained_encoder.checkpoint, m
    cfg = cfgs['densecl']
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    model.init_weights()
    x = torch.randn(1, 3, 128, 128)
    assert model.decode_head(model.extract_feat(x)).shape == (1, 2, 128,
                                                              128)
    cfg.merge_from_dict({'pretrained_encoder.checkpoint': densecl_r18_ckpt})
    hook = PretrainedEncoderHook()
    hook.before_train(types.SimpleNamespace(model=model, iter=0, cfg=cfg))
    assert hook.report['ratio'] == 1.0
    assert hook.report['total'] == 120
