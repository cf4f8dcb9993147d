# Copyright (c) ussl_mm contributors. All rights reserved.
"""nnU-Net v2 (2D) as a baseline row, scored with ussl_mm's metrics.

`nnU-Net <https://arxiv.org/abs/1809.10486>`_ is the field's reference for
supervised medical segmentation. This adapter runs the real ``nnunetv2``
package (optional extra: ``pip install '.[nnunet]'``) on a ussl_mm data set
and label fraction:

1. :func:`convert_to_nnunet` writes an nnU-Net raw data set from our layout
   (``data_root/{img_dir,ann_dir}/{train,val,test}`` + ``splits/
   train_{pct}pct.txt``): the label-fraction training images and the whole
   val split go to ``imagesTr``/``labelsTr``, the test split to
   ``imagesTs``. Images and masks are read with our own loaders
   (``LoadUSImage``/``LoadUSAnnotations``, the same checks and channel
   handling as the OpenMMLab runs) and written as PNG for nnU-Net's
   ``NaturalImage2DIO``.
2. ``splits_final.json`` holds ONE fold: train = the label fraction, val =
   our val split. nnU-Net's default 5-fold cross-validation would train on
   val images and validate on training ones.
3. nnU-Net's own console commands, each in a child process with
   ``nnUNet_raw``/``nnUNet_preprocessed``/``nnUNet_results`` set inside
   ``work_dir``: ``nnUNetv2_plan_and_preprocess -c 2d``, ``nnUNetv2_train
   ... 2d 0 -tr TRAINER`` (a reduced-epoch trainer shipped by nnU-Net at CPU
   scale, e.g. ``nnUNetTrainer_5epochs``; ``nnUNetTrainer`` at GPU scale)
   and ``nnUNetv2_predict`` on the test split (``checkpoint_final.pth``,
   nnU-Net's default). A child process because nnU-Net reads some settings
   at import time (``nnUNet_def_n_proc``) and sets torch's thread count;
   the child is seeded (:mod:`ussl_mm.baselines._nnunet_entry`).
4. :func:`score_predictions` scores the predicted PNGs against our masks
   with our evaluator (``PerClassIoUMetric`` by default: mmseg's
   ``IoUMetric`` numbers plus per-class and per-image values, written to
   ``work_dir/per_image.json`` like a study run; add ``ClinicalMetric``
   through ``evaluator``), so the row is comparable with every other row.

Re-running with the same ``work_dir`` and arguments skips the finished
stages (a stopped training continues with nnU-Net's ``--c``); different
arguments in a used ``work_dir`` are refused.
"""
import copy
import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.logging import print_log

from ._nnunet_entry import ENTRY_POINTS as NNUNET_ENTRY_POINTS

_ENTRY_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)),
                         '_nnunet_entry.py')
INSTALL_HINT = ("install the optional extra: pip install '.[nnunet]' (from "
                'the repository root; see docs/baselines.md)')
DEFAULT_LOADERS = (dict(type='LoadUSImage'), dict(type='LoadUSAnnotations'))
DEFAULT_EVALUATOR = (dict(type='PerClassIoUMetric',
                          iou_metrics=['mIoU', 'mDice']), )
PLANS = 'nnUNetPlans'
CONFIGURATION = '2d'
FOLD = 0
# nnU-Net prints these once per epoch; they are relayed to our log.
_PROGRESS_MARKS = ('Epoch ', 'train_loss', 'val_loss', 'Pseudo dice',
                   'Epoch time', 'Mean Validation Dice', 'Training done')


def nnunet_available() -> bool:
    """Whether the optional ``nnunetv2`` package can be imported."""
    return importlib.util.find_spec('nnunetv2') is not None


def _require_nnunet() -> None:
    if not nnunet_available():
        raise ImportError(
            'The nnU-Net row needs the nnunetv2 package, which is not '
            f'installed in {sys.prefix}: {INSTALL_HINT}.')


def _dataset_name(dataset_id: int, name: str) -> str:
    if not 1 <= int(dataset_id) <= 999:
        raise ValueError(
            f'dataset_id must be 1..999 (nnU-Net names data sets '
            f'DatasetXXX_Name), got {dataset_id}.')
    safe = ''.join(c if c.isalnum() else '_' for c in str(name)) or 'ussl'
    return f'Dataset{int(dataset_id):03d}_{safe}'


def _build_split(dataset_type: str, data_root: str, split: str,
                 label_fraction: Optional[float], classes, split_dir: str,
                 img_suffix: str, seg_map_suffix: str,
                 dataset_kwargs: Optional[dict] = None) -> List[dict]:
    """Data infos of one split, through our dataset class (its checks, its
    label-fraction file, its label_map)."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg = dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'),
        label_fraction=label_fraction,
        split_dir=split_dir,
        img_suffix=img_suffix,
        seg_map_suffix=seg_map_suffix,
        pipeline=[])
    cfg.update(dataset_kwargs or {})
    if classes is not None:
        cfg['metainfo'] = dict(classes=tuple(classes))
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    for info in infos:
        info['classes'] = tuple(dataset.metainfo['classes'])
    return infos


def _loader(loaders: Sequence[dict]):
    from mmcv.transforms import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmseg'):
        return Compose([copy.deepcopy(dict(c)) for c in loaders])


def _load(load, info: dict) -> dict:
    results = load(copy.deepcopy(info))
    if results is None or 'img' not in results or 'gt_seg_map' not in results:
        raise ValueError(
            f'The loaders must produce `img` and `gt_seg_map` for '
            f'{info.get("img_path")} (e.g. LoadUSImage + LoadUSAnnotations); '
            f'got keys {sorted(results or {})}.')
    return results


def _is_gray(img: np.ndarray) -> bool:
    return img.ndim == 2 or bool(
        (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[...,
                                                                   2]).all())


def _stem(path: str, suffix: str) -> str:
    name = osp.basename(path)
    return name[:-len(suffix)] if suffix and name.endswith(suffix) else \
        osp.splitext(name)[0]


def convert_to_nnunet(data_root: str,
                      raw_dir: str,
                      label_fraction: Optional[float] = None,
                      dataset_id: int = 1,
                      dataset_name: str = 'ussl',
                      dataset_type: str = 'KneeUSDataset',
                      classes: Optional[Sequence[str]] = None,
                      split_dir: str = 'splits',
                      img_suffix: str = '.png',
                      seg_map_suffix: str = '.png',
                      loaders: Sequence[dict] = DEFAULT_LOADERS,
                      dataset_kwargs: Optional[dict] = None) -> dict:
    """Write an nnU-Net v2 raw data set from a ussl_mm 2-D data root.

    Case identifiers are ``{split}_{stem}`` (stems may repeat across
    splits). Gray images (every image of every split gray, or three equal
    channels after our loader) become one channel named 'gray'; otherwise
    all images are written as RGB (channels 'R', 'G', 'B'). Masks keep their
    class indices; when a train/val mask holds the ignore value 255, it is
    written as label K (= number of classes), declared as nnU-Net's
    ``ignore`` label.

    Args:
        data_root (str): ussl_mm data root
            (``img_dir|ann_dir/{train,val,test}``, ``splits/``).
        raw_dir (str): The ``nnUNet_raw`` folder to write into.
        label_fraction (float, optional): Percent of the labelled training
            images (``splits/train_{pct}pct.txt``); None or 100: all.
            Defaults to None.
        dataset_id (int): nnU-Net data set id (1..999). Defaults to 1.
        dataset_name (str): Name part of ``DatasetXXX_Name``.
            Defaults to 'ussl'.
        dataset_type (str): Our dataset class (mmseg registry) that lists the
            images, resolves the label fraction and gives the classes.
            Defaults to 'KneeUSDataset'.
        classes (Sequence[str], optional): Class names, when the dataset
            class has none (``USSegDataset``). Defaults to None.
        split_dir (str): Folder of the split files. Defaults to 'splits'.
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '.png'.
        loaders (Sequence[dict]): Transform configs that read one image and
            its mask (``img``, ``gt_seg_map``). Defaults to
            ``(LoadUSImage, LoadUSAnnotations)``.
        dataset_kwargs (dict, optional): More arguments of the dataset
            class (e.g. ``mask_values``), as in its config.
            Defaults to None.

    Returns:
        dict: ``dataset_name``, ``dataset_dir``, ``classes``, ``channels``,
        ``labels`` (dataset.json's) and ``cases``: split -> list of
        ``dict(case=..., info=<our data info>)``.

    Raises:
        ValueError: On images of different channel counts within a case, a
            mask that does not fit its image (raised by our loaders), or a
            bad ``dataset_id``.
    """
    _require_nnunet()
    from nnunetv2.dataset_conversion.generate_dataset_json import \
        generate_dataset_json
    name = _dataset_name(dataset_id, dataset_name)
    out = osp.join(raw_dir, name)
    if osp.isdir(out):
        shutil.rmtree(out)  # always rebuilt from the data root
    for sub in ('imagesTr', 'labelsTr', 'imagesTs'):
        os.makedirs(osp.join(out, sub))
    cases = {}
    for split in ('train', 'val', 'test'):
        infos = _build_split(dataset_type, data_root, split,
                             label_fraction if split == 'train' else None,
                             classes, split_dir, img_suffix, seg_map_suffix,
                             dataset_kwargs)
        cases[split] = [
            dict(case=f'{split}_{_stem(i["img_path"], img_suffix)}', info=i)
            for i in infos
        ]
    classes = cases['train'][0]['info']['classes']
    load = _loader(loaders)
    # pass 1: channels and ignore label over every split
    gray, has_ignore = True, False
    for split, items in cases.items():
        for item in items:
            res = _load(load, item['info'])
            gray = gray and _is_gray(res['img'])
            if split != 'test':
                has_ignore = has_ignore or bool((res['gt_seg_map'] == 255
                                                 ).any())
    num_classes = len(classes)
    # pass 2: write
    for split, items in cases.items():
        for item in items:
            res = _load(load, item['info'])
            img = res['img']
            if gray and img.ndim == 3:
                img = np.ascontiguousarray(img[..., 0])
            sub = 'imagesTs' if split == 'test' else 'imagesTr'
            _imwrite(osp.join(out, sub, f'{item["case"]}_0000.png'), img)
            if split != 'test':
                seg = res['gt_seg_map'].astype(np.uint8)
                if has_ignore:
                    seg = seg.copy()
                    seg[seg == 255] = num_classes
                _imwrite(osp.join(out, 'labelsTr', f'{item["case"]}.png'),
                         seg)
    channels = {0: 'gray'} if gray else {0: 'R', 1: 'G', 2: 'B'}
    labels = {c: i for i, c in enumerate(classes)}
    if has_ignore:
        labels['ignore'] = num_classes
    generate_dataset_json(
        out,
        channel_names=dict(channels),
        labels=dict(labels),
        num_training_cases=len(cases['train']) + len(cases['val']),
        file_ending='.png',
        dataset_name=name,
        overwrite_image_reader_writer='NaturalImage2DIO',
        description=(f'ussl_mm {data_root}, label_fraction='
                     f'{label_fraction}: imagesTr = train fraction + val '
                     'split (splits_final.json separates them), imagesTs = '
                     'test split'),
        converted_by='ussl_mm.baselines.nnunet.convert_to_nnunet')
    return dict(
        dataset_name=name,
        dataset_dir=out,
        classes=tuple(classes),
        channels={str(k): v for k, v in channels.items()},
        labels=labels,
        cases=cases)


def _imwrite(path: str, arr: np.ndarray) -> None:
    if not cv2.imwrite(path, arr):
        raise OSError(f'Could not write {path} (shape {arr.shape}, dtype '
                      f'{arr.dtype}).')


def _evaluator_cfgs(evaluator, per_image_file: Optional[str]) -> List[dict]:
    cfgs = DEFAULT_EVALUATOR if evaluator is None else evaluator
    cfgs = [copy.deepcopy(dict(c)) for c in (
        cfgs if isinstance(cfgs, (list, tuple)) else [cfgs])]
    per_class = [c for c in cfgs if str(c.get('type', '')).split('.')[-1]
                 == 'PerClassIoUMetric']
    if not per_class:
        raise ValueError(
            'The evaluator must contain a PerClassIoUMetric (it gives the '
            f'per-image records of the row); got {cfgs}. Add '
            "dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice']).")
    if per_image_file is not None:
        for c in per_class:
            c.setdefault('per_image_file', per_image_file)
    return cfgs


def score_predictions(pred_dir: str,
                      cases: Sequence[dict],
                      classes: Sequence[str],
                      evaluator: Optional[Union[dict, Sequence[dict]]] = None,
                      per_image_file: Optional[str] = None,
                      loaders: Sequence[dict] = DEFAULT_LOADERS) -> dict:
    """Score predicted label PNGs against our masks with our metrics.

    Each prediction ``pred_dir/{case}.png`` is compared with the mask read
    by our loaders from the case's data info, at the original size, through
    the metrics of ``evaluator`` (mmseg's ``IoUMetric.intersect_and_union``
    / ``total_area_to_metrics`` inside ``PerClassIoUMetric``). The samples
    carry the original ``img_path``, so per-image records pair with the
    OpenMMLab rows of a study.

    Args:
        pred_dir (str): Folder of ``{case}.png`` predictions.
        cases (Sequence[dict]): ``dict(case=..., info=<data info>)`` as in
            ``convert_to_nnunet(...)['cases']['test']``.
        classes (Sequence[str]): Class names (the dataset_meta).
        evaluator (dict | Sequence[dict], optional): Metric configs (mmseg
            registry); must include ``PerClassIoUMetric``. Defaults to
            None (``PerClassIoUMetric`` with mIoU and mDice).
        per_image_file (str, optional): Where ``PerClassIoUMetric`` writes
            the per-image records (unless its config sets one).
            Defaults to None.
        loaders (Sequence[dict]): Transform configs that read image and
            mask. Defaults to ``(LoadUSImage, LoadUSAnnotations)``.

    Returns:
        dict: ``metrics`` (the evaluator's output) and ``per_image`` (the
        records of the per-image file, [] when none was written).

    Raises:
        FileNotFoundError: If a prediction is missing.
        ValueError: If a prediction's size differs from its mask's or holds
            a label outside the classes.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope
    from mmseg.registry import METRICS
    cfgs = _evaluator_cfgs(evaluator, per_image_file)
    with DefaultScope.overwrite_default_scope('mmseg'):
        metrics = [METRICS.build(c) for c in cfgs]
    ev = Evaluator(metrics)
    ev.dataset_meta = dict(classes=tuple(classes))
    load = _loader(loaders)
    for item in cases:
        path = osp.join(pred_dir, f'{item["case"]}.png')
        pred = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if pred is None:
            raise FileNotFoundError(
                f'nnU-Net prediction {path} is missing or unreadable (test '
                f'image {item["info"]["img_path"]}). Re-run the row: the '
                'prediction stage runs again when a file is missing.')
        res = _load(load, item['info'])
        gt = res['gt_seg_map']
        if pred.shape != gt.shape:
            raise ValueError(
                f'Prediction {path} is {pred.shape} but the mask '
                f'{item["info"]["seg_map_path"]} is {gt.shape}.')
        bad = sorted(set(np.unique(pred).tolist()) - set(range(len(classes))))
        if bad:
            raise ValueError(
                f'Prediction {path} holds labels {bad} outside the '
                f'{len(classes)} classes {tuple(classes)}.')
        sample = dict(
            img_path=item['info']['img_path'],
            seg_map_path=item['info']['seg_map_path'],
            ori_shape=tuple(gt.shape),
            img_shape=tuple(gt.shape),
            pred_sem_seg=dict(data=torch.from_numpy(pred.astype(
                np.int64))[None]),
            gt_sem_seg=dict(data=torch.from_numpy(gt.astype(np.int64))[None]))
        ev.process(data_samples=[sample])
    out = ev.evaluate(len(cases))
    files = [c.get('per_image_file') for c in cfgs
             if str(c.get('type', '')).split('.')[-1] == 'PerClassIoUMetric']
    per_image = []
    if files and files[0] and osp.isfile(files[0]):
        with open(files[0], encoding='utf-8') as f:
            per_image = json.load(f)
    return dict(metrics=dict(out), per_image=per_image)


def _run_stage(name: str, command: str, args: List[str], env: dict,
               log_file: str, seed: Optional[int], verbose: bool) -> float:
    """Run one nnU-Net console command in a child process; raise with the
    log's tail when it fails. Returns the wall time in seconds."""
    cmd = [sys.executable, _ENTRY_SCRIPT]
    if seed is not None:
        cmd += ['--seed', str(seed)]
    cmd += [command] + [str(a) for a in args]
    print_log(f'nnU-Net {name}: {command} {" ".join(map(str, args))} '
              f'(log {log_file})', logger='current')
    start = time.time()
    tail: List[str] = []
    with open(log_file, 'a', encoding='utf-8') as log:
        log.write(f'$ {" ".join(cmd)}\n')
        log.flush()
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1)
        for line in proc.stdout:
            log.write(line)
            tail = (tail + [line.rstrip()])[-40:]
            if verbose and any(m in line for m in _PROGRESS_MARKS):
                print_log(f'nnU-Net {name}: {line.strip()}',
                          logger='current')
        code = proc.wait()
    if code != 0:
        raise RuntimeError(
            f'nnU-Net {name} failed (exit code {code}): {command} '
            f'{" ".join(map(str, args))}\nFull log: {log_file}\nLast lines:\n'
            + '\n'.join(tail))
    return time.time() - start


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def run_nnunet_row(data_root: str,
                   work_dir: str,
                   label_fraction: Optional[float] = None,
                   seed: int = 0,
                   trainer: str = 'nnUNetTrainer_5epochs',
                   device: str = 'cpu',
                   dataset_type: str = 'KneeUSDataset',
                   classes: Optional[Sequence[str]] = None,
                   split_dir: str = 'splits',
                   img_suffix: str = '.png',
                   seg_map_suffix: str = '.png',
                   dataset_kwargs: Optional[dict] = None,
                   evaluator: Optional[Union[dict, Sequence[dict]]] = None,
                   trainer_dir: Optional[str] = None,
                   num_processes: int = 1,
                   num_workers_da: int = 0,
                   disable_tta: bool = False,
                   dataset_id: int = 1,
                   loaders: Sequence[dict] = DEFAULT_LOADERS,
                   verbose: bool = True) -> dict:
    """Train, predict and score one nnU-Net 2D row (one fraction, one seed).

    See the module docstring for the stages. Everything nnU-Net writes
    stays under ``work_dir`` (``nnUNet_raw``, ``nnUNet_preprocessed``,
    ``nnUNet_results``, ``predictions_test``, ``logs``); the row's results
    are ``work_dir/metrics.json`` and ``work_dir/per_image.json`` (the
    format of a study run), and the commands that reproduce it are in
    ``work_dir/nnunet_commands.sh``.

    Args:
        data_root (str): ussl_mm data root.
        work_dir (str): Folder of this row (one per fraction and seed).
        label_fraction (float, optional): Percent of the labelled training
            images; None or 100: all. Defaults to None.
        seed (int): Seed of ``random``/``numpy``/``torch`` in the training
            process (nnU-Net itself does not seed). Defaults to 0.
        trainer (str): nnU-Net trainer class name: shipped ones such as
            ``'nnUNetTrainer_5epochs'`` (CPU scale), ``'nnUNetTrainer'``
            (1000 epochs, GPU scale), or one found in ``trainer_dir``.
            Defaults to 'nnUNetTrainer_5epochs'.
        device (str): 'cpu', 'cuda' or 'mps'. Defaults to 'cpu'.
        dataset_type (str): Our dataset class. Defaults to 'KneeUSDataset'.
        classes (Sequence[str], optional): Class names when the dataset
            class has none. Defaults to None.
        split_dir (str): Folder of the split files. Defaults to 'splits'.
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '.png'.
        dataset_kwargs (dict, optional): More arguments of the dataset
            class (e.g. ``mask_values``). Defaults to None.
        evaluator (dict | Sequence[dict], optional): Metric configs,
            including ``PerClassIoUMetric``. Defaults to None
            (``PerClassIoUMetric``, mIoU + mDice).
        trainer_dir (str, optional): Folder of extra trainer classes
            (nnU-Net's ``nnUNet_extTrainer``). Defaults to None.
        num_processes (int): nnU-Net's preprocessing / export processes
            (``-np``, ``-npp``, ``-nps``, ``nnUNet_def_n_proc``).
            Defaults to 1.
        num_workers_da (int): Data-augmentation worker processes
            (``nnUNet_n_proc_DA``); 0 augments in the training process,
            which makes a seeded run repeatable. Defaults to 0.
        disable_tta (bool): Predict without mirroring (nnU-Net's
            ``--disable_tta``). Defaults to False (nnU-Net's default).
        dataset_id (int): nnU-Net data set id. Defaults to 1.
        loaders (Sequence[dict]): Image and mask loaders. Defaults to
            ``(LoadUSImage, LoadUSAnnotations)``.
        verbose (bool): Relay nnU-Net's per-epoch lines to the log.
            Defaults to True.

    Returns:
        dict: ``metrics`` (our evaluator's output on the test split),
        ``per_image`` (one record per test image: ``img_path``,
        ``IoU.<class>``, ``Dice.<class>``), ``nnunet`` (trainer, epochs,
        iterations per epoch, batch and patch size from nnU-Net's
        ``debug.json``/plans, nnU-Net's own Dice on the val split),
        ``num_cases`` (train/val/test), ``seconds`` per stage,
        ``commands`` and ``work_dir``.

    Raises:
        ImportError: If nnunetv2 is not installed.
        ValueError: If ``work_dir`` holds a row made with other arguments.
        RuntimeError: If an nnU-Net stage fails (with its log's tail).
    """
    _require_nnunet()
    work_dir = osp.abspath(work_dir)
    spec = dict(
        data_root=osp.abspath(data_root),
        label_fraction=label_fraction,
        seed=seed,
        trainer=trainer,
        dataset_type=dataset_type,
        classes=None if classes is None else list(classes),
        split_dir=split_dir,
        img_suffix=img_suffix,
        seg_map_suffix=seg_map_suffix,
        dataset_kwargs=dataset_kwargs,
        disable_tta=disable_tta,
        dataset_id=dataset_id)
    os.makedirs(work_dir, exist_ok=True)
    spec_file = osp.join(work_dir, 'row_spec.json')
    old = _read_json(spec_file)
    if old is not None and old != spec:
        diff = {k: (old.get(k), v) for k, v in spec.items()
                if old.get(k) != v}
        raise ValueError(
            f'{work_dir} holds an nnU-Net row made with other arguments '
            f'(was, now): {diff}. Use another work_dir, or delete this one '
            'to start over.')
    with open(spec_file, 'w', encoding='utf-8') as f:
        json.dump(spec, f, indent=1)

    dirs = {k: osp.join(work_dir, k) for k in
            ('nnUNet_raw', 'nnUNet_preprocessed', 'nnUNet_results',
             'predictions_test', 'logs')}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    env = dict(os.environ)
    env.update(
        nnUNet_raw=dirs['nnUNet_raw'],
        nnUNet_preprocessed=dirs['nnUNet_preprocessed'],
        nnUNet_results=dirs['nnUNet_results'],
        # >= 1 outside training: the planner passes it to
        # torch.set_num_threads (nnunetv2 2.8.1)
        nnUNet_n_proc_DA=str(max(1, int(num_processes))),
        nnUNet_def_n_proc=str(int(num_processes)),
        MPLBACKEND='Agg')
    if trainer_dir is not None:
        if not osp.isdir(trainer_dir):
            raise FileNotFoundError(
                f'trainer_dir {trainer_dir} (nnUNet_extTrainer) does not '
                'exist.')
        env['nnUNet_extTrainer'] = osp.abspath(trainer_dir)
    env_keys = ('nnUNet_raw', 'nnUNet_preprocessed', 'nnUNet_results',
                'nnUNet_n_proc_DA', 'nnUNet_def_n_proc', 'nnUNet_extTrainer')

    conv = convert_to_nnunet(
        data_root, dirs['nnUNet_raw'], label_fraction, dataset_id,
        osp.basename(osp.normpath(data_root)), dataset_type, classes,
        split_dir, img_suffix, seg_map_suffix, loaders, dataset_kwargs)
    name = conv['dataset_name']
    pre_dir = osp.join(dirs['nnUNet_preprocessed'], name)
    out_dir = osp.join(dirs['nnUNet_results'], name,
                       f'{trainer}__{PLANS}__{CONFIGURATION}',
                       f'fold_{FOLD}')
    stages = [
        ('plan_and_preprocess', 'nnUNetv2_plan_and_preprocess',
         ['-d', dataset_id, '-c', CONFIGURATION, '-np', num_processes,
          '-npfp', num_processes, '--verify_dataset_integrity'], None),
        ('train', 'nnUNetv2_train',
         [dataset_id, CONFIGURATION, FOLD, '-tr', trainer, '-device', device],
         seed),
        ('predict', 'nnUNetv2_predict',
         ['-i', osp.join(conv['dataset_dir'], 'imagesTs'), '-o',
          dirs['predictions_test'], '-d', dataset_id, '-c', CONFIGURATION,
          '-f', FOLD, '-tr', trainer, '-device', device, '-npp',
          num_processes, '-nps', num_processes, '--disable_progress_bar'] +
         (['--disable_tta'] if disable_tta else []), seed),
    ]
    with open(osp.join(work_dir, 'nnunet_commands.sh'), 'w',
              encoding='utf-8') as f:
        f.write('# nnU-Net commands of this row (written by ussl_mm); the '
                'train/predict ones ran with random/numpy/torch seeded to '
                f'{seed}. The raw data set was written by '
                'ussl_mm.baselines.convert_to_nnunet, splits_final.json = '
                'one fold: train fraction / our val split.\n')
        for k in env_keys:
            if k in env:
                f.write(f'export {k}={env[k]}\n')
        for _, command, args, _ in stages:
            prefix = (f'nnUNet_n_proc_DA={int(num_workers_da)} '
                      if command == 'nnUNetv2_train' else '')
            f.write(f'{prefix}{command} {" ".join(map(str, args))}\n')

    seconds = {}
    plans_file = osp.join(pre_dir, f'{PLANS}.json')
    plans = _read_json(plans_file)
    if plans is None or not osp.isdir(osp.join(
            pre_dir, plans['configurations'][CONFIGURATION][
                'data_identifier'])):
        _, command, args, s = stages[0]
        seconds['plan_and_preprocess'] = _run_stage(
            'plan_and_preprocess', command, args, env,
            osp.join(dirs['logs'], 'plan_and_preprocess.log'), s, verbose)
        plans = _read_json(plans_file)
    with open(osp.join(pre_dir, 'splits_final.json'), 'w',
              encoding='utf-8') as f:
        json.dump([dict(train=[c['case'] for c in conv['cases']['train']],
                        val=[c['case'] for c in conv['cases']['val']])],
                  f, indent=1)
    if not osp.isfile(osp.join(out_dir, 'checkpoint_final.pth')):
        _, command, args, s = stages[1]
        if osp.isfile(osp.join(out_dir, 'checkpoint_latest.pth')):
            args = args + ['--c']
        train_env = dict(env, nnUNet_n_proc_DA=str(int(num_workers_da)))
        seconds['train'] = _run_stage('train', command, args, train_env,
                                      osp.join(dirs['logs'], 'train.log'), s,
                                      verbose)
    test_cases = conv['cases']['test']
    if not all(osp.isfile(osp.join(dirs['predictions_test'],
                                   f'{c["case"]}.png')) for c in test_cases):
        _, command, args, s = stages[2]
        seconds['predict'] = _run_stage('predict', command, args, env,
                                        osp.join(dirs['logs'],
                                                 'predict.log'), s, verbose)

    scored = score_predictions(
        dirs['predictions_test'], test_cases, conv['classes'], evaluator,
        per_image_file=osp.join(work_dir, 'per_image.json'), loaders=loaders)
    debug = _read_json(osp.join(out_dir, 'debug.json')) or {}
    val_summary = _read_json(osp.join(out_dir, 'validation', 'summary.json'))
    cfg2d = plans['configurations'][CONFIGURATION]
    nnunet = dict(
        version=_nnunet_version(),
        trainer=trainer,
        num_epochs=_int_or_none(debug.get('num_epochs')),
        iterations_per_epoch=_int_or_none(
            debug.get('num_iterations_per_epoch')),
        batch_size=cfg2d.get('batch_size'),
        patch_size=cfg2d.get('patch_size'),
        val_foreground_dice=None if val_summary is None else
        100.0 * float(val_summary['foreground_mean']['Dice']),
        output_dir=out_dir)
    result = dict(
        metrics=scored['metrics'],
        per_image=scored['per_image'],
        nnunet=nnunet,
        num_cases={k: len(v) for k, v in conv['cases'].items()},
        seconds=seconds,
        commands=[f'{c} {" ".join(map(str, a))}' for _, c, a, _ in stages],
        work_dir=work_dir)
    with open(osp.join(work_dir, 'metrics.json'), 'w', encoding='utf-8') as f:
        json.dump({k: v for k, v in result.items() if k != 'per_image'}, f,
                  indent=1)
    print_log(
        f'nnU-Net row ({trainer}, label_fraction={label_fraction}, seed '
        f'{seed}): ' + ', '.join(
            f'{k}={v:.2f}' for k, v in scored['metrics'].items()
            if isinstance(v, float) and k in ('mIoU', 'mDice')),
        logger='current')
    return result


def _int_or_none(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _nnunet_version() -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version('nnunetv2')
    except PackageNotFoundError:
        return None
