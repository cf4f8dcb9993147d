
from .foreground_crop import RandomForegroundCrop  # noqa: F401
from .inpainting import (ContextPredictionCorruption,  # noqa: F401
                         ContextRestorationCorruption)
from .multi_branch import MultiBranch  # noqa: F401
from .loading import LoadUSAnnotations, LoadUSImage  # noqa: F401
from .rescale import RandomRescale  # noqa: F401
from .two_view_crop import TwoViewCrop  # noqa: F401
from .ultrasound import (USDepthGain, USGainGamma,  # noqa: F401
                         USGaussianBlur, USRandomAffine, USRandomResizedCrop,
                         USSpeckleNoise)
