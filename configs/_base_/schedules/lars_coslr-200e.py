# LARS schedule of SimCLR (mmpretrain's imagenet_lars_coslr_200e plus the
# SimCLR paramwise settings): 10 warm-up epochs from lr x 1e-4, then cosine
# to 0, 200 epochs. lr 0.3 per 256 images (mmpretrain's simclr 8xb32
# config), linearly scaled to the batch of 32: 0.3 * 32 / 256 = 0.0375.
# BatchNorm and bias parameters get no weight decay and no LARS trust ratio.
# (Barlow Twins inherits this and changes lr / lr_mult / epochs.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='LARS', lr=0.3 * 32 / 256, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            # bn layer in ResNet block downsample module
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR', T_max=190, by_epoch=True, begin=10,
        end=200)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

# No `default_hooks` here: default_runtime.py owns them.
# `--auto-scale-lr` style rescaling if the real batch differs from 32.
auto_scale_lr = dict(base_batch_size=32)
