"""The specification of a label-efficiency study, read from a study config
(``configs/study/*.py``) and validated key by key.

A study config holds one ``study = dict(...)``; every key is listed in
:data:`STUDY_KEYS` (and ``docs/study.md``). Unknown keys are refused with
the list of known ones, so that a misspelt option never silently does
nothing.
"""
import difflib
import os.path as osp
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

#: Initialisation kinds: an mmseg fine-tuning config trained by
#: ``tools/train.py``, or a row produced by an external adapter.
INIT_KINDS = ('mmseg', 'nnunet')


class StudyConfigError(ValueError):
    """A study config that cannot be run as written."""


def _check_keys(where: str, given: Dict, known: Dict[str, str]) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        hints = [
            f'{k!r} -> {m[0]!r}?' for k in unknown
            for m in [difflib.get_close_matches(k, list(known), n=1)] if m
        ]
        listing = '\n'.join(f'  {k}: {v}' for k, v in known.items())
        raise StudyConfigError(
            f'{where}: unknown key(s) {unknown}'
            + (f' (did you mean {", ".join(hints)})' if hints else '')
            + f'. Known keys:\n{listing}')


@dataclass
class Schedule:
    """How long each fine-tuning run trains, and which checkpoint is tested.

    The number of iterations of a run is
    ``min(max_iters, max(min_iters, ceil(epochs * n_train / batch_size)))``
    where ``n_train`` is the number of training images of its label fraction
    and ``batch_size`` the config's. Every label fraction thus gets the same
    number of passes over its data (and at least ``min_iters`` updates).
    Validation runs ``num_vals`` times per run; the checkpoint tested is the
    best one on validation (mmengine ``CheckpointHook(save_best=...)``).
    ``epochs=None`` keeps each config's own ``max_iters``.

    Args:
        epochs (float, optional): Passes over the run's training images.
            Defaults to None (the config's schedule).
        min_iters (int): Floor in iterations. Defaults to 0.
        max_iters (int, optional): Cap in iterations. Defaults to None.
        num_vals (int): Validations per run (evenly spaced, the last at the
            end). Defaults to 5.
        save_best (str, optional): Validation metric of the tested
            checkpoint; None tests the last checkpoint. Defaults to 'mDice'.
        rule (str): 'greater' or 'less'. Defaults to 'greater'.
    """
    epochs: Optional[float] = None
    min_iters: int = 0
    max_iters: Optional[int] = None
    num_vals: int = 5
    save_best: Optional[str] = 'mDice'
    rule: str = 'greater'


@dataclass
class PretrainData:
    """The unlabelled-data scaling axis.

    Each size is a percentage of the unlabelled pool (the pretraining
    config's own images). Subsets are nested (every image of the 25 % subset
    is in the 50 % one) and drawn with ``seed``. Sizes above 100 take their
    extra images from ``extra_roots`` (folders, searched recursively).

    Args:
        sizes (list[float]): Percentages. Defaults to [100] (no axis).
        seed (int): Subset seed. Defaults to 0.
        extra_roots (list[str]): Folders of extra unlabelled images for
            sizes above 100. Defaults to [].
    """
    sizes: List[float] = field(default_factory=lambda: [100.0])
    seed: int = 0
    extra_roots: List[str] = field(default_factory=list)


@dataclass
class Pretraining:
    """A self-supervised pretraining run (mmpretrain scope).

    Args:
        name (str): Name the initialisations refer to.
        config (str): Pretraining config.
        cfg_options (dict): ``--cfg-options`` of this pretraining.
            Defaults to {}.
        data_stats (bool): Normalise with the study data's own mean/std
            (when ``study.data_stats``). False keeps the config's (e.g. a
            stock recipe's ImageNet values). Defaults to True.
    """
    name: str
    config: str
    cfg_options: Dict = field(default_factory=dict)
    data_stats: bool = True


@dataclass
class Initialisation:
    """One row of the study: a way to initialise (and build) the segmentor.

    Args:
        name (str): Row label, e.g. ``'scratch'``.
        config (str, optional): Fine-tuning config (mmseg scope); required
            for ``kind='mmseg'``.
        kind (str): ``'mmseg'`` (trained by ``tools/train.py``) or
            ``'nnunet'`` (an nnU-Net 2D row produced by
            :func:`ussl_mm.nnunet.run_study_row`). Defaults to 'mmseg'.
        pretrain (str, optional): Name of the pretraining whose checkpoint
            becomes ``pretrained_encoder.checkpoint``. None for a row
            without pretraining. Defaults to None.
        baseline (str, optional): The row's own from-scratch counterpart
            (same segmentor), for "Δ vs own scratch". Defaults to the
            study's ``baseline`` for pretrained rows.
        cfg_options (dict): ``--cfg-options`` of this row only, e.g.
            ``dict(pretrained_encoder=None)`` for a pretrained config run
            from scratch. Defaults to {}.
        options (dict): Keyword arguments of the external adapter
            (``kind='nnunet'``). Defaults to {}.
        data_stats (bool): See :class:`Pretraining`. Defaults to True.
        schedule (dict, optional): Keys of :class:`Schedule` that differ
            for this row (e.g. a U-Net that needs more iterations:
            ``dict(min_iters=500)``). Defaults to None.
        amp (bool, optional): ``--amp`` for this row's training; None
            follows ``study.amp`` (e.g. ``amp=False``: the fp32 row of a
            bf16-vs-fp32 ablation). Defaults to None.
    """
    name: str
    config: Optional[str] = None
    kind: str = 'mmseg'
    pretrain: Optional[str] = None
    baseline: Optional[str] = None
    cfg_options: Dict = field(default_factory=dict)
    options: Dict = field(default_factory=dict)
    data_stats: bool = True
    schedule: Optional[Dict] = None
    amp: Optional[bool] = None


@dataclass
class TSNE:
    """t-SNE of the pretrained vs the randomly initialised encoder in the
    report.

    Args:
        enabled (bool): Defaults to True.
        split (str): Split of the images. Defaults to 'test'.
        max_images (int, optional): At most this many images. Defaults to
            None (all).
        perplexity (float): Defaults to 30.
    """
    enabled: bool = True
    split: str = 'test'
    max_images: Optional[int] = None
    perplexity: float = 30.0


#: Every key of ``study = dict(...)`` and what it is.
STUDY_KEYS = {
    'name': 'name of the study (report title)',
    'work_dir': 'folder of every run and the report',
    'data_root': 'data set root (img_dir/, ann_dir/, splits/)',
    'synthetic_if_absent': 'dict of generate_knee_us() arguments to '
    'generate the synthetic set when data_root/img_dir is absent, or None',
    'split_seed': 'seed of the nested label-fraction splits',
    'data_stats': 'normalise every run with the gray mean/std of data_root '
    '(computed once, logged as cfg-options)',
    'pretrain': 'dict name -> dict(config, cfg_options, data_stats)',
    'pretrain_data': 'dict(sizes=[% of unlabelled pool], seed, '
    'extra_roots): the unlabelled-data scaling axis',
    'initialisations': 'dict name -> dict(config, kind, pretrain, baseline, '
    'cfg_options, options, data_stats)',
    'baseline': 'default from-scratch row that pretrained rows are '
    'compared with',
    'best_supervised': 'the strongest row without pretraining; every row '
    'is also compared with it',
    'label_fractions': 'percentages of the training labels',
    'seeds': 'fine-tuning seeds',
    'amp': 'mixed precision (--amp)',
    'schedule': 'dict(epochs, min_iters, max_iters, num_vals, save_best, '
    'rule) of every fine-tuning run',
    'finetune_cfg_options': '--cfg-options of every fine-tuning run',
    'report_metrics': 'dataset-level metrics in the tables',
    'primary_metric': 'metric of the differences, statistics and plots',
    'practical_threshold': 'differences smaller than this (in '
    'primary_metric points) are "no practical difference"',
    'comparisons': 'list of (row, reference row) pairs compared head to '
    'head in the report, e.g. [("densecl", "stock_stock")]',
    'tsne': 'dict(enabled, split, max_images, perplexity)',
    'clinical': 'test every run with ClinicalMetric too (tools/test.py '
    '--clinical): region size and mean intensity errors',
    'extra_test_sets': 'dict name -> data root: also test every fine-tuned '
    'model on the test split of each of these data sets (another scanner, '
    'site or generator), reported in a section of its own',
}
#: Every key of ``study.initialisations.<name>``.
INIT_KEYS = {
    'config': 'fine-tuning config (kind mmseg)',
    'kind': f'one of {INIT_KINDS}',
    'pretrain': 'name of a study.pretrain entry, or None',
    'baseline': 'its own from-scratch row (same segmentor)',
    'cfg_options': '--cfg-options of this row',
    'options': "keyword arguments of the external adapter (kind='nnunet')",
    'data_stats': "normalise with the data's own mean/std (False: keep the "
    "config's)",
    'schedule': 'keys of study.schedule that differ for this row',
    'amp': '--amp for this row (None: study.amp)',
}
#: Every key of ``study.pretrain.<name>``.
PRETRAIN_KEYS = {
    'config': 'pretraining config',
    'cfg_options': '--cfg-options of this pretraining',
    'data_stats': "normalise with the data's own mean/std (False: keep the "
    "config's)",
}


@dataclass
class StudySpec:
    """What a label-efficiency study runs: fractions x seeds x
    initialisations (x pretraining-set sizes).

    Built from a study config by :meth:`fromfile`; see ``docs/study.md`` and
    :data:`STUDY_KEYS` for every key.
    """
    name: str
    work_dir: str
    data_root: str
    pretrainings: List[Pretraining]
    initialisations: List[Initialisation]
    label_fractions: List[float]
    seeds: List[int]
    baseline: str
    best_supervised: str
    amp: bool = True
    synthetic_if_absent: Optional[Dict] = None
    split_seed: int = 0
    data_stats: bool = True
    pretrain_data: PretrainData = field(default_factory=PretrainData)
    schedule: Schedule = field(default_factory=Schedule)
    finetune_cfg_options: Dict = field(default_factory=dict)
    report_metrics: List[str] = field(
        default_factory=lambda: ['mIoU', 'mDice'])
    primary_metric: str = 'mDice'
    practical_threshold: float = 1.0
    comparisons: List[Tuple[str, str]] = field(default_factory=list)
    tsne: TSNE = field(default_factory=TSNE)
    clinical: bool = True
    extra_test_sets: Dict[str, str] = field(default_factory=dict)
    source: str = '<study>'

    @classmethod
    def fromfile(cls, path: str,
                 overrides: Optional[Dict[str, Any]] = None) -> 'StudySpec':
        """Read and validate a study config.

        Args:
            path (str): The study config.
            overrides (dict, optional): ``--cfg-options`` of
                ``tools/study.py`` (keys start with ``study.``).

        Returns:
            StudySpec: The validated spec.

        Raises:
            StudyConfigError: Unknown or missing keys, or inconsistent
                values; the message names the key and the fix.
            FileNotFoundError: A config of the study does not exist.
        """
        if not osp.isfile(path):
            raise FileNotFoundError(f'Study config not found: {path}')
        cfg = Config.fromfile(path)
        if overrides:
            cfg.merge_from_dict(overrides)
        if 'study' not in cfg:
            raise StudyConfigError(
                f'{path} has no `study = dict(...)`; see '
                'configs/study/quickstart_knee_us.py and docs/study.md for '
                'the format.')
        return cls.from_dict(cfg.study.to_dict(), path)

    @classmethod
    def from_dict(cls, s: Dict[str, Any], path: str = '<study>'
                  ) -> 'StudySpec':
        """Build from the ``study`` dict (see :meth:`fromfile`)."""
        s = dict(s)
        _check_keys(f'{path}: study', s, STUDY_KEYS)
        required = ('name', 'work_dir', 'data_root', 'initialisations',
                    'label_fractions', 'seeds', 'baseline', 'best_supervised')
        missing = [k for k in required if s.get(k) is None]
        if missing:
            raise StudyConfigError(
                f'{path}: study is missing {missing}. '
                + ' '.join(f'{k}: {STUDY_KEYS[k]}.' for k in missing))
        pre = []
        for name, v in (s.pop('pretrain', None) or {}).items():
            if not isinstance(v, dict):
                raise StudyConfigError(
                    f'{path}: study.pretrain.{name} must be a dict(config=..'
                    f'.), got {v!r}')
            _check_keys(f'{path}: study.pretrain.{name}', v, PRETRAIN_KEYS)
            pre.append(Pretraining(name=name, **v))
        inits = []
        for name, v in s.pop('initialisations').items():
            if not isinstance(v, dict):
                raise StudyConfigError(
                    f'{path}: study.initialisations.{name} must be a '
                    f'dict(config=...), got {v!r}')
            _check_keys(f'{path}: study.initialisations.{name}', v,
                        INIT_KEYS)
            if v.get('schedule') is not None:
                if not isinstance(v['schedule'], dict):
                    raise StudyConfigError(
                        f'{path}: study.initialisations.{name}.schedule must '
                        f'be a dict, got {v["schedule"]!r}')
                _check_keys(
                    f'{path}: study.initialisations.{name}.schedule',
                    v['schedule'],
                    {f.name: 'see Schedule' for f in fields(Schedule)})
            inits.append(Initialisation(name=name, **v))
        sub = dict(schedule=Schedule, pretrain_data=PretrainData, tsne=TSNE)
        for key, klass in sub.items():
            if s.get(key) is None:
                s.pop(key, None)
                continue
            if not isinstance(s[key], dict):
                raise StudyConfigError(
                    f'{path}: study.{key} must be a dict, got {s[key]!r}')
            known = {f.name: f'see {klass.__name__}' for f in fields(klass)}
            _check_keys(f'{path}: study.{key}', s[key], known)
            s[key] = klass(**s[key])
        s['label_fractions'] = [float(f) for f in s['label_fractions']]
        s['seeds'] = [int(x) for x in s['seeds']]
        spec = cls(pretrainings=pre, initialisations=inits, source=path, **s)
        spec.validate()
        return spec

    # ------------------------------------------------------------ validation
    def init(self, name: str) -> Initialisation:
        """The initialisation called ``name``."""
        for i in self.initialisations:
            if i.name == name:
                return i
        raise KeyError(name)

    def schedule_of(self, init: Initialisation) -> Schedule:
        """The study's schedule with the row's own ``schedule`` keys."""
        return Schedule(**{**asdict(self.schedule), **(init.schedule or {})})

    def own_baseline(self, init: Initialisation) -> Optional[str]:
        """The from-scratch row ``init`` is compared with (None for a row
        that is itself a baseline)."""
        if init.baseline is not None:
            return init.baseline
        if init.pretrain is not None:
            return self.baseline
        return None

    def validate(self) -> None:
        """Check names, files and values.

        Raises:
            StudyConfigError: With the key and the fix.
            FileNotFoundError: A config does not exist.
        """
        path = self.source
        names = [i.name for i in self.initialisations]
        if not names:
            raise StudyConfigError(f'{path}: study.initialisations is empty')
        pre_names = {p.name for p in self.pretrainings}
        for init in self.initialisations:
            where = f'{path}: study.initialisations.{init.name}'
            if init.kind not in INIT_KINDS:
                raise StudyConfigError(
                    f'{where}.kind={init.kind!r}; expected one of '
                    f'{INIT_KINDS}.')
            if init.kind == 'mmseg':
                if not init.config:
                    raise StudyConfigError(
                        f'{where} needs config=<fine-tuning config>.')
                if not osp.isfile(init.config):
                    raise FileNotFoundError(
                        f'{where}: config not found: {init.config}')
                if init.options:
                    raise StudyConfigError(
                        f'{where}: options={init.options} is for external '
                        "adapters (kind='nnunet'); an mmseg row takes "
                        'cfg_options.')
            else:
                if init.pretrain is not None or init.cfg_options:
                    raise StudyConfigError(
                        f"{where}: kind={init.kind!r} takes neither pretrain "
                        'nor cfg_options (its options go in options=dict()).')
            if init.pretrain is not None and init.pretrain not in pre_names:
                raise StudyConfigError(
                    f'{where} refers to pretraining {init.pretrain!r}, but '
                    f'only {sorted(pre_names)} are defined in study.pretrain.')
            if init.baseline is not None and init.baseline not in names:
                raise StudyConfigError(
                    f'{where}.baseline={init.baseline!r} is not one of the '
                    f'initialisations {names}.')
            if init.pretrain is not None and 'pretrained_encoder' in \
                    init.cfg_options:
                raise StudyConfigError(
                    f'{where}: pretrain={init.pretrain!r} together with '
                    f'cfg_options pretrained_encoder='
                    f'{init.cfg_options["pretrained_encoder"]!r}; a row is '
                    'either pretrained or from scratch. Remove one.')
            if 'pretrained_encoder.checkpoint' in init.cfg_options:
                raise StudyConfigError(
                    f'{where}: set pretrain=<name> instead of '
                    'cfg_options pretrained_encoder.checkpoint; the study '
                    'wires the checkpoint of its own pretraining.')
        for p in self.pretrainings:
            if not osp.isfile(p.config):
                raise FileNotFoundError(
                    f'{path}: config of pretraining {p.name!r} not found: '
                    f'{p.config}')
        for key in ('baseline', 'best_supervised'):
            value = getattr(self, key)
            if value not in names:
                raise StudyConfigError(
                    f'{path}: study.{key}={value!r} is not one of the '
                    f'initialisations {names}.')
            if self.init(value).pretrain is not None:
                raise StudyConfigError(
                    f'{path}: study.{key}={value!r} uses pretraining '
                    f'{self.init(value).pretrain!r}; it must be a row '
                    'without pretraining.')
        pairs = []
        for pair in self.comparisons:
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or any(n not in names for n in pair) or
                    pair[0] == pair[1]):
                raise StudyConfigError(
                    f'{path}: study.comparisons must be a list of (row, '
                    f'reference) pairs of two different initialisations '
                    f'{names}; got {pair!r}.')
            pairs.append(tuple(pair))
        self.comparisons = pairs
        if not self.label_fractions:
            raise StudyConfigError(f'{path}: study.label_fractions is empty')
        for f in self.label_fractions:
            if not 0 < f <= 100:
                raise StudyConfigError(
                    f'{path}: label fractions are percentages in (0, 100], '
                    f'got {f:g}')
        if not self.seeds:
            raise StudyConfigError(f'{path}: study.seeds is empty')
        if not isinstance(self.extra_test_sets, dict):
            raise StudyConfigError(
                f'{path}: study.extra_test_sets must be a dict name -> data '
                f'root, got {self.extra_test_sets!r}.')
        for name, root in self.extra_test_sets.items():
            if not re.fullmatch(r'[A-Za-z0-9_.-]+', str(name)) or \
                    not isinstance(root, str):
                raise StudyConfigError(
                    f'{path}: study.extra_test_sets.{name}={root!r}: give a '
                    'name of letters, digits, _ . - (it names the test '
                    'folders) and a data root string.')
            if osp.normpath(root) == osp.normpath(self.data_root):
                raise StudyConfigError(
                    f'{path}: study.extra_test_sets.{name} is study.data_root '
                    f'itself ({root}); every run is tested on it already.')
        if self.primary_metric not in self.report_metrics:
            raise StudyConfigError(
                f'{path}: study.primary_metric={self.primary_metric!r} must '
                f'be one of study.report_metrics={self.report_metrics}.')
        if self.practical_threshold < 0:
            raise StudyConfigError(
                f'{path}: study.practical_threshold must be >= 0, got '
                f'{self.practical_threshold}.')
        for where, sch in [('study.schedule', self.schedule)] + [
                (f'study.initialisations.{i.name}.schedule',
                 self.schedule_of(i)) for i in self.initialisations
                if i.schedule]:
            self._validate_schedule(f'{path}: {where}', sch)
        pd = self.pretrain_data
        if not pd.sizes or any(x <= 0 for x in pd.sizes):
            raise StudyConfigError(
                f'{path}: study.pretrain_data.sizes must be percentages > 0 '
                f'of the unlabelled pool, got {pd.sizes}.')
        if max(pd.sizes) > 100 and not pd.extra_roots:
            raise StudyConfigError(
                f'{path}: study.pretrain_data.sizes {pd.sizes} go above 100 '
                '% of the unlabelled pool; give the extra images in '
                'study.pretrain_data.extra_roots=[folder, ...].')
        for root in pd.extra_roots:
            if not osp.isdir(root):
                raise FileNotFoundError(
                    f'{path}: study.pretrain_data.extra_roots: no such '
                    f'folder {root}')

    @staticmethod
    def _validate_schedule(where: str, sch: Schedule) -> None:
        if sch.epochs is not None and sch.epochs <= 0:
            raise StudyConfigError(
                f'{where}.epochs must be > 0, got {sch.epochs}.')
        if sch.max_iters is not None and sch.max_iters < max(
                sch.min_iters, 1):
            raise StudyConfigError(
                f'{where}.max_iters={sch.max_iters} is below '
                f'min_iters={sch.min_iters}.')
        if sch.num_vals < 1:
            raise StudyConfigError(
                f'{where}.num_vals must be >= 1, got {sch.num_vals}.')
        if sch.rule not in ('greater', 'less'):
            raise StudyConfigError(
                f"{where}.rule must be 'greater' or 'less', got "
                f'{sch.rule!r}.')
