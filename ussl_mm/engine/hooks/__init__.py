from .atomic_checkpoint_hook import AtomicCheckpointHook
from .freeze_hook import FreezeThenUnfreezeHook
from .mean_teacher_hook import MeanTeacherHook
from .pretrained_encoder_hook import (PretrainedEncoderHook,
                                      ensure_pretrained_encoder_hook,
                                      pretrained_encoder_options,
                                      resolve_prefix_map)

__all__ = [
    'AtomicCheckpointHook', 'FreezeThenUnfreezeHook', 'MeanTeacherHook',
    'PretrainedEncoderHook',
    'ensure_pretrained_encoder_hook', 'pretrained_encoder_options',
    'resolve_prefix_map'
]
