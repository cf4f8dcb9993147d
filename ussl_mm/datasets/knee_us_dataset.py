"""Knee-ultrasound (suprapatellar recess effusion) segmentation data set."""
from mmseg.registry import DATASETS

from .us_seg_dataset import USSegDataset


@DATASETS.register_module()
class KneeUSDataset(USSegDataset):
    """Suprapatellar knee-recess effusion in B-mode ultrasound.

    Layout ``data/knee_us/{img_dir,ann_dir}/{train,val,test}/*.png``; images
    are 8-bit gray or colour PNG, masks are PNG with 0 = background and
    1 = effusion. ``label_fraction=5`` trains on
    ``data/knee_us/splits/train_5pct.txt``. See :class:`USSegDataset` for the
    arguments and the checks.
    """
    METAINFO = dict(
        classes=('background', 'effusion'),
        palette=[[0, 0, 0], [255, 200, 0]])
