# U-Net (GN + weight standardisation, He init; ../_base_/models/
# unet-s5-d16.py) fine-tuned on MRI slices, GPU scale:
# Adam lr 1e-3 from the first iteration, 10k iterations, CE + batch Dice,
# batch 16, 256 px. FROM SCRATCH: the baseline that the inpainting
# benchmarks (configs/context_*/benchmarks/unet-s5-d16_*_nifti-mri-256_*.py)
# inherit and add `pretrained_encoder` to. CPU sibling:
# unet-tiny_1xb8-adam-500i_nifti-mri-128_cpu.py.
# Label fraction: --cfg-options train_dataloader.dataset.label_fraction=5
# From a pretraining without a benchmark config:
#   --cfg-options pretrained_encoder.checkpoint=PATH
_base_ = [
    '../_base_/models/unet-s5-d16.py',
    '../_base_/datasets/nifti-mri_seg-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

train_cfg = dict(val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(max_keep_ckpts=2, save_best='mDice', rule='greater'),
    visualization=dict(type='SegVisualizationHook'))
