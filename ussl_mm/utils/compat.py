"""Compatibility shims for running OpenMMLab 2.x (frozen 2024) on torch>=2.6.

One reason: since torch 2.6, ``torch.load`` defaults to ``weights_only=True``
and refuses every global that is not allow-listed. mmengine 0.10.7 writes its
``MessageHub`` state into every checkpoint: ``HistoryBuffer`` objects holding
numpy arrays, plus the buffer's statistics methods pickled by reference
(``getattr(HistoryBuffer, 'mean')``). ``--resume`` therefore fails with::

    Weights only load failed ... Unsupported global:
    mmengine.logging.history_buffer.HistoryBuffer

Instead of turning the safety off (``weights_only=False``), we allow-list
exactly what mmengine itself writes:

* ``HistoryBuffer`` and the numpy array/dtype reconstructors;
* ``builtins.getattr`` replaced by :func:`_history_buffer_getattr`, which only
  resolves public statistics methods of ``HistoryBuffer`` and refuses
  anything else.

Arbitrary pickled code in a foreign checkpoint is still refused.

Nothing happens at import: the allow-list is process-wide state of torch, so
the code that reads checkpoints sets it up explicitly with
:func:`register_safe_globals` (the Runner builder of ``tools/train.py`` and
``tools/test.py`` in :mod:`ussl_mm.apis.run`, ``init_segmentor``, the
t-SNE and overlay tools). A script that builds its own ``Runner`` and
resumes calls it once first.
"""
import numpy as np
import torch


def _history_buffer_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    mmengine pickles ``HistoryBuffer._statistics_methods`` (functions such as
    ``HistoryBuffer.mean``) by reference, which protocol 2 encodes as
    ``getattr(HistoryBuffer, 'mean')``. Only that form is allowed.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if (obj is HistoryBuffer and isinstance(name, str)
            and not name.startswith('_')
            and callable(getattr(HistoryBuffer, name, None))):
        return getattr(HistoryBuffer, name)
    raise RuntimeError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'ussl_mm only allow-lists the HistoryBuffer statistics methods that '
        'mmengine writes. If you trust this file, load it with '
        'torch.load(..., weights_only=False).')


def _mmengine_checkpoint_globals():
    """Globals that mmengine 0.10.7 puts into a checkpoint."""
    from mmengine.logging.history_buffer import HistoryBuffer

    safe = [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    for dtype_cls in (np.float64, np.float32, np.float16, np.int64, np.int32,
                      np.int16, np.int8, np.uint8, np.bool_):
        safe.append(type(np.dtype(dtype_cls)))
    return safe


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint globals for ``torch.load``.

    Idempotent (torch keeps the allow-list as a set). A no-op on torch
    versions without ``torch.serialization.add_safe_globals`` (< 2.4), where
    ``weights_only`` was not the default anyway.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return
    add(_mmengine_checkpoint_globals())
