# CPU study scale of knee-us_2view-224.py: the same two views at 128 px,
# batch 16, iteration-based sampling, data loaded in the main process (on 2
# cores, worker processes compete with the compute threads and cost 5 s each
# to shut down at the end of a run; bench_cpu_siblings.py, README).
_base_ = ['./knee-us_2view-224.py']

view_pipeline = _base_.view_pipeline
view_pipeline[0].size = 128  # USRandomResizedCrop
train_pipeline = _base_.train_pipeline
train_pipeline[1].transforms = [view_pipeline]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
