"""Baselines that run outside the OpenMMLab stack but are scored with
ussl_mm's metrics (e.g. nnU-Net 2D, the optional extra ``.[nnunet]``).

Nothing here imports the baseline package at import time: ``import ussl_mm``
works without the extras."""
from .nnunet import (NNUNET_ENTRY_POINTS, convert_to_nnunet, nnunet_available,
                     run_nnunet_row, score_predictions)

__all__ = [
    'NNUNET_ENTRY_POINTS', 'convert_to_nnunet', 'nnunet_available',
    'run_nnunet_row', 'score_predictions'
]
