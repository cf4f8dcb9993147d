# CPU study scale of adam-10ki.py for U-Net fine-tuning: Adam lr 1e-3 from
# the first iteration, 500 iterations, step decay x0.1 at 450, validation at
# 250 and 500. Why 500: from scratch on the synthetic knee set the GN+WS
# U-Net predicts only background until ~300-450 iterations (foreground Dice
# 0.0 at 150 and 300, 93.9 at 450; CE + batch Dice, Adam 1e-3), so 150
# iterations measured nothing.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=0))

param_scheduler = [
    dict(type='MultiStepLR', milestones=[450], gamma=0.1, by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=500, val_interval=250)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
