# CPU study scale of sgd_poly-40ki.py: the same SGD (lr 0.01, momentum 0.9,
# wd 5e-4) and poly decay over 150 iterations, validated once at the end.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=150,
         by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=150, val_interval=150)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
