"""The stock OpenMMLab recipes as study rows (issue 8): mmpretrain's DenseCL
and mmseg's FCN at the CPU study's scale build, train 2 iterations through
the tools' builder, and every pretraining transfers 100 % of the FCN's
backbone into either fine-tuning recipe (stock->stock, ours->stock,
stock->ours)."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from ussl_mm.apis import build_train_runner, parse_train_args
from ussl_mm.engine.hooks import PretrainedEncoderHook

pytestmark = pytest.mark.slow

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PRETRAIN = dict(
    ours='configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py',
    stock='configs/densecl/'
    'densecl_r18_stock_1xb16-coslr-200i_knee-us-128_cpu.py')
FINETUNE = dict(
    ours='configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py',
    stock='configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py')


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64,
                            fractions=(50, 100)))


class _Start(Hook):
    """Records the backbone right after the transfer (before iteration 1)."""
    priority = 'LOWEST'

    def before_train(self, runner):
        self.backbone = {
            k: v.detach().clone()
            for k, v in runner.model.backbone.state_dict().items()
        }


def _train(config, work_dir, knee_root, options):
    argv = [osp.join(REPO, config), '--work-dir', work_dir, '--data-root',
            knee_root, '--cfg-options', 'train_cfg.max_iters=2',
            'train_dataloader.batch_size=2'] + options
    runner = build_train_runner(parse_train_args(argv))
    start = _Start()
    runner.register_hook(start)
    runner.train()
    assert runner.iter == 2
    return runner, start


@pytest.fixture(scope='module')
def pretrained(knee_root, tmp_path_factory):
    """Each DenseCL recipe trained 2 iterations: {name: checkpoint}."""
    ckpts = {}
    for name, config in PRETRAIN.items():
        work = str(tmp_path_factory.mktemp(f'pre_{name}'))
        runner, _ = _train(config, work, knee_root, [
            'model.queue_len=16', 'default_hooks.checkpoint.interval=2'
        ])
        losses = runner.message_hub.get_scalar('train/loss').data[0]
        assert all(torch.isfinite(torch.tensor(v)) for v in losses)
        ckpts[name] = osp.join(work, 'iter_2.pth')
        assert osp.isfile(ckpts[name])
    return ckpts


@pytest.mark.parametrize('pre, ft', [('stock', 'stock'), ('ours', 'stock'),
                                     ('stock', 'ours')])
def test_every_pretraining_transfers_whole_backbone_into_every_recipe(
        pre, ft, pretrained, knee_root, tmp_path):
    ckpt = pretrained[pre]
    runner, start = _train(FINETUNE[ft], str(tmp_path), knee_root, [
        f'pretrained_encoder.checkpoint={ckpt}',
        'train_dataloader.dataset.label_fraction=50'
    ])
    hook = [h for h in runner.hooks if isinstance(h, PretrainedEncoderHook)]
    assert len(hook) == 1
    report = hook[0].report
    backbone = runner.model.backbone.state_dict()
    # Every backbone tensor (weights and BN statistics) was loaded.
    assert report['ratio'] == 1.0
    assert report['total'] == len(backbone) == len(report['matched'])
    source = {
        k[len('backbone.'):]: v
        for k, v in torch.load(ckpt, map_location='cpu')
        ['state_dict'].items() if k.startswith('backbone.')
    }
    for k, v in start.backbone.items():
        torch.testing.assert_close(v, source[k], msg=k)
    # ... and fine-tuning then changed the encoder.
    assert not torch.equal(backbone['conv1.weight'],
                           source['conv1.weight'])
