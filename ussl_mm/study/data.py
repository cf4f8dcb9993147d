"""Make sure a study's data and label-fraction splits exist."""
import os.path as osp
from typing import Callable

from .spec import StudySpec


def prepare_study_data(spec: StudySpec, log: Callable[[str], None] = print):
    """Generate the synthetic default set when the data root is absent and
    write the nested label-fraction splits when they are missing.

    Args:
        spec (StudySpec): The study.
        log (callable): Progress printer. Defaults to ``print``.

    Raises:
        FileNotFoundError: The data root is absent and the study does not
            ask for synthetic data.
    """
    root = spec.data_root
    if not osp.isdir(osp.join(root, 'img_dir')):
        if not spec.synthetic_if_absent:
            raise FileNotFoundError(
                f'Data root {root} has no img_dir/. Put your data in the '
                'layout img_dir/{train,val,test} + ann_dir/{train,val,test} '
                '(see README "Your own data"), or set '
                'study.synthetic_if_absent to generate the synthetic default.')
        from ussl_mm.datasets.synthetic import generate_knee_us
        log(f'[study] {root} is absent: generating the synthetic knee '
            f'ultrasound set ({spec.synthetic_if_absent})')
        generate_knee_us(root, **spec.synthetic_if_absent)

    from ussl_mm.datasets.splits import ensure_fraction_splits
    ensure_fraction_splits(
        root, fractions=spec.label_fractions, seed=spec.split_seed, log=log)
