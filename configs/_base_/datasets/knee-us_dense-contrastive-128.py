# CPU study scale of knee-us_dense-contrastive-256.py: 128 px images, 64 px
# views (the same 0.6-1.3x of native scale), batch 16, data loaded in the
# main process (see knee-us_2view-128.py).
_base_ = ['./knee-us_dense-contrastive-256.py']

view_size = 64
train_pipeline = _base_.train_pipeline
train_pipeline[1].size = view_size  # TwoViewCrop
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
