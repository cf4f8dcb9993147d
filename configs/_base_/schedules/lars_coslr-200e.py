# LARS schedule of SimCLR, GPU scale: mmpretrain's imagenet_lars_coslr_200e
# (momentum 0.9, wd 1e-6, 10 warm-up epochs from lr x 1e-4, then cosine to
# 0, 200 epochs) plus the SimCLR paramwise settings, lr 0.3 per 256 images
# (mmpretrain's simclr 8xb32 config) linearly scaled to the batch of 32:
# 0.3 * 32 / 256 = 0.0375. BatchNorm and bias parameters get no weight
# decay and no LARS trust ratio. (Barlow Twins changes lr / lr_mult /
# epochs.) The CPU scale is lars_coslr-200i.py.
_base_ = ['mmpretrain::_base_/schedules/imagenet_lars_coslr_200e.py']

optim_wrapper = dict(
    optimizer=dict(lr=0.3 * 32 / 256),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            # bn layer in ResNet block downsample module
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))

# No `default_hooks` here: default_runtime.py owns them.
# `--auto-scale-lr` style rescaling if the real batch differs from 32.
auto_scale_lr = dict(base_batch_size=32)
