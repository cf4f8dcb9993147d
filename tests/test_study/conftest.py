"""A tiny study: 64-px generated knee images, 32-px crops, 2-iteration
DenseCL and FCN configs that inherit the real CPU configs."""
import pytest
from tiny_study import DENSECL, FCN_DENSECL, FCN_SCRATCH, finetune_config

from ussl_mm.datasets.synthetic import generate_knee_us


@pytest.fixture(scope='session')
def tiny_knee(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('knee_us'))
    generate_knee_us(root, num_train=8, num_val=2, num_test=4, size=64,
                     fractions=(50, 100))
    return root


@pytest.fixture(scope='session')
def tiny_configs(tmp_path_factory):
    """Paths of the tiny pretraining and fine-tuning configs."""
    d = tmp_path_factory.mktemp('configs')
    pre = d / 'densecl_tiny.py'
    pre.write_text(
        f"_base_ = [{DENSECL!r}]\n"
        "max_iters = 2\n"
        "model = dict(queue_len=8)\n"
        "_view = [dict(type='USRandomResizedCrop', size=32, "
        "scale=(0.5, 1.0))]\n"
        "train_dataloader = dict(batch_size=4, dataset=dict(pipeline=[\n"
        "    dict(type='LoadUSImage'),\n"
        "    dict(type='MultiView', num_views=2, transforms=[_view]),\n"
        "    dict(type='PackInputs')]))\n"
        "param_scheduler = [dict(type='CosineAnnealingLR', T_max=2,\n"
        "                        by_epoch=False, begin=0, end=2)]\n"
        "train_cfg = dict(max_iters=2)\n"
        "default_hooks = dict(checkpoint=dict(interval=2),\n"
        "                     logger=dict(interval=1))\n")
    return dict(
        pretrain=str(pre),
        scratch=finetune_config(d / 'fcn_scratch_tiny.py', FCN_SCRATCH),
        densecl=finetune_config(d / 'fcn_densecl_tiny.py', FCN_DENSECL))
