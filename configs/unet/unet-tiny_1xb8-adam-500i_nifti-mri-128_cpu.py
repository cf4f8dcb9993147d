# CPU-scale sibling of unet-s5-d16_1xb16-adam-10ki_nifti-mri-256.py (used
# by the tests): the 4-stage, 16-channel U-Net
# (`unet_tiny`), the 128 px data base, batch 8, 500 iterations validated at
# 250 and 500 (../_base_/schedules/adam-500i.py says why 500).
# FROM SCRATCH; the pretrained benchmarks inherit it.
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_seg-128.py',
    '../_base_/schedules/adam-500i.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=_base_.unet_tiny,
    decode_head=dict(in_channels=16, in_index=3, channels=16))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=500, max_keep_ckpts=1, save_best='mDice', rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
