# CPU study scale of adam-10ki.py for inpainting pretraining: Adam lr 1e-3,
# 120 iterations, step decay x0.1 at iteration 100 (about a minute on 2 CPU
# cores).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=0))

param_scheduler = [
    dict(type='MultiStepLR', milestones=[100], gamma=0.1, by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=120)
