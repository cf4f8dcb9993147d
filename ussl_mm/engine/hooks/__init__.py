from .freeze_hook import FreezeThenUnfreezeHook
from .pretrained_encoder_hook import (PretrainedEncoderHook,
                                      ensure_pretrained_encoder_hook,
                                      pretrained_encoder_options,
                                      resolve_prefix_map)

__all__ = [
    'FreezeThenUnfreezeHook', 'PretrainedEncoderHook',
    'ensure_pretrained_encoder_hook', 'pretrained_encoder_options',
    'resolve_prefix_map'
]
