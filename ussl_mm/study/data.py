"""A study's data: the data set and its splits, the data set's own
normalisation statistics, and nested subsets of the unlabelled pool for the
unlabelled-data scaling axis."""
import copy
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from ..utils import data_preprocessor_key
from ..utils.atomic import atomic_write_text
from .spec import StudySpec


def prepare_study_data(spec: StudySpec,
                       log: Callable[[str], None] = print) -> None:
    """Generate the synthetic default set when the data root is absent (and
    the study asks for it) and write the nested label-fraction splits when
    they are missing.

    Args:
        spec (StudySpec): The study.
        log (callable): Progress printer. Defaults to ``print``.

    Raises:
        FileNotFoundError: The data root has no ``img_dir/`` and the study
            does not ask for synthetic data.
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


# ------------------------------------------------------- dataset statistics
#: Dataset arguments that change which files and labels the statistics see.
_STATS_DATASET_KEYS = ('mask_values', 'img_suffix', 'seg_map_suffix',
                       'ignore_index')


def study_data_stats(spec: StudySpec,
                     log: Callable[[str], None] = print,
                     dataset_cfg: Optional[Dict] = None) -> Dict:
    """The gray-level statistics of the study's data (train split), computed
    once by :func:`ussl_mm.datasets.stats.compute_dataset_stats` and cached in
    ``<work_dir>/dataset_stats.json``.

    Args:
        spec (StudySpec): The study.
        log (callable): Progress printer. Defaults to ``print``.
        dataset_cfg (dict, optional): The fine-tuning train dataset, whose
            ``mask_values``, ``img_suffix``, ``seg_map_suffix`` and
            ``ignore_index`` the scan uses, so that it reads the files and
            labels the runs read (e.g. 0/255 masks with ``mask_values``).
            Defaults to None (the scan's defaults).

    Returns:
        dict: At least ``mean`` and ``std`` (gray levels, 0-255), plus
        whatever the statistics function reports.
    """
    cache = osp.join(spec.work_dir, 'dataset_stats.json')
    if osp.isfile(cache):
        with open(cache, encoding='utf-8') as f:
            stats = json.load(f)
        if stats.get('data_root') == osp.abspath(spec.data_root):
            return stats
    from ussl_mm.datasets.stats import compute_dataset_stats
    log(f'[study] computing the gray mean/std of {spec.data_root}')
    kwargs = {
        k: dataset_cfg[k]
        for k in _STATS_DATASET_KEYS
        if dataset_cfg is not None and dataset_cfg.get(k) is not None
    }
    stats = dict(compute_dataset_stats(spec.data_root, **kwargs))
    for key in ('mean', 'std'):
        if key not in stats:
            raise KeyError(
                f'compute_dataset_stats({spec.data_root!r}) returned no '
                f'{key!r} (keys: {sorted(stats)}).')
    stats['data_root'] = osp.abspath(spec.data_root)
    atomic_write_text(cache,
                      json.dumps(stats, indent=1, default=_json_default))
    return stats


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _as_float(value) -> float:
    arr = np.asarray(value, dtype=np.float64).ravel()
    if arr.size == 0 or not np.allclose(arr, arr[0]):
        raise ValueError(
            f'expected one gray value (or equal values per channel), got '
            f'{value!r}')
    return round(float(arr[0]), 2)


def normalisation_options(cfg: Config, stats: Dict, config: str) -> Dict:
    """``--cfg-options`` that set the config's normalisation to the data's
    own gray mean/std, one value per channel of the data preprocessor that
    the Runner uses (``model.data_preprocessor`` when the model has one,
    else the top-level ``data_preprocessor`` that mmengine merges in).

    Args:
        cfg (Config): The config (to read the number of channels).
        stats (dict): From :func:`study_data_stats`.
        config (str): Config path, for messages.

    Returns:
        dict: e.g. ``{'data_preprocessor.mean': [...], ...std: [...]}``.

    Raises:
        KeyError: The config has no data preprocessor with mean/std; say
            ``data_stats=False`` for that row.
    """
    key, pre = data_preprocessor_key(cfg)
    if pre.get('mean') is None or pre.get('std') is None:
        raise KeyError(
            f'{config}: {key} has no mean/std to replace with the data\'s '
            'own statistics. Set data_stats=False for this row in the study '
            'config (it then keeps its own normalisation).')
    n = len(pre['mean'])
    mean, std = _as_float(stats['mean']), _as_float(stats['std'])
    return {f'{key}.mean': [mean] * n, f'{key}.std': [std] * n}


# ------------------------------------------------- unlabelled-data subsets
def _leaf_path(ds: dict, prefix: str) -> Tuple[str, dict]:
    if 'datasets' in ds:
        raise ValueError(
            f'{prefix} is a {ds.get("type")} of several datasets; the '
            'pretrain_data axis needs one UnlabelledImageDataset (mix '
            'sources with its `roots` and `repeats` instead).')
    if 'dataset' in ds:
        return _leaf_path(ds['dataset'], prefix + '.dataset')
    return prefix, ds


def _build_unlabelled(ds_cfg: dict):
    from mmpretrain.registry import DATASETS
    from mmengine.registry import DefaultScope
    ds_cfg = copy.deepcopy(ds_cfg)
    ds_cfg['pipeline'] = []
    ds_cfg['type'] = 'UnlabelledImageDataset'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = DATASETS.build(ds_cfg)
    return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]


def _unique(paths: Sequence[str]) -> List[str]:
    return list(dict.fromkeys(paths))


def pretrain_subset_options(cfg: Config, percent: float, seed: int,
                            extra_roots: Sequence[str], list_dir: str,
                            config: str) -> Dict:
    """``--cfg-options`` that restrict a pretraining to ``percent`` % of its
    unlabelled pool.

    The pool is the images the config's ``UnlabelledImageDataset`` lists.
    One seeded permutation of the pool (then one of the ``extra_roots``
    images) orders the images; the subset of ``percent`` % is a prefix of
    that order, so subsets are nested. Images left out are written, by
    stem, to an exclusion list that the dataset's ``exclude`` reads;
    above 100 % the extra roots are added to ``roots``.

    Args:
        cfg (Config): The pretraining config (data root applied).
        percent (float): Size in % of the pool (> 0).
        seed (int): Permutation seed.
        extra_roots (Sequence[str]): Folders of extra images (above 100 %).
        list_dir (str): Where the exclusion list is written.
        config (str): Config path, for messages.

    Returns:
        dict: The ``--cfg-options`` (empty at exactly 100 %).

    Raises:
        ValueError: No single UnlabelledImageDataset, duplicate stems, or
            not enough extra images.
    """
    if percent == 100:
        return {}
    loader = cfg.get('train_dataloader') or {}
    if 'dataset' not in loader:
        raise ValueError(f'{config} has no train_dataloader.dataset.')
    key, ds = _leaf_path(loader['dataset'], 'train_dataloader.dataset')
    if str(ds.get('type', '')).split('.')[-1] != 'UnlabelledImageDataset':
        raise ValueError(
            f'{config}: the pretrain_data axis subsets an '
            f'UnlabelledImageDataset, but {key} is {ds.get("type")!r}.')
    base = _unique(_build_unlabelled(ds))
    extra: List[str] = []
    if percent > 100:
        extra_cfg = dict(ds, roots=[osp.abspath(r) for r in extra_roots])
        extra_cfg.pop('repeats', None)
        base_real = {osp.realpath(p) for p in base}
        extra = [
            p for p in _unique(_build_unlabelled(extra_cfg))
            if osp.realpath(p) not in base_real
        ]
    stems = [osp.splitext(osp.basename(p))[0] for p in base + extra]
    dups = sorted({s for s in stems if stems.count(s) > 1})
    if dups:
        raise ValueError(
            f'{config}: the unlabelled pool has several images with the '
            f'same file stem ({dups[:5]}), so a subset cannot be selected '
            'by stem. Rename them to unique names.')
    rng = np.random.default_rng(seed)
    order = [base[i] for i in rng.permutation(len(base))]
    order += [extra[i] for i in rng.permutation(len(extra))]
    n = max(1, int(round(percent / 100.0 * len(base))))
    if n > len(order):
        raise ValueError(
            f'pretrain_data size {percent:g} % of a pool of {len(base)} '
            f'images needs {n} images, but the pool and extra_roots '
            f'{list(extra_roots)} hold {len(order)}. Add images or lower the '
            'size.')
    left_out = order[n:]
    options = {}
    excludes = list(ds.get('exclude') or [])
    if left_out:
        list_file = osp.abspath(
            osp.join(list_dir, f'exclude_{percent:g}pct_seed{seed}.txt'))
        atomic_write_text(list_file, '\n'.join(
            osp.splitext(osp.basename(p))[0] for p in left_out) + '\n')
        options[f'{key}.exclude'] = excludes + [list_file]
    if percent > 100:
        roots = list(ds.get('roots') or [])
        if isinstance(roots, str):
            roots = [roots]
        options[f'{key}.roots'] = roots + [
            osp.abspath(r) for r in extra_roots
        ]
        if ds.get('repeats') is not None:
            options[f'{key}.repeats'] = list(ds['repeats']) + [1] * len(
                extra_roots)
    return options


def labelled_dataset_key(cfg: Config) -> str:
    """The dotted key of the config's LABELLED training dataset, the one a
    study's label fraction applies to.

    ``train_dataloader.dataset`` itself for a supervised config; for a
    semi-supervised one (a ``ConcatDataset`` of labelled images and an
    unlabelled pool, e.g. ``configs/mean_teacher/``) the one leaf that states
    ``label_fraction``, e.g. ``train_dataloader.dataset.datasets.0``.

    Args:
        cfg (Config): A fine-tuning config.

    Returns:
        str: e.g. ``'train_dataloader.dataset'``.

    Raises:
        ValueError: If several leaves state ``label_fraction``.
    """
    root = 'train_dataloader.dataset'
    found = []

    def walk(ds, key):
        if isinstance(ds, dict) and 'datasets' in ds:
            for i, d in enumerate(ds['datasets']):
                walk(d, f'{key}.datasets.{i}')
        elif isinstance(ds, dict) and 'dataset' in ds:
            walk(ds['dataset'], f'{key}.dataset')
        elif isinstance(ds, dict) and 'label_fraction' in ds:
            found.append(key)

    walk(cfg.train_dataloader.dataset, root)
    if len(found) > 1:
        raise ValueError(
            f'{cfg.filename}: {len(found)} training datasets state '
            f'label_fraction ({found}); a study applies its label fraction '
            'to exactly one, the labelled set. Remove the key from the '
            'others (an unlabelled pool has no labels to sample).')
    return found[0] if found else root


def labelled_batch_size(cfg: Config) -> int:
    """Labelled items per training batch: the dataloader's batch size, or
    the labelled source's share of a ``MultiSourceSampler`` batch."""
    batch = int(cfg.train_dataloader.batch_size)
    sampler = cfg.train_dataloader.get('sampler') or {}
    if str(sampler.get('type', '')).split('.')[-1] == 'MultiSourceSampler':
        ratio = [float(r) for r in sampler['source_ratio']]
        return batch - sum(int(batch * r / sum(ratio)) for r in ratio[1:])
    return batch


def count_train_images(cfg: Config) -> Optional[int]:
    """Number of items of the config's LABELLED training dataset (its label
    fraction applied; :func:`labelled_dataset_key`), built in the config's
    scope.

    Args:
        cfg (Config): A fine-tuning config.

    Returns:
        int: ``len(dataset)``.
    """
    from mmengine.registry import DATASETS, DefaultScope
    ds_cfg = copy.deepcopy(cfg)
    for part in labelled_dataset_key(cfg).split('.'):
        ds_cfg = ds_cfg[int(part)] if part.isdigit() else ds_cfg[part]
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        return len(DATASETS.build(ds_cfg))
