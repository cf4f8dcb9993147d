# The real-MRI worked example (docs/mri_example.md): the CPU U-Net of
# unet-tiny_1xb8-adam-500i_nifti-mri-128_cpu.py (same bases, same tiny
# U-Net, same small-structure recipe) on the Colin27 T1 template with AAL's
# caudate, putamen and thalamus (left and right merged per structure),
# built by
#   python tools/dataset_converters/mricron_to_layout.py --out data/mri_colin27
# Only the data root, the four classes, the loss's weighting, the lr and the
# schedule differ. FROM SCRATCH; the context-restoration benchmark inherits
# it.
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_seg-128.py',
    '../_base_/schedules/adam-500i.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/mri_colin27'
metainfo = dict(
    classes=('background', 'caudate', 'putamen', 'thalamus'),
    palette=[[0, 0, 0], [230, 25, 75], [60, 180, 75], [0, 130, 200]])
# Loss weighted for small, rare structures (measured on this example,
# docs/mri_example.md; not a knee-ultrasound default): CE weighs each
# structure 5x the background and averages over labelled pixels only
# (padding to the crop does not dilute it); Dice averages the structures
# only (nnU-Net's do_bg=False), so the background's near-perfect Dice does
# not halve their gradient.
loss_decode = [
    dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
         class_weight=[1.0, 5.0, 5.0, 5.0], avg_non_ignore=True),
    dict(type='BatchDiceLoss', loss_weight=1.0, ignore_background=True)
]
model = dict(
    backbone=_base_.unet_tiny,
    decode_head=dict(
        in_channels=16, in_index=3, channels=16, num_classes=4,
        loss_decode=loss_decode))
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
# Also score the three structures merged into one region ("any of them"):
# Dice.structures far above the per-class Dice means they are found but
# confused with each other (docs/mri_example.md).
_groups = dict(structures=['caudate', 'putamen', 'thalamus'])
val_evaluator = dict(class_groups=_groups)
test_evaluator = dict(class_groups=_groups)
# Adam at 3x the knee U-Net's lr: at 1e-3 this GN+WS U-Net learned the
# thalamus by 500 iterations and the putamen by 1000-1500 but had not told
# the caudate from the putamen by 2000 (caudate Dice 0.1); at 3e-3 all three
# structures were above Dice 86 on the test volume by 1500 (scratch, seed 0,
# docs/mri_example.md). On the knee set at 5 % labels, 3e-3 scored 91.8 +-
# 0.8 mIoU against 90.9 +- 1.1 at 1e-3 (3 seeds); the knee U-Net keeps 1e-3
# until the headline study's U-Net rows are re-run with it.
optim_wrapper = dict(optimizer=dict(lr=3e-3))
# 2000 iterations (x0.1 at 1800), validated every 500.
param_scheduler = [
    dict(type='MultiStepLR', milestones=[1800], gamma=0.1, by_epoch=False)
]
train_cfg = dict(max_iters=2000, val_interval=500)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=500, max_keep_ckpts=1, save_best='mDice', rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
