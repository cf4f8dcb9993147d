"""FreezeThenUnfreezeHook: the encoder gets no gradient and keeps its BN
statistics for ``freeze_iters``, then trains; the decoder trains
throughout."""
import os.path as osp
import types

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from ussl_mm.engine.hooks import FreezeThenUnfreezeHook

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def _fcn_r18():
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(CFG_DIR, '_base_/models/fcn_r50-d8.py'))
    cfg.model.data_preprocessor = dict(
        type='SegDataPreProcessor', size=(32, 32), mean=[114.0] * 3,
        std=[80.0] * 3, seg_pad_val=255)
    cfg.model.backbone.depth = 18
    cfg.model.decode_head.update(in_channels=512, channels=16)
    cfg.model.auxiliary_head.update(in_channels=256, channels=8)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _batch():
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 32, 32)))
        s.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
        samples.append(s)
    return dict(inputs=[torch.rand(3, 32, 32) * 255 for _ in range(2)],
                data_samples=samples)


@pytest.mark.slow
def test_freeze_then_unfreeze():
    torch.manual_seed(0)
    model = _fcn_r18()
    runner = types.SimpleNamespace(model=model, iter=0)
    hook = FreezeThenUnfreezeHook(freeze_iters=2)
    hook.before_train(runner)
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                            weight_decay=1e-4)
    data = _batch()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    for it in range(4):
        runner.iter = it
        model.train()  # as the train loop does before every iteration
        hook.before_train_iter(runner, batch_idx=it)
        optim.zero_grad(set_to_none=True)
        batch = model.data_preprocessor(data, True)
        losses = model.loss(batch['inputs'], batch['data_samples'])
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        enc_grads = [p.grad for p in model.backbone.parameters()]
        assert all(p.grad is not None
                   for p in model.decode_head.parameters())
        if it < 2:
            assert all(g is None for g in enc_grads), it
            assert not model.backbone.bn1.training
            assert not any(p.requires_grad
                           for p in model.backbone.parameters())
        else:
            assert all(g is not None for g in enc_grads), it
            assert model.backbone.bn1.training
        optim.step()
        if it == 1:  # weights and BN running statistics stayed put
            for k, v in model.state_dict().items():
                if k.startswith('backbone.'):
                    assert torch.equal(v, start[k]), k
    after = model.state_dict()
    for key in ('backbone.layer1.0.conv1.weight', 'backbone.bn1.running_mean',
                'decode_head.conv_seg.weight'):
        assert not torch.equal(after[key], start[key]), key


@pytest.mark.slow
def test_resumed_inside_window_refreezes_and_past_it_does_not():
    model = _fcn_r18()
    hook = FreezeThenUnfreezeHook(freeze_iters=10, prefixes=['backbone.'])
    hook.before_train(types.SimpleNamespace(model=model, iter=4))
    assert hook.frozen
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.decode_head.parameters())
    model = _fcn_r18()
    hook = FreezeThenUnfreezeHook(freeze_iters=10)
    hook.before_train(types.SimpleNamespace(model=model, iter=10))
    assert not hook.frozen
    assert all(p.requires_grad for p in model.parameters())


def test_prefix_that_matches_nothing_is_an_error():
    hook = FreezeThenUnfreezeHook(freeze_iters=5, prefixes='backbone.enc.')
    with pytest.raises(ValueError, match="no parameter .*'backbone.enc.'"):
        hook.before_train(types.SimpleNamespace(model=_fcn_r18(), iter=0))
    with pytest.raises(ValueError, match='>= 0'):
        FreezeThenUnfreezeHook(freeze_iters=-1)
