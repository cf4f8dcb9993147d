"""PretrainedEncoderHook: DenseCL checkpoint -> FCN encoder, verified."""
import copy
import os.path as osp
import types

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from ussl_mm.engine.hooks import PretrainedEncoderHook

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


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


def _stub_runner(model, it=0, resume=False, has_loaded=False):
    return types.SimpleNamespace(
        model=model, iter=it, _resume=resume, _has_loaded=has_loaded,
        cfg=Config(dict(resume=resume)))


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


def test_transfer_loads_encoder_and_leaves_decoder(densecl_ckpt):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = PretrainedEncoderHook(checkpoint=densecl_ckpt)
    hook.before_train(_stub_runner(model))

    after = model.state_dict()
    assert hook.report['encoder']['ratio'] == 1.0
    assert len(hook.report['encoder']['matched']) == 120
    # Every encoder tensor now equals the checkpoint; the weights changed.
    for k, v in after.items():
        if k.startswith('backbone.'):
            assert torch.equal(v, src[k]), k
    conv = 'backbone.layer3.1.conv2.weight'
    assert not torch.equal(after[conv], before[conv])
    assert hook.report['changed'] == dict(changed=100, total=100)
    # Decoder (decode_head, auxiliary_head) untouched.
    head_keys = [k for k in after if not k.startswith('backbone.')]
    assert any(k.startswith('decode_head.') for k in head_keys)
    for k in head_keys:
        assert torch.equal(after[k], before[k]), k
    # The transferred encoder is trainable (freeze_iters=0).
    assert all(p.requires_grad for p in model.backbone.parameters())


def test_transfer_accepts_bare_and_ddp_state_dicts(densecl_ckpt, tmp_path):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    path = str(tmp_path / 'ddp_bare.pth')
    torch.save({'module.' + k: v for k, v in src.items()}, path)
    model = _fcn_r18()
    PretrainedEncoderHook(checkpoint=path).before_train(_stub_runner(model))
    assert torch.equal(model.state_dict()['backbone.conv1.weight'],
                       src['backbone.conv1.weight'])


def test_refuses_deep_stem_checkpoint_with_counts(tmp_path):
    # A ResNetV1c (deep stem) pretraining: the classic silent failure.
    deep = _densecl_r18(backbone=dict(type='ResNetV1c', depth=18))
    path = str(tmp_path / 'densecl_r18v1c.pth')
    torch.save({'state_dict': deep.state_dict()}, path)
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = PretrainedEncoderHook(checkpoint=path)
    with pytest.raises(RuntimeError) as err:
        hook.before_train(_stub_runner(model))
    msg = str(err.value)
    # conv1.weight + bn1.{weight,bias,running_mean,running_var,
    # num_batches_tracked} are missing: 114 of 120 loaded.
    assert 'loaded 114/120 (95.0%)' in msg
    assert "part 'encoder'" in msg and "prefix 'backbone.'" in msg
    assert 'backbone.conv1.weight' in msg
    assert path in msg
    assert 'need >= 100%' in msg
    # Nothing was loaded on failure.
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_refuses_deeper_encoder_with_counts(tmp_path):
    # ResNet-34 holds every ResNet-18 key with equal shape: only the extra
    # keys show that the architecture is wrong.
    r34 = _densecl_r18(backbone=dict(type='ResNet', depth=34))
    path = str(tmp_path / 'densecl_r34.pth')
    torch.save({'state_dict': r34.state_dict()}, path)
    with pytest.raises(RuntimeError) as err:
        PretrainedEncoderHook(checkpoint=path).before_train(
            _stub_runner(_fcn_r18()))
    msg = str(err.value)
    assert 'loaded 120/120 (100.0%)' in msg
    assert 'unexpected in checkpoint (first 5): [' in msg
    assert 'backbone.layer1.2.conv1.weight' in msg
    assert 'different architecture' in msg
    model = _fcn_r18()
    hook = PretrainedEncoderHook(checkpoint=path, allow_unexpected=True)
    hook.before_train(_stub_runner(model))
    assert len(hook.report['encoder']['unexpected']) > 0


def test_refuses_wrong_prefix_and_src_prefix_map_fixes_it(
        densecl_ckpt, tmp_path):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    path = str(tmp_path / 'renamed.pth')
    torch.save({'state_dict': {k.replace('backbone.', 'encoder_q.', 1): v
                               for k, v in src.items()}}, path)
    with pytest.raises(RuntimeError, match=r'loaded 0/120 \(0\.0%\)'):
        PretrainedEncoderHook(checkpoint=path).before_train(
            _stub_runner(_fcn_r18()))
    model = _fcn_r18()
    PretrainedEncoderHook(
        checkpoint=path, src_prefix_map=dict(encoder='encoder_q.')
    ).before_train(_stub_runner(model))
    assert torch.equal(model.state_dict()['backbone.layer4.1.bn2.weight'],
                       src['backbone.layer4.1.bn2.weight'])


def test_bad_arguments_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match='not keys of'):
        PretrainedEncoderHook(checkpoint='x.pth', mode='encoder+decoder')
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='custom_hooks.0.checkpoint'):
        PretrainedEncoderHook(checkpoint=missing).before_train(
            _stub_runner(_fcn_r18()))


def test_one_vs_three_channel_stem(densecl_ckpt):
    src = torch.load(densecl_ckpt, map_location='cpu')['state_dict']
    with pytest.raises(RuntimeError) as err:
        PretrainedEncoderHook(checkpoint=densecl_ckpt).before_train(
            _stub_runner(_fcn_r18(in_channels=1)))
    msg = str(err.value)
    assert 'loaded 119/120' in msg and 'adapt_stem' in msg
    assert 'backbone.conv1.weight: checkpoint (64, 3, 7, 7) vs model ' \
        '(64, 1, 7, 7)' in msg
    model = _fcn_r18(in_channels=1)
    PretrainedEncoderHook(checkpoint=densecl_ckpt, adapt_stem='sum') \
        .before_train(_stub_runner(model))
    w = model.state_dict()['backbone.conv1.weight']
    assert w.shape[1] == 1
    torch.testing.assert_close(
        w, src['backbone.conv1.weight'].sum(1, keepdim=True))


def test_checkpoint_equal_to_init_is_reported(tmp_path):
    torch.manual_seed(3)
    model = _fcn_r18()
    path = str(tmp_path / 'same.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    hook = PretrainedEncoderHook(checkpoint=path)
    hook.before_train(_stub_runner(model))
    assert hook.report['encoder']['ratio'] == 1.0
    assert hook.report['changed']['changed'] == 0


def test_resume_does_not_reload_but_refreezes(densecl_ckpt):
    model = _fcn_r18()
    before = copy.deepcopy(model.state_dict())
    hook = PretrainedEncoderHook(checkpoint=densecl_ckpt, freeze_iters=10)
    hook.before_train(_stub_runner(model, it=4, resume=True, has_loaded=True))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.decode_head.parameters())
    # Auto-resume that found no checkpoint starts fresh: it must transfer.
    hook = PretrainedEncoderHook(checkpoint=densecl_ckpt)
    hook.before_train(_stub_runner(model, it=0, resume=True,
                                   has_loaded=False))
    assert 'encoder' in hook.report


def test_freeze_then_unfreeze(densecl_ckpt):
    torch.manual_seed(0)
    model = _fcn_r18()
    model.train()
    runner = _stub_runner(model)
    hook = PretrainedEncoderHook(checkpoint=densecl_ckpt, freeze_iters=2)
    hook.before_train(runner)
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                            weight_decay=1e-4)
    data = dict(
        inputs=[torch.rand(3, 32, 32) * 255 for _ in range(2)],
        data_samples=None)
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 32, 32)))
        s.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
        samples.append(s)
    data['data_samples'] = samples

    def snapshot(prefix):
        return {k: v.clone() for k, v in model.state_dict().items()
                if k.startswith(prefix)}

    start_enc, start_dec = snapshot('backbone.'), snapshot('decode_head.')
    for it in range(4):
        runner.iter = it
        model.train()  # as the train loop does before every iteration
        hook.before_train_iter(runner, batch_idx=it)
        batch = model.data_preprocessor(data, True)
        losses = model.loss(batch['inputs'], batch['data_samples'])
        optim.zero_grad()
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optim.step()
        enc = snapshot('backbone.')
        if it < 2:
            assert not model.backbone.bn1.training
            # Weights and BN running statistics stayed pretrained.
            for k, v in enc.items():
                assert torch.equal(v, start_enc[k]), (it, k)
        else:
            assert model.backbone.bn1.training
    assert all(p.requires_grad for p in model.backbone.parameters())
    assert not torch.equal(enc['backbone.layer1.0.conv1.weight'],
                           start_enc['backbone.layer1.0.conv1.weight'])
    assert not torch.equal(enc['backbone.bn1.running_mean'],
                           start_enc['backbone.bn1.running_mean'])
    dec = snapshot('decode_head.')
    assert not torch.equal(dec['decode_head.conv_seg.weight'],
                           start_dec['decode_head.conv_seg.weight'])
