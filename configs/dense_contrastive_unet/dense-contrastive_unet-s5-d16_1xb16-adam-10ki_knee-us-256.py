# Dense contrastive pretraining of the whole mmseg U-Net (encoder and
# decoder) on unlabelled knee ultrasound: two overlapping 128 px views of
# each 256 px image, a pixel-level InfoNCE at 64 points per image of known
# correspondence plus a global term, Adam 1e-3. Fine-tune the checkpoint
# (encoder and decoder) with
#   configs/dense_contrastive_unet/benchmarks/
#     unet-s5-d16_1xb8-adam-10ki_knee-us-256_dense-contrastive.py
_base_ = [
    '../_base_/models/dense-contrastive_unet-s5-d16.py',
    '../_base_/datasets/knee-us_dense-contrastive-256.py',
    '../_base_/schedules/adam-10ki.py',
    '../_base_/default_runtime.py',
]

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))
