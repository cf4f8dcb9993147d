"""Pretrain DenseCL -> transfer -> fine-tune FCN -> test, through the real
CPU configs and ``Runner.from_cfg`` (the path of tools/train.py), on a tiny
generated knee-ultrasound set. Then ``--resume`` must not re-apply the
transfer."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ussl_mm.engine.hooks import PretrainedEncoderHook
from ussl_mm.utils import strip_collate_scope

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'densecl')
PRETRAIN_CFG = osp.join(CFG_DIR,
                        'densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
FINETUNE_CFG = osp.join(
    CFG_DIR, 'benchmarks', 'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')
SIZE = 64


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=12, num_val=2, num_test=3, size=SIZE,
                            fractions=(50, 100)))


def _pretrain_cfg(root, work_dir, iters=2):
    cfg = Config.fromfile(PRETRAIN_CFG)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.model.queue_len = 8
    dl = cfg.train_dataloader
    dl.update(batch_size=4, num_workers=0, persistent_workers=False)
    dl.dataset.data_root = root
    dl.dataset.pipeline[1].transforms[0][0].size = SIZE
    strip_collate_scope(cfg)
    return cfg


def _finetune_cfg(root, work_dir, ckpt, iters=2, resume=False):
    cfg = Config.fromfile(FINETUNE_CFG)
    cfg.work_dir = work_dir
    cfg.resume = resume
    cfg.pretrained_encoder.checkpoint = ckpt
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.data_preprocessor.size = (SIZE, SIZE)
    cfg.train_dataloader.dataset.label_fraction = 50
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.update(num_workers=0, persistent_workers=False)
        dl.dataset.data_root = root
    cfg.train_dataloader.batch_size = 2
    crop = [t for t in cfg.train_dataloader.dataset.pipeline
            if t.type == 'RandomCrop']
    assert len(crop) == 1
    crop[0].crop_size = (SIZE, SIZE)
    strip_collate_scope(cfg)
    return cfg


def _hook(runner):
    hooks = [h for h in runner.hooks if isinstance(h, PretrainedEncoderHook)]
    assert len(hooks) == 1
    return hooks[0]


@pytest.mark.slow
def test_pretrain_transfer_finetune_test_then_resume(knee_root, tmp_path):
    # 1. pretrain DenseCL (CPU config) for 2 iterations.
    pre_dir = str(tmp_path / 'pretrain')
    runner = Runner.from_cfg(_pretrain_cfg(knee_root, pre_dir))
    runner.train()
    ckpt = osp.join(pre_dir, 'iter_2.pth')
    assert osp.isfile(ckpt)
    pretrained = torch.load(ckpt, map_location='cpu')['state_dict']

    # 2. fine-tune the DenseCL-initialised FCN: the hook transfers 100%.
    ft_dir = str(tmp_path / 'finetune')
    runner = Runner.from_cfg(_finetune_cfg(knee_root, ft_dir, ckpt))
    runner.train()
    report = _hook(runner).report
    assert report['ratio'] == 1.0
    assert report['total'] == 120
    assert report['changed'] == report['changed_total'] == 100

    # 3. test split -> metrics.
    metrics = runner.test()
    for key in ('mIoU', 'mDice', 'IoU.background', 'IoU.effusion'):
        assert key in metrics, sorted(metrics)
    assert 0.0 <= metrics['mIoU'] <= 100.0
    # Only encoder keys were transferred; the heads started from their own
    # random init (which training then changed).
    assert all(k.startswith('backbone.') for k in report['matched'])

    # 4. resume: replace the pretraining checkpoint with one the hook would
    # refuse; a resumed run must not even read it, and must start from the
    # fine-tuned iter_2 weights.
    torch.save({'state_dict': {'backbone.stem.0.weight': torch.zeros(1)}},
               ckpt)
    finetuned = torch.load(osp.join(ft_dir, 'iter_2.pth'),
                           map_location='cpu')['state_dict']
    assert not torch.equal(finetuned['backbone.conv1.weight'],
                           pretrained['backbone.conv1.weight'])
    runner = Runner.from_cfg(
        _finetune_cfg(knee_root, ft_dir, ckpt, iters=2, resume=True))
    runner.train()  # resumes at iter 2 == max_iters: no further update
    assert runner.iter == 2
    assert _hook(runner).report == {}
    state = runner.model.state_dict()
    for k, v in finetuned.items():
        if k.startswith('backbone.'):
            assert torch.equal(state[k], v), k


@pytest.mark.slow
def test_finetune_refuses_wrong_checkpoint(knee_root, tmp_path):
    # A checkpoint with the wrong prefix (e.g. a whole-model dump under
    # `encoder_q.`) must stop training before the first iteration.
    bad = str(tmp_path / 'bad.pth')
    torch.save({'state_dict': {'encoder_q.conv1.weight': torch.zeros(1)}},
               bad)
    runner = Runner.from_cfg(
        _finetune_cfg(knee_root, str(tmp_path / 'ft'), bad))
    with pytest.raises(RuntimeError, match=r'Loaded 0/120 \(0\.0%\)'):
        runner.train()
    assert runner.iter == 0
