"""MoCo v2, SimCLR, SimSiam and Barlow Twins (mmpretrain's algorithms) train
through the real CPU configs and ``Runner.from_cfg`` on a tiny generated
knee-ultrasound set, and their checkpoints' ``backbone.`` transfers 100%
into the FCN R18 of each method's CPU fine-tuning config."""
import os.path as osp
import types

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ussl_mm.engine.hooks import PretrainedEncoderHook
from ussl_mm.utils import strip_collate_scope

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
METHODS = {
    # method: (algorithm type, trainable top-level modules, loss keys)
    'mocov2': ('MoCo', {'backbone', 'neck'}, {'loss'}),
    'simclr': ('SimCLR', {'backbone', 'neck'}, {'loss'}),
    'simsiam': ('SimSiam', {'backbone', 'neck', 'head'}, {'loss'}),
    'barlowtwins': ('BarlowTwins', {'backbone', 'neck'}, {'loss'}),
}
SIZE = 32
BATCH = 4
ITERS = 2


def _pretrain_config(method):
    return osp.join(CFG_DIR, method,
                    f'{method}_r18_1xb16-coslr-200i_knee-us-128_cpu.py')


def _finetune_config(method):
    return osp.join(CFG_DIR, method, 'benchmarks',
                    f'fcn_r18-d8_1xb8-250i_knee-us-128_{method}_cpu.py')


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64))


def _tiny_pretrain_cfg(method, root, work_dir):
    """The CPU config with only sizes shrunk: 32 px, batch 4, 2 iters."""
    cfg = Config.fromfile(_pretrain_config(method))
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = 1
    if 'queue_len' in cfg.model:
        cfg.model.queue_len = 2 * BATCH
    dl = cfg.train_dataloader
    dl.update(batch_size=BATCH, num_workers=0, persistent_workers=False)
    dl.dataset.data_root = root
    multiview = dl.dataset.pipeline[1]
    assert multiview.type == 'MultiView'
    for view in multiview.transforms:
        assert view[0].type == 'USRandomResizedCrop'
        view[0].size = SIZE
    strip_collate_scope(cfg)
    return cfg


class _StepRecorder(Hook):
    """Keeps the log_vars (losses) that ``train_step`` returned and the
    param groups' (lr, fix_lr) the step used (NORMAL priority: before the
    ParamSchedulerHook moves the lr)."""

    def __init__(self):
        self.outputs = []
        self.lrs = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.outputs.append(outputs)
        self.lrs.append([(g['lr'], bool(g.get('fix_lr')))
                         for g in runner.optim_wrapper.optimizer.param_groups])


class _GradRecorder:
    """Records, per parameter, whether each backward gave a finite and a
    non-zero gradient (the optimizer wrapper zeroes ``.grad`` afterwards, so
    it cannot be inspected after ``train_step``)."""

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


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(METHODS))
def test_pretext_trains_and_transfers_to_fcn(method, knee_root, tmp_path):
    algo, trainable_modules, loss_keys = METHODS[method]
    work_dir = str(tmp_path / method)
    runner = Runner.from_cfg(_tiny_pretrain_cfg(method, knee_root, work_dir))
    model = runner.model
    assert type(model).__name__ == algo

    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    # Online encoder (+ projector/predictor) only; nothing else trains.
    assert {n.split('.')[0] for n, _ in trainable} == trainable_modules
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    if method == 'mocov2':
        assert frozen and all(n.startswith('encoder_k.') for n in frozen)
        key_before = model.encoder_k.module[0].conv1.weight.detach().clone()
    else:
        # No momentum/target encoder in SimCLR, SimSiam, Barlow Twins.
        assert not frozen
    recorder = _GradRecorder(trainable)
    steps = _StepRecorder()
    runner.register_hook(steps)
    runner.train()

    assert len(steps.outputs) == ITERS
    for step, log_vars in enumerate(steps.outputs):
        assert loss_keys <= set(log_vars), (step, sorted(log_vars))
        for key, value in log_vars.items():
            assert torch.isfinite(torch.as_tensor(value)), (step, key, value)
    no_grad = [n for n, v in recorder.finite.items() if len(v) != ITERS]
    assert not no_grad, f'{method}: no gradient for {no_grad[:5]}'
    not_finite = [n for n, v in recorder.finite.items() if not all(v)]
    assert not not_finite, f'{method}: non-finite gradient {not_finite[:5]}'
    # zero_init_residual=True zeroes the last BN of every block, so the conv
    # before it gets a zero gradient at the very first step; every trainable
    # tensor must receive a non-zero gradient within the two steps.
    all_zero = [n for n, v in recorder.nonzero.items() if not any(v)]
    assert not all_zero, f'{method}: all-zero gradient for {all_zero[:5]}'
    if method == 'mocov2':
        assert all(p.grad is None for p in model.encoder_k.parameters())
        # The key encoder moved by EMA (no gradient).
        assert not torch.equal(model.encoder_k.module[0].conv1.weight,
                               key_before)
        assert int(model.queue_ptr) == (ITERS * BATCH) % (2 * BATCH)
    if method == 'simsiam':
        # SimSiamHook holds the predictor at the base lr (fix_lr group).
        # At the second step the cosine schedule has lowered the others.
        lrs = steps.lrs[-1]
        assert any(fix for _, fix in lrs)
        assert all(lr == runner.cfg.lr for lr, fix in lrs if fix)
        assert all(lr < runner.cfg.lr for lr, fix in lrs if not fix)
    if method in ('simclr', 'barlowtwins'):
        groups = runner.optim_wrapper.optimizer.param_groups
        assert type(runner.optim_wrapper.optimizer).__name__ == 'LARS'
        # BN and bias: no weight decay, no trust ratio.
        assert any(g.get('lars_exclude') for g in groups)
        assert all(g['weight_decay'] == 0 for g in groups
                   if g.get('lars_exclude'))

    # The checkpoint's backbone loads 100% into the method's FCN R18.
    ckpt = osp.join(work_dir, f'iter_{ITERS}.pth')
    assert osp.isfile(ckpt)
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    ft_cfg = Config.fromfile(_finetune_config(method))
    assert ft_cfg.default_scope == 'mmseg'
    assert dict(type='PretrainedEncoderHook') in ft_cfg.custom_hooks
    assert f'{method}_r18_1xb16-coslr-200i_knee-us-128_cpu' in \
        ft_cfg.pretrained_encoder.checkpoint
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    ft_cfg.model.data_preprocessor = ft_cfg.data_preprocessor
    fcn = MODELS.build(ft_cfg.model)
    fcn.init_weights()
    ft_cfg.pretrained_encoder.checkpoint = ckpt
    hook = PretrainedEncoderHook()
    hook.before_train(types.SimpleNamespace(model=fcn, iter=0, cfg=ft_cfg))
    report = hook.report
    assert report['ratio'] == 1.0
    assert report['total'] == 120
    assert not report['unexpected']
    # Every encoder tensor now equals the checkpoint. (Not every one differs
    # from the FCN's own init: after 2 warm-up steps some BN weights are
    # still exactly 1.0, so only "most changed" is asserted.)
    fcn_state = fcn.state_dict()
    backbone = [k for k in fcn_state if k.startswith('backbone.')]
    assert len(backbone) == 120
    for key in backbone:
        assert torch.equal(fcn_state[key], state[key]), key
    assert report['changed_total'] == 100
    assert report['changed'] >= 90
