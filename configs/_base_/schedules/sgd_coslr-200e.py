# Contrastive pretraining schedule (MoCo v2 / DenseCL): SGD, cosine, 200
# epochs. lr 0.03 per 256 images, linearly scaled to the batch of 32.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.03 * 32 / 256, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0,
         end=200)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)

# No `default_hooks` here: default_runtime.py owns them (duplicate keys
# among bases are an error); leaf configs set the checkpoint interval.
# `--auto-scale-lr` style rescaling if the real batch differs from 32.
auto_scale_lr = dict(base_batch_size=32)
