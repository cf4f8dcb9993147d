# ResNet-50 + full-resolution U-Net decoder (UNetHead) fine-tuned on
# knee-ultrasound effusion, GPU scale: 40k iterations, batch 16, SGD lr 0.01
# poly, 256 px crops, as the FCN R50-D8 row
# (configs/fcn/fcn_r50-d8_1xb16-40ki_knee-us-256.py) so that only the decoder
# differs. FROM SCRATCH; the pretrained benchmarks
# (configs/<method>/benchmarks/unethead_r50_*) inherit it and add
# `pretrained_encoder`. CPU sibling: unethead_r18_1xb8-250i_knee-us-128_cpu.py.
#   --cfg-options train_dataloader.dataset.label_fraction=5
#   --cfg-options pretrained_encoder.checkpoint=PATH   (any ResNet-50
#                                                       pretraining)
_base_ = [
    '../_base_/models/unethead_r50.py',
    '../_base_/datasets/knee-us_seg-256.py',
    '../_base_/schedules/sgd_poly-40ki.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=16, dataset=dict(label_fraction=100))
default_hooks = dict(
    checkpoint=dict(
        interval=4000, max_keep_ckpts=1, save_best='mIoU', rule='greater'))
