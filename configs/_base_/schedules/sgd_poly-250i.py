# CPU study scale of sgd_poly-40ki.py: the same SGD (lr 0.01, momentum 0.9,
# wd 5e-4) and poly decay over 250 iterations at batch 8 (the issue-8 protocol the stock
# row runs too), validated once at the end; the study overrides iterations
# and validation (study.schedule).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=250,
         by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=250, val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
