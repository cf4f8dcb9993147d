# Runtime shared by every ussl_mm config, pretraining (mmpretrain scope) and
# fine-tuning (mmseg scope) alike. Only mmengine types appear here, so they
# resolve under either scope; each model base sets `default_scope`.
#
# `custom_imports` lives here and nowhere else: children must not override it
# (lists replace, they do not merge).
custom_imports = dict(imports=['ussl_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook, crash-safe (atomic writes; old files removed
    # only after the new one and last_checkpoint are complete) and with the
    # random state in every checkpoint, so that --resume is bit-exact.
    checkpoint=dict(type='AtomicCheckpointHook', by_epoch=False,
                    interval=1000, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
# No fixed `name`: every Runner (a study runs several in one process) gets
# its own visualizer, named after its experiment.
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
# load_from loads every tensor or refuses the checkpoint (naming the missing
# and unexpected keys). Set False for a deliberate partial load.
load_from_strict = True
resume = False
# A fixed seed by default: label-efficiency numbers must be reproducible.
randomness = dict(seed=0, deterministic=False)
