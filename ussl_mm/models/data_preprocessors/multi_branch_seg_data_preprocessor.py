# Copyright (c) ussl_mm contributors. All rights reserved.
"""Normalise, pad and stack each branch of a semi-supervised batch."""
from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class MultiBranchSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` applied to each branch of a
    multi-branch batch (mmdet's ``MultiBranchDataPreprocessor`` design).

    A training batch from the :class:`~ussl_mm.datasets.transforms.MultiBranch`
    transform is ``{'inputs': {branch: [tensor | None, ...]},
    'data_samples': {branch: [sample | None, ...]}}``: each sample fills the
    branches of its source (a labelled image ``'sup'``, an unlabelled one
    ``'unsup_teacher'`` and ``'unsup_student'``) and leaves the others None.
    This drops the Nones and runs the parent on each non-empty branch, so
    that every branch gets the same mean/std, channel order and padding.
    Any other batch (validation, test, a plain training batch) goes to the
    parent unchanged.

    It is a subclass rather than a wrapper so that it takes the parent's
    arguments: the dataset bases' top-level ``data_preprocessor`` (and
    ``--cfg-options data_preprocessor.mean=...``) reach it unchanged, with
    only ``type`` replaced.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess a batch; see the class docstring."""
        if not isinstance(data.get('inputs'), dict):
            return super().forward(data, training)
        inputs, samples = data['inputs'], data.get('data_samples') or {}
        out_inputs, out_samples = {}, {}
        for branch, items in inputs.items():
            keep = [i for i, x in enumerate(items) if x is not None]
            if not keep:
                continue
            branch_samples = samples.get(branch)
            if branch_samples is None:
                raise KeyError(
                    f'MultiBranchSegDataPreProcessor: branch {branch!r} has '
                    'inputs but no data_samples; the MultiBranch transform '
                    'packs both.')
            sub = super().forward(
                dict(inputs=[items[i] for i in keep],
                     data_samples=[branch_samples[i] for i in keep]),
                training)
            out_inputs[branch] = sub['inputs']
            out_samples[branch] = sub['data_samples']
        return dict(inputs=out_inputs, data_samples=out_samples)
