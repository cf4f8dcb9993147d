# CPU study scale of knee-us_inpainting-256.py: 128 px, batch 8, data loaded
# in the main process (see knee-us_2view-128.py).
_base_ = ['./knee-us_inpainting-256.py']

crop_size = (128, 128)
train_pipeline = _base_.train_pipeline
train_pipeline[1].crop_size = crop_size  # RandomCrop
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
