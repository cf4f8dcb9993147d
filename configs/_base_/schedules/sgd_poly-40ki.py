# Segmentation fine-tuning schedule (mmseg's schedule_40k): SGD lr 0.01,
# poly decay, 40k iterations, validation every 4k (GPU scale; the CPU scale
# is sgd_poly-250i.py). Restated rather than inheriting
# mmseg::_base_/schedules/schedule_40k.py, which also defines
# `default_hooks`, owned here by default_runtime.py (a key defined by two
# bases is an error).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)

param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# No `default_hooks` here: default_runtime.py owns them (duplicate keys
# among bases are an error); leaf configs set the checkpoint interval.
