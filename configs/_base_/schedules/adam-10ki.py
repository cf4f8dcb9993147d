# Adam at lr 1e-3, the inpainting recipe's default for both pretraining and
# fine-tuning (fine-tuning starts immediately at this lr, no warm-up),
# 10k iterations, step decay x0.1 at 80 % (GPU scale). Fine-tuning leaves
# add validation (`val_interval`, `val_cfg`, `test_cfg`). CPU scale:
# adam-120i.py (pretraining), adam-500i.py (fine-tuning).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=0))

param_scheduler = [
    dict(type='MultiStepLR', milestones=[8000], gamma=0.1, by_epoch=False)
]

train_cfg = dict(type='IterBasedTrainLoop', max_iters=10000)
