
from .pretrained_encoder_hook import PretrainedEncoderHook  # noqa: F401
__all__ = ['PretrainedEncoderHook']
