"""The specification of a label-efficiency study."""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mmengine.config import Config


@dataclass
class Initialisation:
    """One way of initialising the segmentation model.

    Args:
        name (str): Row label in the results, e.g. ``'scratch'``.
        config (str): Fine-tuning config (mmseg scope).
        pretrain (str, optional): Name of the pretraining whose checkpoint
            feeds the config's ``PretrainedEncoderHook``. None for random
            initialisation. Defaults to None.
        cfg_options (dict): Overrides merged into the fine-tuning config of
            this initialisation only, e.g. ``dict(custom_hooks=[])`` to use a
            pretrained config from scratch, or
            ``{'custom_hooks.0.mode': 'encoder+decoder'}`` for a transfer
            variant. Defaults to an empty dict.
    """
    name: str
    config: str
    pretrain: Optional[str] = None
    cfg_options: Dict = field(default_factory=dict)


@dataclass
class Pretraining:
    """A self-supervised pretraining run (mmpretrain scope).

    Args:
        name (str): Name the initialisations refer to.
        config (str): Pretraining config.
        cfg_options (dict): Overrides merged into the config.
    """
    name: str
    config: str
    cfg_options: Dict = field(default_factory=dict)


@dataclass
class StudySpec:
    """What a label-efficiency study runs: fractions x seeds x inits.

    Built from a study config (see ``configs/study/``) by :meth:`fromfile`.
    """
    name: str
    work_dir: str
    data_root: str
    pretrainings: List[Pretraining]
    initialisations: List[Initialisation]
    label_fractions: List[float]
    seeds: List[int]
    baseline: str
    amp: bool = True
    synthetic_if_absent: Optional[Dict] = None
    split_seed: int = 0
    finetune_cfg_options: Dict = field(default_factory=dict)
    report_metrics: List[str] = field(
        default_factory=lambda: ['mIoU', 'mDice'])
    primary_metric: str = 'mDice'

    @classmethod
    def fromfile(cls, path: str, overrides: Optional[dict] = None):
        """Read a study config (an mmengine config with a ``study`` dict)."""
        cfg = Config.fromfile(path)
        if overrides:
            cfg.merge_from_dict(overrides)
        if 'study' not in cfg:
            raise KeyError(
                f'{path} has no `study = dict(...)`; see '
                'configs/study/quickstart_knee_us.py for the format.')
        s = cfg.study.to_dict()
        pre = [
            Pretraining(name=k, **v)
            for k, v in (s.pop('pretrain', None) or {}).items()
        ]
        inits = [
            Initialisation(name=k, **v)
            for k, v in s.pop('initialisations').items()
        ]
        spec = cls(pretrainings=pre, initialisations=inits, **s)
        spec.validate(path)
        return spec

    def validate(self, path: str = '<study>'):
        names = {p.name for p in self.pretrainings}
        for init in self.initialisations:
            if init.pretrain is not None and init.pretrain not in names:
                raise ValueError(
                    f'{path}: initialisation {init.name!r} refers to '
                    f'pretraining {init.pretrain!r}, but only {sorted(names)} '
                    'are defined in study.pretrain.')
            if not osp.isfile(init.config):
                raise FileNotFoundError(
                    f'{path}: config of initialisation {init.name!r} not '
                    f'found: {init.config}')
        for p in self.pretrainings:
            if not osp.isfile(p.config):
                raise FileNotFoundError(
                    f'{path}: config of pretraining {p.name!r} not found: '
                    f'{p.config}')
        if self.baseline not in {i.name for i in self.initialisations}:
            raise ValueError(
                f'{path}: baseline {self.baseline!r} is not one of the '
                f'initialisations {[i.name for i in self.initialisations]}')
        for f in self.label_fractions:
            if not 0 < f <= 100:
                raise ValueError(
                    f'{path}: label fractions are percentages in (0, 100], '
                    f'got {f}')
        if not self.seeds:
            raise ValueError(f'{path}: study.seeds is empty')
