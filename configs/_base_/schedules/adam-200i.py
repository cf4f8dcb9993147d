# CPU study scale of adam-10ki.py for contrastive U-Net pretraining: Adam
# lr 1e-3, 200 iterations, step decay x0.1 at iteration 160 (80 %, as the
# GPU schedule).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=0))

param_scheduler = [
    dict(type='MultiStepLR', milestones=[160], gamma=0.1, by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
