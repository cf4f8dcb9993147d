from . import transforms  # noqa: F401
from .ct_dataset import NiftiCTDataset  # noqa: F401
from .mri_dataset import NiftiMRIDataset  # noqa: F401
from .nifti_slice_dataset import NiftiSliceDataset  # noqa: F401
