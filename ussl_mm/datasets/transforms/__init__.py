
from .inpainting import (ContextPredictionCorruption,  # noqa: F401
                         ContextRestorationCorruption)
