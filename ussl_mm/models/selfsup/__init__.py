from .context_prediction import ContextPrediction
from .context_restoration import ContextRestoration
from .inpainting import InpaintingSelfSupervisor

__all__ = [
    'ContextPrediction', 'ContextRestoration', 'InpaintingSelfSupervisor'
]
