from .context_prediction import ContextPrediction
from .context_restoration import ContextRestoration
from .dense_contrastive_unet import DenseContrastiveUNet
from .inpainting import InpaintingSelfSupervisor

__all__ = [
    'ContextPrediction', 'ContextRestoration', 'DenseContrastiveUNet',
    'InpaintingSelfSupervisor'
]
