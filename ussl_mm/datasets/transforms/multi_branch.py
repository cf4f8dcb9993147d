# Copyright (c) ussl_mm contributors. All rights reserved.
"""Pack one sample into the branches of a semi-supervised batch."""
import copy
from typing import Dict, List, Optional, Sequence

from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.builder import TRANSFORMS

DEFAULT_BRANCHES = ('sup', 'unsup_teacher', 'unsup_student')


@TRANSFORMS.register_module()
class MultiBranch(BaseTransform):
    """Run one pipeline per branch on copies of a sample and pack them
    together (mmdet's ``MultiBranch`` design, for mmseg; mmdet is not in our
    stack).

    Every sample of a semi-supervised batch carries every branch of
    ``branch_field``; the branches this sample does not feed are None and
    :class:`~ussl_mm.models.data_preprocessors.MultiBranchSegDataPreProcessor`
    drops them. A labelled pipeline ends with ``MultiBranch(sup=[Pack])``,
    an unlabelled one with ``MultiBranch(unsup_teacher=[Pack],
    unsup_student=[intensity transforms..., Pack])``. Transforms before
    ``MultiBranch`` (loading, rescale, crop, flip) are shared, so the weak
    and strong views cover the same pixels and a teacher's pseudo-label
    needs no projection.

    Required Keys: whatever the branch pipelines need.
    Modified Keys: none (each branch works on a deep copy).
    Added Keys: inputs (dict, branch -> Tensor or None), data_samples
    (dict, branch -> SegDataSample or None); every other key is dropped.

    Args:
        branch_field (Sequence[str]): Every branch of the batch. Defaults to
            ('sup', 'unsup_teacher', 'unsup_student').
        **branch_pipelines (list[dict]): Branch name -> its pipeline, which
            must end with a packing transform (``PackSegInputs``).
    """

    def __init__(self,
                 branch_field: Sequence[str] = DEFAULT_BRANCHES,
                 **branch_pipelines: List[dict]) -> None:
        self.branch_field = tuple(branch_field)
        unknown = sorted(set(branch_pipelines) - set(self.branch_field))
        if unknown:
            raise ValueError(
                f'MultiBranch: pipeline(s) for {unknown}, which are not in '
                f'branch_field {list(self.branch_field)}. Add them to '
                'branch_field or fix the name.')
        if not branch_pipelines:
            raise ValueError('MultiBranch: give at least one branch '
                             f'pipeline, e.g. sup=[dict(type=\'PackSegInputs'
                             '\')]; branches: '
                             f'{list(self.branch_field)}.')
        self.branch_pipelines: Dict[str, Compose] = {
            name: Compose(pipeline)
            for name, pipeline in branch_pipelines.items()
        }

    def transform(self, results: dict) -> Optional[dict]:
        packed = {}
        for name, pipeline in self.branch_pipelines.items():
            out = pipeline(copy.deepcopy(results))
            if out is None:
                return None
            if not isinstance(out, dict) or 'inputs' not in out:
                raise ValueError(
                    f'MultiBranch: the {name!r} pipeline must end with a '
                    'packing transform (PackSegInputs); it returned keys '
                    f'{sorted(out) if isinstance(out, dict) else out}.')
            packed[name] = out
        return dict(
            inputs={
                b: packed[b]['inputs'] if b in packed else None
                for b in self.branch_field
            },
            data_samples={
                b: packed[b]['data_samples'] if b in packed else None
                for b in self.branch_field
            })

    def __repr__(self) -> str:
        branches = ', '.join(f'{k}={v!r}'
                             for k, v in self.branch_pipelines.items())
        return (f'{self.__class__.__name__}(branch_field='
                f'{list(self.branch_field)}, {branches})')
