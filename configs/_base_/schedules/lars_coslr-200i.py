# CPU study scale of lars_coslr-200e.py: the same LARS and paramwise
# settings at lr 0.3 per 256 images scaled to batch 16, 10 warm-up
# iterations from lr x 1e-4, then cosine to 0 at 200 iterations.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='LARS', lr=0.3 * 16 / 256, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            # bn layer in ResNet block downsample module
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0,
         end=10),
    dict(type='CosineAnnealingLR', T_max=190, by_epoch=False, begin=10,
         end=200)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)

auto_scale_lr = dict(base_batch_size=16)
