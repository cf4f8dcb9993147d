# CPU study scale of sgd_coslr-200e.py: the same SGD (momentum 0.9, wd 1e-4)
# at lr 0.03 per 256 images scaled to batch 16, cosine over 200 iterations
# (~13 epochs of the 240-image synthetic train set).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.03 * 16 / 256, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=False, begin=0,
         end=200)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)

auto_scale_lr = dict(base_batch_size=16)
