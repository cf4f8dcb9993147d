from . import samplers, transforms  # noqa: F401
from .ct_dataset import NiftiCTDataset  # noqa: F401
from .mri_dataset import NiftiMRIDataset  # noqa: F401
from .nifti_slice_dataset import NiftiSliceDataset  # noqa: F401
from .knee_us_dataset import KneeUSDataset  # noqa: F401
from .unlabelled_image_dataset import UnlabelledImageDataset  # noqa: F401
from .us_seg_dataset import USSegDataset  # noqa: F401
from .stats import compute_dataset_stats  # noqa: F401
from .validation import DataValidationError  # noqa: F401
