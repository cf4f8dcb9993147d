# Copyright (c) ussl_mm contributors. All rights reserved.
from typing import Sequence, Tuple

import numpy as np
from mmseg.registry import DATASETS

from .nifti_slice_dataset import NiftiSliceDataset


@DATASETS.register_module()
class NiftiCTDataset(NiftiSliceDataset):
    """CT volumes (Hounsfield units) in NIfTI files, windowed into 3 channels.

    Each channel is one HU window ``(width, level)``: intensities are clipped
    to ``[level - width / 2, level + width / 2]``, then each channel is
    z-scored over the volume ("normalised per channel"). The data
    preprocessor uses mean 0 / std 1. See :class:`NiftiSliceDataset` for
    layout and the other arguments.

    Args:
        windows (Sequence[Tuple[float, float]]): Three ``(width, level)``
            pairs. Defaults to soft tissue (400, 50), bone (1800, 40) and
            custom (500, 50).
        **kwargs: See :class:`NiftiSliceDataset`.
    """

    def __init__(self,
                 windows: Sequence[Tuple[float, float]] = ((400, 50),
                                                           (1800, 40),
                                                           (500, 50)),
                 **kwargs) -> None:
        windows = [tuple(float(v) for v in w) for w in windows]
        if len(windows) != 3 or any(len(w) != 2 or w[0] <= 0
                                    for w in windows):
            raise ValueError('NiftiCTDataset: windows must be three '
                             f'(width > 0, level) pairs, got {windows}.')
        self.windows = windows
        super().__init__(**kwargs)

    def normalise_volume(self, vol: np.ndarray) -> np.ndarray:
        """HU windows -> 3 channels, each z-scored over the volume."""
        chans = []
        for width, level in self.windows:
            c = np.clip(vol, level - width / 2, level + width / 2)
            std = float(c.std())
            chans.append((c - float(c.mean())) / (std if std > 0 else 1.0))
        return np.stack(chans, axis=-1).astype(np.float32)
