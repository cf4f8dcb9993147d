"""A short mmpretrain training run stops, then resumes from its checkpoint.

Guards the torch>=2.6 regression where mmengine 0.10.7 cannot resume
("Weights only load failed ... HistoryBuffer"), fixed by
``ussl_mm.utils.register_safe_globals`` (the tools call it, and so does
tests/conftest.py), which allow-lists mmengine's types rather than disabling
weights_only.
"""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

pytestmark = pytest.mark.slow


def _pretrain_cfg(data_root, work_dir, max_iters):
    view = [
        dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.)),
        dict(type='RandomFlip', prob=0.5),
    ]
    return Config(
        dict(
            default_scope='mmpretrain',
            custom_imports=dict(
                imports=['ussl_mm'], allow_failed_imports=False),
            work_dir=str(work_dir),
            model=dict(
                type='DenseCL',
                queue_len=8,
                feat_dim=16,
                momentum=0.01,
                loss_lambda=0.5,
                data_preprocessor=dict(
                    type='SelfSupDataPreprocessor',
                    mean=[128.] * 3,
                    std=[50.] * 3,
                    to_rgb=True),
                backbone=dict(type='ResNet', depth=18),
                neck=dict(
                    type='DenseCLNeck',
                    in_channels=512,
                    hid_channels=32,
                    out_channels=16,
                    num_grid=None),
                head=dict(
                    type='ContrastiveHead',
                    loss=dict(type='CrossEntropyLoss'),
                    temperature=0.2)),
            train_dataloader=dict(
                batch_size=4,
                num_workers=0,
                drop_last=True,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                collate_fn=dict(type='default_collate'),
                dataset=dict(
                    type='CustomDataset',
                    data_root=str(data_root),
                    with_label=False,
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='MultiView', num_views=2,
                             transforms=[view]),
                        dict(type='PackInputs'),
                    ])),
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
            optim_wrapper=dict(
                optimizer=dict(
                    type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4)),
            param_scheduler=[
                dict(type='CosineAnnealingLR', T_max=6, by_epoch=False)
            ],
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook', by_epoch=False, interval=2),
                logger=dict(type='LoggerHook', interval=1)),
            log_processor=dict(by_epoch=False),
            randomness=dict(seed=0),
            env_cfg=dict(dist_cfg=dict(backend='gloo')),
        ))


class _RecordStart(Hook):

    def __init__(self):
        self.start_iter = None
        self.momentum = None

    def before_train(self, runner):
        self.start_iter = runner.iter
        opt = runner.optim_wrapper.optimizer
        self.momentum = {
            i: opt.state[p]['momentum_buffer'].clone()
            for i, p in enumerate(opt.param_groups[0]['params'])
            if 'momentum_buffer' in opt.state[p]
        }


def test_pretraining_stops_and_resumes(tiny_image_folder, tmp_path):
    work_dir = tmp_path / 'work'
    # First run "stops" after 2 iterations (its schedule knows of 6).
    cfg = _pretrain_cfg(tiny_image_folder, work_dir, max_iters=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt_path = work_dir / 'iter_2.pth'
    assert ckpt_path.is_file()
    saved = torch.load(ckpt_path, map_location='cpu')  # weights_only default
    assert saved['meta']['iter'] == 2
    saved_momentum = saved['optimizer']['state']
    assert len(saved_momentum) > 0

    # Resume and continue to iteration 6.
    cfg = _pretrain_cfg(tiny_image_folder, work_dir, max_iters=6)
    cfg.resume = True
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    recorder = _RecordStart()
    runner.register_hook(recorder, priority='LOWEST')
    runner.train()

    assert recorder.start_iter == 2, 'resume did not restore the iteration'
    assert runner.iter == 6
    # Optimizer state came back exactly.
    assert len(recorder.momentum) == len(saved_momentum)
    for idx, buf in recorder.momentum.items():
        torch.testing.assert_close(buf, saved_momentum[idx]['momentum_buffer'])
    # The message hub (HistoryBuffer, the type torch>=2.6 refused) carried on.
    loss_hist = runner.message_hub.get_scalar('train/loss')
    assert len(loss_hist.data[0]) == 6
    assert (work_dir / 'iter_6.pth').is_file()
