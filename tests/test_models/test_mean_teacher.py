"""Semi-supervised fine-tuning (MeanTeacherSegmentor, MultiBranch,
MultiSourceSampler, MultiBranchSegDataPreProcessor, MeanTeacherHook): the
real config, tiny, through the real Runner."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import ConcatDataset
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from ussl_mm.datasets.samplers import MultiSourceSampler
from ussl_mm.models.segmentors import pseudo_labels
from ussl_mm.study.data import labelled_batch_size, labelled_dataset_key

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MT_CPU = osp.join(
    ROOT, 'configs/mean_teacher/'
    'mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_cpu.py')
MT_CR_CPU = osp.join(
    ROOT, 'configs/mean_teacher/benchmarks/'
    'mean-teacher_unet-tiny_1xb8+8-adam-500i_knee-us-128_'
    'context-restoration_cpu.py')
PRE_CPU = osp.join(
    ROOT, 'configs/context_restoration/'
    'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py')
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


def _tiny_cfg(path, data_root, work_dir, batch=4, ratio=(1, 1), iters=2):
    cfg = Config.fromfile(path)
    seg = cfg.model.segmentor
    seg.backbone.update(TINY_UNET)
    seg.decode_head.update(in_channels=8, in_index=2, channels=8,
                           norm_cfg=dict(type='GN', num_groups=4))
    cfg.data_preprocessor.size = (32, 32)
    labelled, unlabelled = cfg.train_dataloader.dataset.datasets
    labelled.pipeline[3].crop_size = (32, 32)
    unlabelled.pipeline[2].crop_size = (32, 32)
    labelled.update(data_root=data_root, label_fraction=50)
    unlabelled.update(data_root=data_root)
    cfg.train_dataloader.batch_size = batch
    cfg.train_dataloader.sampler.update(batch_size=batch,
                                        source_ratio=list(ratio))
    for k in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader',
              'test_cfg', 'test_evaluator'):
        cfg[k] = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1000)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.work_dir = str(work_dir)
    return cfg


class Recorder(Hook):
    """Snapshots of the teacher and the student, and the losses."""

    def __init__(self):
        self.teacher_before = None
        self.student_before = None
        self.teacher_after = []
        self.losses = []

    @staticmethod
    def _snap(module):
        return {k: v.detach().clone() for k, v in module.state_dict().items()}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.teacher_before is None:  # after every before_train hook
            self.teacher_before = self._snap(runner.model.teacher)
            self.student_before = self._snap(runner.model.student)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.teacher_after.append(self._snap(runner.model.teacher))
        self.losses.append({k: float(v) for k, v in outputs.items()})


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    from ussl_mm.datasets.synthetic import generate_knee_us
    root = tmp_path_factory.mktemp('knee_mt')
    generate_knee_us(str(root), num_train=8, num_val=2, num_test=2, size=48,
                     seed=0, fractions=[50])
    return str(root)


@pytest.mark.slow
def test_config_builds_and_trains_two_iterations(tmp_path, data_root):
    cfg = _tiny_cfg(MT_CPU, data_root, tmp_path / 'w')
    runner = Runner.from_cfg(cfg)
    rec = Recorder()
    runner.register_hook(rec, priority='LOWEST')
    runner.train()
    model = runner.model
    assert type(model).__name__ == 'MeanTeacherSegmentor'
    # The teacher started as a copy of the student ...
    for k, v in rec.teacher_before.items():
        torch.testing.assert_close(v, rec.student_before[k], msg=k)
    # ... changed after a step (EMA towards the trained student) ...
    changed = [k for k, v in rec.teacher_after[0].items()
               if v.is_floating_point() and not torch.equal(
                   v, rec.teacher_before[k])]
    assert len(changed) > 0
    # ... and gets no gradient.
    assert all(not p.requires_grad for p in model.teacher.parameters())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not model.teacher.training and model.student.training
    for losses in rec.losses:
        assert {'sup_decode.loss_ce', 'unsup_decode.loss_ce',
                'unsup_mask_ratio'} <= set(losses)
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())


@pytest.mark.slow
@pytest.mark.parametrize('unsup_loss', ['pseudo_label', 'mse'])
def test_every_student_parameter_gets_a_gradient(tmp_path, data_root,
                                                 unsup_loss):
    cfg = _tiny_cfg(MT_CPU, data_root, tmp_path / 'w')
    cfg.model.semi_train_cfg.unsup_loss = unsup_loss
    cfg.model.semi_train_cfg.class_keep_ratio = None
    # threshold 0: every pixel is pseudo-labelled, so the unsupervised loss
    # reaches every parameter even from an untrained teacher.
    cfg.model.semi_train_cfg.threshold = 0.0
    cfg.model.semi_train_cfg.cutmix_prob = 0.0  # padding stays in place
    runner = Runner.from_cfg(cfg)
    model = runner.model
    batch = next(iter(runner.train_dataloader))
    data = model.data_preprocessor(batch, True)
    assert set(data['inputs']) == {'sup', 'unsup_teacher', 'unsup_student'}
    assert data['inputs']['sup'].shape == (2, 3, 32, 32)
    assert data['inputs']['unsup_student'].shape == (2, 3, 32, 32)
    losses = model.loss(data['inputs'], data['data_samples'])
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    unsup = [k for k in losses if k.startswith('unsup_') and 'loss' in k]
    assert unsup and all(float(sum(losses[k]) if isinstance(
        losses[k], list) else losses[k]) > 0 for k in unsup)
    # Every pixel is kept except the padding (crops of images smaller than
    # the crop size are padded by the preprocessor).
    unpadded = sum(s.metainfo['img_shape'][0] * s.metainfo['img_shape'][1]
                   for s in data['data_samples']['unsup_student'])
    expected = unpadded / data['inputs']['unsup_student'][:, 0].numel()
    assert float(losses['unsup_mask_ratio']) == pytest.approx(expected)
    loss.backward()
    missing = [n for n, p in model.student.named_parameters()
               if p.requires_grad and (p.grad is None or not p.grad.abs()
                                       .sum() > 0)]
    assert missing == []
    assert all(p.grad is None for p in model.teacher.parameters())


def test_pseudo_labels_threshold_and_ignore_index():
    probs = torch.tensor([[0.97, 0.60], [0.10, 0.50]])  # p(class 1), 2x2
    probs = torch.stack([1 - probs, probs])[None]  # (1, 2, 2, 2)
    labels, conf = pseudo_labels(probs, threshold=0.9, ignore_index=255)
    # 0.97 -> class 1; 0.60 -> 0.6 < 0.9 ignored; 0.10 -> class 0 at 0.9;
    # 0.50 -> ignored.
    assert labels.tolist() == [[[1, 255], [0, 255]]]
    torch.testing.assert_close(conf, torch.tensor([[[0.97, 0.60],
                                                    [0.90, 0.50]]]))
    labels, _ = pseudo_labels(probs, threshold=0.0, ignore_index=7)
    assert (labels != 7).all()


def test_pseudo_labels_class_keep_ratio_is_per_class_and_skips_padding():
    # Class 1 is rare and never confident (0.6-0.7), class 0 frequent and
    # confident (0.9-0.99): an absolute floor of 0.8 would drop every
    # class-1 pixel; keeping the top half of EACH class keeps both.
    p1 = torch.tensor([[0.60, 0.62, 0.68, 0.70],
                       [0.01, 0.02, 0.05, 0.10]])
    probs = torch.stack([1 - p1, p1])[None]  # (1, 2, 2, 4)
    labels, _ = pseudo_labels(probs, threshold=0.8)
    assert (labels == 1).sum() == 0
    labels, _ = pseudo_labels(probs, class_keep_ratio=0.5)
    assert labels.tolist() == [[[255, 255, 1, 1], [0, 0, 255, 255]]]
    # Padding (invalid pixels) is dropped and not counted.
    valid = torch.ones(1, 2, 4, dtype=torch.bool)
    valid[0, :, 3] = False
    labels, _ = pseudo_labels(probs, class_keep_ratio=0.5, valid=valid)
    # class 1 over 0.60, 0.62, 0.68: median 0.62; class 0 over 0.99, 0.98,
    # 0.95: median 0.98.
    assert labels.tolist() == [[[255, 1, 1, 255], [0, 0, 255, 255]]]


@pytest.mark.parametrize('batch,ratio,expected', [(16, [1, 1], 8),
                                                  (12, [1, 2], 4),
                                                  (5, [1, 4], 1)])
def test_sampler_batch_ratio(batch, ratio, expected):

    class Items(torch.utils.data.Dataset):

        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return i

    concat = torch.utils.data.ConcatDataset([Items(3), Items(50)])
    sampler = MultiSourceSampler(concat, batch, ratio, seed=0)
    it = iter(sampler)
    seen_labelled = []
    for _ in range(10):
        idx = [next(it) for _ in range(batch)]
        assert all(i < 3 for i in idx[:expected])
        assert all(i >= 3 for i in idx[expected:])
        seen_labelled += idx[:expected]
    assert set(seen_labelled) == {0, 1, 2}  # the small source is cycled
    cfg = Config(
        dict(train_dataloader=dict(
            batch_size=batch,
            sampler=dict(type='MultiSourceSampler', batch_size=batch,
                         source_ratio=ratio))))
    assert labelled_batch_size(cfg) == expected


def test_sampler_refuses_bad_input():
    with pytest.raises(TypeError, match='ConcatDataset'):
        MultiSourceSampler(list(range(4)), 4, [1, 1])
    concat = torch.utils.data.ConcatDataset([[1, 2], [3]])
    with pytest.raises(ValueError, match='one non-negative entry'):
        MultiSourceSampler(concat, 4, [1, 1, 1])


def test_the_study_finds_the_labelled_dataset(tmp_path):
    cfg = Config.fromfile(MT_CPU)
    assert labelled_dataset_key(cfg) == 'train_dataloader.dataset.datasets.0'
    cfg.train_dataloader.dataset.datasets[1].label_fraction = 5
    with pytest.raises(ValueError, match='exactly one'):
        labelled_dataset_key(cfg)


def test_multibranch_refuses_unknown_branch_and_unpacked_output():
    from mmcv.transforms import TRANSFORMS
    with pytest.raises(ValueError, match='branch_field'):
        TRANSFORMS.build(dict(type='MultiBranch', teacher=[]))
    t = TRANSFORMS.build(dict(type='MultiBranch', sup=[]))
    with pytest.raises(ValueError, match='PackSegInputs'):
        t(dict(img=torch.zeros(2, 2).numpy()))


def test_unknown_semi_train_cfg_key_is_refused():
    cfg = Config.fromfile(MT_CPU)
    cfg.model.semi_train_cfg.treshold = 0.5
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        with pytest.raises(ValueError, match='treshold'):
            MODELS.build(cfg.model)


def _cr_checkpoint(path, **unet):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(PRE_CPU)
    cfg.model.backbone.update(TINY_UNET, **unet)
    cfg.model.head.in_channels = cfg.model.backbone.base_channels
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    torch.manual_seed(123)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.slow
def test_unet_pretraining_transfers_whole_unet_into_student_and_teacher(
        tmp_path, data_root):
    ckpt = str(tmp_path / 'cr.pth')
    src = _cr_checkpoint(ckpt)
    cfg = _tiny_cfg(MT_CR_CPU, data_root, tmp_path / 'w', iters=1)
    cfg.pretrained_encoder.update(checkpoint=ckpt, mode='encoder+decoder')
    runner = Runner.from_cfg(cfg)
    rec = Recorder()
    runner.register_hook(rec, priority='LOWEST')
    runner.train()
    src_bb = {k: v for k, v in src.items() if k.startswith('backbone.')}
    assert any(k.startswith('backbone.decoder.') for k in src_bb)
    for snap in (rec.student_before, rec.teacher_before):
        got = {k: v for k, v in snap.items() if k.startswith('backbone.')}
        assert set(got) == set(src_bb)  # 100 % of encoder + decoder keys
        for k, v in got.items():
            torch.testing.assert_close(v, src_bb[k], msg=k)
    hook = [h for h in runner.hooks
            if type(h).__name__ == 'PretrainedEncoderHook'][0]
    assert hook.report  # the verified transfer ran and reported


@pytest.mark.slow
def test_unet_pretraining_mismatch_is_refused(tmp_path, data_root):
    ckpt = str(tmp_path / 'cr16.pth')
    _cr_checkpoint(ckpt, base_channels=16)  # a wider U-Net
    cfg = _tiny_cfg(MT_CR_CPU, data_root, tmp_path / 'w', iters=1)
    cfg.pretrained_encoder.update(checkpoint=ckpt, mode='encoder+decoder')
    runner = Runner.from_cfg(cfg)
    with pytest.raises((RuntimeError, ValueError), match='shape'):
        runner.train()


def test_concat_dataset_of_the_config_builds(data_root):
    cfg = Config.fromfile(MT_CPU)
    for ds in cfg.train_dataloader.dataset.datasets:
        ds.data_root = data_root
    cfg.train_dataloader.dataset.datasets[0].label_fraction = 50
    from mmseg.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(ds, ConcatDataset)
    assert [len(d) for d in ds.datasets] == [4, 8]
    item = ds[0]
    assert item['inputs']['sup'] is not None
    assert item['inputs']['unsup_student'] is None
    item = ds[5]
    assert item['inputs']['sup'] is None
    assert item['inputs']['unsup_teacher'].shape == \
        item['inputs']['unsup_student'].shape


@pytest.mark.parametrize('key,value,match', [
    ('threshold', 1.5, 'threshold'),
    ('class_keep_ratio', 0.0, 'class_keep_ratio'),
    ('unsup_loss', 'kl', 'unsup_loss'),
])
def test_bad_semi_train_cfg_values_are_refused(key, value, match):
    cfg = Config.fromfile(MT_CPU)
    cfg.model.semi_train_cfg[key] = value
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        with pytest.raises(ValueError, match=match):
            MODELS.build(cfg.model)


def test_wrapper_keys_given_at_the_top_are_refused_with_where_they_go():
    cfg = Config.fromfile(MT_CPU)
    cfg.model.test_cfg = dict(mode='slide')
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        with pytest.raises(ValueError, match='model.segmentor'):
            MODELS.build(cfg.model)


def test_mean_teacher_hook_refuses_a_model_without_teacher():
    from types import SimpleNamespace

    from ussl_mm.engine.hooks import MeanTeacherHook
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2), iter=0,
                             max_iters=10)
    with pytest.raises(TypeError, match='teacher.*student'):
        MeanTeacherHook().before_train(runner)
    with pytest.raises(ValueError, match='momentum'):
        MeanTeacherHook(momentum=0.0)
    with pytest.raises(ValueError, match='rampup_ratio'):
        MeanTeacherHook(rampup_ratio=2.0)
