"""mmpretrain DenseCL trains on the ultrasound two-view pipeline of the CPU
config: finite losses, a gradient on every trainable parameter of the query
encoder, none on the momentum (key) encoder."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ussl_mm.utils import strip_collate_scope

CFG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'densecl', 'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')


@pytest.mark.slow
def test_densecl_trains_on_ultrasound_pipeline(knee_us_data):
    root = str(knee_us_data(num_train=8, num_val=0, num_test=0, size=64,
                            fractions=None))
    cfg = Config.fromfile(CFG)
    cfg.model.queue_len = 32
    cfg.model.data_preprocessor = cfg.data_preprocessor
    dl = cfg.train_dataloader
    dl.update(batch_size=4, num_workers=0, persistent_workers=False)
    dl.dataset.data_root = root
    dl.dataset.pipeline[1].transforms[0][0].size = 64
    strip_collate_scope(cfg)

    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    loader = Runner.build_dataloader(dl, seed=0)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01,
                                         momentum=0.9))
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert all(n.startswith(('backbone.', 'neck.')) for n in trainable)
    key_before = model.encoder_k.module[0].conv1.weight.clone()

    for step, batch in zip(range(3), loader):
        views = batch['inputs']
        assert len(views) == 2 and views[0].shape == (4, 3, 64, 64)
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        assert set(losses) == {'loss_single', 'loss_dense'}
        for name, value in losses.items():
            assert torch.isfinite(value), (step, name, value)
        optim.zero_grad()
        sum(losses.values()).backward()
        no_grad = [
            n for n, p in trainable.items()
            if p.grad is None or not torch.isfinite(p.grad).all()
            or not p.grad.abs().sum() > 0
        ]
        assert not no_grad, (step, no_grad[:5])
        assert all(p.grad is None for p in model.encoder_k.parameters())
        optim.step()

    # The key encoder moved by EMA (no gradient), towards the query encoder.
    assert not torch.equal(model.encoder_k.module[0].conv1.weight,
                           key_before)
    assert int(model.queue_ptr) == (3 * 4) % 32
