# Copyright (c) ussl_mm contributors. All rights reserved.
import numpy as np
from mmseg.registry import DATASETS

from .nifti_slice_dataset import NiftiSliceDataset


@DATASETS.register_module()
class NiftiMRIDataset(NiftiSliceDataset):
    """MRI volumes in NIfTI files, z-scored per volume, served as slices.

    Each volume is normalised to zero mean and unit variance over all its
    voxels (per volume, i.e. per patient scan), then replicated to 3
    channels (the project's channel convention). The data preprocessor uses
    mean 0 / std 1. See :class:`NiftiSliceDataset` for layout and arguments.
    """

    def normalise_volume(self, vol: np.ndarray) -> np.ndarray:
        """Per-volume z-score, replicated to 3 channels."""
        std = float(vol.std())
        z = (vol - float(vol.mean())) / (std if std > 0 else 1.0)
        return np.repeat(z[..., None].astype(np.float32), 3, axis=-1)
