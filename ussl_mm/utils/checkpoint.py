"""Strict checkpoint loading for evaluation."""
from typing import Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model


def load_checkpoint_strict(model: nn.Module,
                           filename: str,
                           map_location: Optional[str] = 'cpu') -> dict:
    """Load a full model checkpoint and refuse any key mismatch.

    mmengine's ``load_from`` path loads with ``strict=False`` and only logs
    missing/unexpected keys, so evaluating a checkpoint of another
    architecture silently reports the metric of a partly random model. For
    ``tools/test.py`` every key must match.

    Args:
        model (nn.Module): The model to load into (wrappers are unwrapped).
        filename (str): Path of the checkpoint.
        map_location (str, optional): Passed to ``torch.load``.
            Defaults to ``'cpu'``.

    Returns:
        dict: The loaded checkpoint (with ``meta``).

    Raises:
        RuntimeError: If keys are missing, unexpected or of another shape.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
        f'{tuple(own[k].shape)}' for k in set(own) & set(state_dict)
        if hasattr(state_dict[k], 'shape')
        and tuple(state_dict[k].shape) != tuple(own[k].shape))
    if missing or unexpected or mismatched:
        raise RuntimeError(
            f'Checkpoint {filename} does not match the model built from the '
            f'config: {len(missing)} missing, {len(unexpected)} unexpected, '
            f'{len(mismatched)} shape-mismatched keys (model has {len(own)} '
            f'keys). First missing: {missing[:5]}; first unexpected: '
            f'{unexpected[:5]}; mismatched: {mismatched[:5]}. Check that the '
            'checkpoint was trained with this config (same backbone depth, '
            'stem and decode head); a pretraining checkpoint must be '
            'fine-tuned first (see PretrainedEncoderHook).')
    _load_checkpoint_to_model(model, checkpoint, strict=True)
    return checkpoint
