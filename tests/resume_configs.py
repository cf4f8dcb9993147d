"""Tiny configs for the resume tests: the real CPU configs at 32 px, a few
iterations, a checkpoint at every iteration (``max_keep_ckpts=1``, as the
study forces), a validation with ``save_best`` in the middle and at the
end, and randomness in both the data (crops, flips, gain) and the model
(dropout 0.5 in the FCN heads, the DenseCL queue)."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FCN = osp.join(REPO, 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
UNET = osp.join(
    REPO, 'configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py')
DENSECL = osp.join(
    REPO, 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')

_SEG_DATA = """
data_preprocessor = dict(size=(32, 32))
_train = [dict(type='LoadUSImage'), dict(type='LoadUSAnnotations'),
          dict(type='USRandomResizedCrop', size=(32, 32)),
          dict(type='RandomFlip', prob=0.5, direction='horizontal'),
          dict(type='USGainGamma', prob=0.8, gain=(0.8, 1.2),
               gamma=(0.8, 1.25)),
          dict(type='PackSegInputs')]
_test = [dict(type='LoadUSImage'),
         dict(type='Resize', scale=(32, 32), keep_ratio=True),
         dict(type='LoadUSAnnotations'), dict(type='PackSegInputs')]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=_train))
val_dataloader = dict(dataset=dict(pipeline=_test))
test_dataloader = dict(dataset=dict(pipeline=_test))
"""


def _schedule(max_iters, val_interval, save_best=True):
    best = ", save_best='mDice', rule='greater'" if save_best else ''
    val = f', val_interval={val_interval}' if val_interval else ''
    return (f"train_cfg = dict(max_iters={max_iters}{val})\n"
            "default_hooks = dict(logger=dict(interval=1),\n"
            "    checkpoint=dict(interval=1, max_keep_ckpts=1"
            f"{best}))\n")


def tiny_fcn(path, max_iters=8, val_interval=4):
    """ResNet-18-D8 FCN with 8..64 channels, dropout 0.5 in both heads."""
    path.write_text(
        f"_base_ = [{FCN!r}]\n" + _SEG_DATA +
        "model = dict(\n"
        "    backbone=dict(stem_channels=8, base_channels=8),\n"
        "    decode_head=dict(in_channels=64, channels=16,"
        " dropout_ratio=0.5),\n"
        "    auxiliary_head=dict(in_channels=32, channels=8,"
        " dropout_ratio=0.5))\n"
        "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9,\n"
        f"    begin=0, end={max_iters}, by_epoch=False)]\n" +
        _schedule(max_iters, val_interval))
    return str(path)


def tiny_unet(path, max_iters=6, val_interval=3):
    """The 4-stage, 16-channel U-Net of the CPU configs (dropout 0.5)."""
    path.write_text(
        f"_base_ = [{UNET!r}]\n" + _SEG_DATA +
        "model = dict(decode_head=dict(dropout_ratio=0.5))\n"
        "param_scheduler = [dict(type='MultiStepLR', milestones=[4],\n"
        "                        gamma=0.1, by_epoch=False)]\n" +
        _schedule(max_iters, val_interval))
    return str(path)


def tiny_densecl(path, max_iters=6):
    """DenseCL ResNet-18, queue of 8, two 32 px views."""
    path.write_text(
        f"_base_ = [{DENSECL!r}]\n"
        "model = dict(queue_len=8)\n"
        "_view = [dict(type='USRandomResizedCrop', size=32, "
        "scale=(0.5, 1.0))]\n"
        "train_dataloader = dict(batch_size=4, dataset=dict(pipeline=[\n"
        "    dict(type='LoadUSImage'),\n"
        "    dict(type='MultiView', num_views=2, transforms=[_view]),\n"
        "    dict(type='PackInputs')]))\n"
        "param_scheduler = [dict(type='CosineAnnealingLR',\n"
        f"    T_max={max_iters}, by_epoch=False, begin=0, end={max_iters})]"
        "\n" + _schedule(max_iters, None, save_best=False))
    return str(path)
