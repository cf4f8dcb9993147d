"""Compatibility shims for running OpenMMLab 2.x (frozen 2024) on torch>=2.6.

One reason: since torch 2.6, ``torch.load`` defaults to ``weights_only=True``
and refuses every non-allow-listed global. mmengine 0.10.7 writes its
``MessageHub`` state (``HistoryBuffer`` objects holding numpy arrays) into
every checkpoint, so ``--resume`` and ``load_from`` fail with::

    Weights only load failed ... Unsupported global:
    mmengine.logging.history_buffer.HistoryBuffer

Instead of turning the safety off globally (``weights_only=False``), we
allow-list exactly the types mmengine itself writes. Arbitrary pickled code in
a foreign checkpoint is still refused.
"""
import numpy as np
import torch


def _mmengine_checkpoint_globals():
    """Types that mmengine 0.10.7 puts into a checkpoint's ``message_hub``."""
    from mmengine.logging.history_buffer import HistoryBuffer

    safe = [HistoryBuffer]
    # numpy arrays / scalars inside HistoryBuffer and runtime_info.
    safe.append(np.core.multiarray._reconstruct)
    safe.append(np.core.multiarray.scalar)
    safe.append(np.ndarray)
    safe.append(np.dtype)
    for dtype_cls in (np.float64, np.float32, np.float16, np.int64, np.int32,
                      np.int16, np.int8, np.uint8, np.bool_):
        safe.append(type(np.dtype(dtype_cls)))
    return safe


def register_safe_globals():
    """Allow-list mmengine's checkpoint types for ``torch.load``.

    A no-op on torch versions without ``torch.serialization.add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return
    add(_mmengine_checkpoint_globals())


register_safe_globals()
