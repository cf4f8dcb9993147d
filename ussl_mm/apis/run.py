# Copyright (c) ussl_mm contributors. Adapted from mmsegmentation's and
# mmpretrain's tools/train.py and tools/test.py.
"""One way to build a run: the argument parsers and the Config/Runner
builders behind ``tools/train.py``, ``tools/test.py``, ``tools/study.py`` and
``tools/analysis_tools/visualize_tsne.py``.

The tools are thin: they parse their command line with
:func:`parse_train_args` / :func:`parse_test_args` and call
:func:`build_train_runner` / :func:`build_test_runner`. The study builds
the *command line* of each run (:func:`cfg_options_to_argv`), logs it, and
runs it in-process through the same parser and builder, so the logged
command is exactly what runs.
"""
import argparse
import os
import os.path as osp
import shlex
from typing import Any, Dict, Iterator, List, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.dist import is_distributed, is_main_process

from ..utils import (check_data_preprocessor, enable_amp,
                     load_checkpoint_strict, strip_collate_scope)
from ..utils.atomic import atomic_write_json, file_fingerprint
from ..utils.checkpoint import check_load_from, check_resume_checkpoint
from ..utils.config import check_cfg_option_keys

#: Per-image file of ``tools/test.py --clinical``, in its work dir.
CLINICAL_FILE = 'clinical_per_image.json'
#: The metrics of ``tools/test.py``, in its work dir.
METRICS_FILE = 'test_metrics.json'
#: Key of :data:`METRICS_FILE` that names the checkpoint scored
#: (``path``, ``size``, ``sha256``); every other key is a metric.
CHECKPOINT_KEY = 'checkpoint'
_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATORS = ('val_evaluator', 'test_evaluator')
_CFG_OPTIONS_HELP = (
    'override some settings in the used config, the key-value pair in '
    'xxx=yyy format will be merged into config file. If the value to be '
    'overwritten is a list, it should be like key="[a,b]" or key=a,b. It '
    'also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]". Note '
    'that the quotation marks are necessary and that no white space is '
    'allowed. `data_root=DIR` is the same as --data-root DIR.')
_DATA_ROOT_HELP = (
    'data folder of the run: replaces the data_root of every dataloader\'s '
    'dataset (also inside ConcatDataset/RepeatDataset, and the '
    'UnlabelledImageDataset of a pretraining) and of the config. Must '
    'exist.')


# ------------------------------------------------------------------ parsers
def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--work-dir', help='the dir to save logs, models and metrics')
    parser.add_argument('--data-root', help=_DATA_ROOT_HELP)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=_CFG_OPTIONS_HELP)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch / torchrun pass --local-rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def get_train_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/train.py``.

    Returns:
        argparse.ArgumentParser: ``config``, ``--work-dir``, ``--resume
        [PATH]``, ``--amp``, ``--data-root``, ``--cfg-options``,
        ``--launcher``, ``--local-rank``.
    """
    parser = argparse.ArgumentParser(
        description='Train a ussl_mm model (pretraining or fine-tuning)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume training. Without a value: from the latest checkpoint '
        'of the work dir (a fresh start when there is none). With a path: '
        'from that checkpoint. Same as --cfg-options resume=True '
        '[load_from=PATH].')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (fp16 on GPU, '
        'bf16 autocast + channels_last on CPU)')
    _add_common(parser)
    return parser


def get_test_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/test.py``.

    Returns:
        argparse.ArgumentParser: ``config``, ``checkpoint``, ``--work-dir``,
        ``--out``, ``--show``, ``--show-dir``, ``--wait-time``, ``--tta``,
        ``--clinical``, ``--data-root``, ``--cfg-options``, ``--launcher``,
        ``--local-rank``.
    """
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a ussl_mm segmentation model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        type=str,
        help='directory to save output predictions for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory where painted images will be saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    parser.add_argument(
        '--clinical',
        action='store_true',
        help='also evaluate ClinicalMetric (region size and mean intensity '
        'errors per test image); per-image records go to '
        '<work_dir>/clinical_per_image.json')
    _add_common(parser)
    return parser


def _parse(parser: argparse.ArgumentParser,
           argv: Optional[Sequence[str]]) -> argparse.Namespace:
    args = parser.parse_args(None if argv is None else list(argv))
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def parse_train_args(argv: Optional[Sequence[str]] = None
                     ) -> argparse.Namespace:
    """Parse a ``tools/train.py`` command line (``sys.argv[1:]`` if None)."""
    return _parse(get_train_parser(), argv)


def parse_test_args(argv: Optional[Sequence[str]] = None
                    ) -> argparse.Namespace:
    """Parse a ``tools/test.py`` command line (``sys.argv[1:]`` if None)."""
    return _parse(get_test_parser(), argv)


# ---------------------------------------------------------------- data root
def leaf_datasets(ds: Any) -> Iterator[dict]:
    """The dataset dicts that read files: wrappers (``ConcatDataset``'s
    ``datasets``, ``RepeatDataset``/``ClassBalancedDataset``'s ``dataset``)
    are opened recursively."""
    if isinstance(ds, (list, tuple)):
        for d in ds:
            yield from leaf_datasets(d)
    elif isinstance(ds, dict):
        if 'datasets' in ds:
            yield from leaf_datasets(ds['datasets'])
        elif 'dataset' in ds:
            yield from leaf_datasets(ds['dataset'])
        else:
            yield ds


def set_data_root(cfg: Config, data_root: str,
                  source: str = '--data-root') -> List[str]:
    """Point every dataset of ``cfg`` at ``data_root``.

    Dataset base configs copy ``data_root`` into each dataloader when the
    file is parsed, so overriding the top-level variable alone changes
    nothing. This sets ``cfg.data_root``, the ``data_root`` of every dataset
    of every dataloader (inside dataset wrappers too) and of any evaluator
    that has one.

    Args:
        cfg (Config): The config, modified in place.
        data_root (str): The folder.
        source (str): How the user gave it, for messages. Defaults to
            '--data-root'.

    Returns:
        list[str]: The config keys that were set, e.g.
        ``['data_root', 'train_dataloader.dataset.data_root', ...]``.

    Raises:
        FileNotFoundError: If ``data_root`` is not a folder.
        ValueError: If the config has no dataloader whose dataset could take
            it (the override would reach nothing).
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{source} {data_root!r}: no such folder. Give the root of your '
            'data set (img_dir/{train,val,test}, ann_dir/...; see README '
            '"Your own data"); a missing data root is never replaced by the '
            "config's default.")
    cfg.data_root = data_root
    reached = ['data_root']
    for name in _LOADERS:
        loader = cfg.get(name)
        if not isinstance(loader, dict) or 'dataset' not in loader:
            continue
        for i, ds in enumerate(leaf_datasets(loader['dataset'])):
            ds['data_root'] = data_root
            reached.append(f'{name}.dataset[{i}].data_root')
    if len(reached) == 1:
        raise ValueError(
            f'{source} {data_root!r}: {cfg.filename} has no train/val/test '
            'dataloader with a dataset, so the data root would reach '
            'nothing.')
    for name in _EVALUATORS:
        evaluator = cfg.get(name)
        for i, ev in enumerate(evaluator if isinstance(
                evaluator, (list, tuple)) else [evaluator]):
            if isinstance(ev, dict) and 'data_root' in ev:
                ev['data_root'] = data_root
                reached.append(f'{name}[{i}].data_root')
    return reached


# ------------------------------------------------------------------- config
def load_cfg(config: str,
             cfg_options: Optional[Dict[str, Any]] = None,
             data_root: Optional[str] = None,
             work_dir: Optional[str] = None,
             launcher: str = 'none') -> Config:
    """Read a config the way every ussl_mm tool does.

    ``Config.fromfile``, then ``cfg_options``, then the data root
    (``data_root`` or ``cfg_options['data_root']``, see
    :func:`set_data_root`), the work dir (argument > config > ``work_dirs/
    <config name>``) and :func:`~ussl_mm.utils.strip_collate_scope`.

    Args:
        config (str): Config file.
        cfg_options (dict, optional): ``--cfg-options``. Defaults to None.
        data_root (str, optional): ``--data-root``. Defaults to None.
        work_dir (str, optional): ``--work-dir``. Defaults to None.
        launcher (str): ``--launcher``. Defaults to 'none'.

    Returns:
        Config: The config.

    Raises:
        FileNotFoundError: If the config or the data root does not exist.
        ValueError: If ``--data-root`` and ``--cfg-options data_root=``
            disagree, or a normalisation override would not reach the
            model (:func:`~ussl_mm.utils.check_data_preprocessor`).
        KeyError: If an override's top-level key is neither in the config
            nor read by anything (a misspelling, :func:`~ussl_mm.utils.
            config.check_cfg_option_keys`).
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'Config file not found: {config}')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    source = '--data-root'
    if cfg_options:
        check_cfg_option_keys(cfg, cfg_options, config)
        cfg.merge_from_dict(cfg_options)
        opt_root = cfg_options.get('data_root')
        if opt_root is not None:
            if data_root is not None and osp.normpath(
                    str(opt_root)) != osp.normpath(data_root):
                raise ValueError(
                    f'--data-root {data_root!r} and --cfg-options '
                    f'data_root={opt_root!r} disagree; give one of them.')
            if data_root is None:
                data_root, source = str(opt_root), '--cfg-options data_root='
    check_data_preprocessor(cfg, cfg_options, config)
    if data_root is not None:
        set_data_root(cfg, data_root, source)
    strip_collate_scope(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def build_train_cfg(args: argparse.Namespace) -> Config:
    """The training Config of a ``tools/train.py`` command line.

    Besides :func:`load_cfg`: ``--amp`` (:func:`~ussl_mm.utils.enable_amp`),
    ``--resume`` (mmengine's own resume: ``resume=True`` with
    ``load_from=None`` finds the latest checkpoint of the work dir or starts
    fresh; with a path it resumes from that file; without ``--resume`` the
    config's ``resume``/``load_from``, including ``--cfg-options``, are
    kept), and :func:`~ussl_mm.engine.hooks.ensure_pretrained_encoder_hook`.

    Args:
        args (argparse.Namespace): From :func:`parse_train_args`.

    Returns:
        Config: The config the Runner is built from.

    Raises:
        FileNotFoundError: If the checkpoint to resume from does not exist.
    """
    import torch

    from ..engine.hooks import ensure_pretrained_encoder_hook
    cfg = load_cfg(args.config, args.cfg_options, args.data_root,
                   args.work_dir, args.launcher)
    if args.amp:
        enable_amp(cfg, cuda=torch.cuda.is_available())
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if cfg.get('resume') and cfg.get('load_from') and not osp.isfile(
            cfg.load_from):
        raise FileNotFoundError(
            f'Cannot resume from {cfg.load_from}: no such file. Give an '
            'existing checkpoint (--resume PATH), or --resume alone to '
            'continue from the latest checkpoint of the work dir '
            f'{cfg.work_dir}.')
    ensure_pretrained_encoder_hook(cfg)
    return cfg


def _trigger_visualization_hook(cfg: Config,
                                args: argparse.Namespace) -> Config:
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        default_hooks['visualization'] = dict(type='SegVisualizationHook')
        cfg.visualizer = dict(
            type='SegLocalVisualizer',
            vis_backends=[dict(type='LocalVisBackend')],
            name='visualizer')
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def build_test_cfg(args: argparse.Namespace) -> Config:
    """The test Config of a ``tools/test.py`` command line.

    The checkpoint is loaded strictly by :func:`build_test_runner`, so
    ``load_from`` is cleared (mmengine's ``load_from`` is lenient).

    Args:
        args (argparse.Namespace): From :func:`parse_test_args`.

    Returns:
        Config: The config the Runner is built from.

    Raises:
        ValueError: If the config has no ``test_dataloader`` (a pretraining
            config).
        FileNotFoundError: If the checkpoint does not exist.
    """
    cfg = load_cfg(args.config, args.cfg_options, args.data_root,
                   args.work_dir, args.launcher)
    if cfg.get('test_dataloader') is None:
        raise ValueError(
            f'{args.config} has no test_dataloader: it is a pretraining '
            'config. Evaluate a fine-tuning config (configs/*/benchmarks/) '
            'that consumes the pretraining checkpoint instead.')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint not found: {args.checkpoint}')
    cfg.load_from = None
    if args.show or args.show_dir:
        cfg = _trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        for metric in _metrics(cfg.test_evaluator):
            metric['output_dir'] = args.out
            metric['keep_results'] = True
    if args.clinical:
        from ..evaluation import add_clinical_metric
        cfg.test_evaluator = add_clinical_metric(
            cfg.test_evaluator,
            per_image_file=osp.join(cfg.work_dir, CLINICAL_FILE))
    return cfg


def _metrics(evaluator) -> List[dict]:
    return list(evaluator) if isinstance(evaluator,
                                         (list, tuple)) else [evaluator]


# ------------------------------------------------------------------- runner
def _runner_from_cfg(cfg: Config):
    """Build the Runner of ``cfg``, after the process set-up a run needs.

    Both steps are explicit calls, not side effects of ``import ussl_mm``:
    mmengine's checkpoints are allow-listed for ``torch.load``
    (:func:`~ussl_mm.utils.register_safe_globals`; resume, ``load_from``
    and the pretrained-encoder transfer read them), and a multi-process
    run on a machine without CUDA gets its gloo process group and CPU
    model wrapper (:func:`~ussl_mm.utils.setup_cpu_distributed`).
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from ..utils import register_safe_globals, setup_cpu_distributed
    register_safe_globals()
    setup_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def build_train_runner(args: argparse.Namespace):
    """The Runner of a ``tools/train.py`` command line; call ``.train()``.

    The checkpoint it will resume from or load (``--resume [PATH]``,
    ``load_from=``) is checked first by :func:`check_train_checkpoint`.

    Args:
        args (argparse.Namespace): From :func:`parse_train_args`.

    Returns:
        mmengine.runner.Runner: The runner, built in the config's scope.
    """
    cfg = build_train_cfg(args)
    runner = _runner_from_cfg(cfg)
    check_train_checkpoint(runner, cfg)
    return runner


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` without a path continues from: the one
    ``<work_dir>/last_checkpoint`` names (mmengine's rule), or None when
    there is no ``last_checkpoint`` (a fresh start).

    Raises:
        FileNotFoundError: If ``last_checkpoint`` names a file that does
            not exist (naming both, and what to do).
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record, encoding='utf-8') as f:
        path = f.read().strip()
    if not path or not osp.isfile(path):
        present = sorted(n for n in os.listdir(work_dir)
                         if n.endswith('.pth'))
        raise FileNotFoundError(
            f'{record} names {path!r}, which does not exist, so --resume '
            f'has nothing to continue from. Checkpoints in {work_dir}: '
            f'{present or "none"}. Resume from one of them with --resume '
            f'PATH, or delete {record} to train from the start.')
    return path


def check_train_checkpoint(runner, cfg: Config) -> None:
    """Read and check the checkpoint a training run will resume from or
    load, before mmengine does (the one reader behind ``--resume PATH``,
    ``--resume``, ``load_from=``; ``pretrained_encoder.checkpoint=`` and
    ``tools/test.py`` use the same :func:`~ussl_mm.utils.checkpoint.
    read_checkpoint`).

    * resume: :func:`~ussl_mm.utils.checkpoint.check_resume_checkpoint`
      (readable, a training state, every key of the model);
    * ``load_from`` without resume: :func:`~ussl_mm.utils.checkpoint.
      check_load_from`, strict unless ``load_from_strict=False``.

    Args:
        runner (mmengine.runner.Runner): The built runner (its model).
        cfg (Config): Its config.

    Raises:
        FileNotFoundError, CheckpointReadError, RuntimeError: Naming the
            file, what is wrong and what to do.
    """
    path = cfg.get('load_from')
    if cfg.get('resume'):
        if not path:
            path = latest_checkpoint(runner.work_dir)
        if path:
            check_resume_checkpoint(runner.model, path, cfg.filename)
    elif path:
        check_load_from(runner.model, path,
                        strict=bool(cfg.get('load_from_strict', True)),
                        config=cfg.filename)


def build_test_runner(args: argparse.Namespace):
    """The Runner of a ``tools/test.py`` command line, with the checkpoint
    loaded strictly (:func:`~ussl_mm.utils.load_checkpoint_strict`): a
    checkpoint of another architecture is refused, not evaluated
    half-random. Run it with :func:`run_test`.

    Args:
        args (argparse.Namespace): From :func:`parse_test_args`.

    Returns:
        mmengine.runner.Runner: The runner.
    """
    runner = _runner_from_cfg(build_test_cfg(args))
    load_checkpoint_strict(runner.model, args.checkpoint, config=args.config)
    runner.tested_checkpoint = file_fingerprint(osp.abspath(args.checkpoint))
    runner.logger.info(
        f'Loaded {args.checkpoint} strictly (all keys match).')
    return runner


def _shutdown_dist() -> None:
    """Leave the process group together (multi-process runs only).

    A rank that exits while another still talks to it makes gloo abort the
    survivor ("Connection closed by peer", SIGABRT): every rank waits at a
    barrier, then the group is destroyed before the interpreter exits.
    """
    if is_distributed():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def run_train(runner) -> None:
    """``runner.train()``, then a clean multi-process shutdown.

    Args:
        runner (mmengine.runner.Runner): From :func:`build_train_runner`.
    """
    runner.train()
    _shutdown_dist()


def run_test(runner) -> Dict[str, float]:
    """``runner.test()``, then write ``<work_dir>/test_metrics.json``
    (atomically): the metrics, and under ``checkpoint`` the file scored
    (``path``, ``size``, ``sha256``), so that a reader can tell whether the
    numbers still belong to the checkpoint on disk.

    With several processes the metrics (computed once on the gathered
    results, identical on every rank) are written by rank 0 only.

    Args:
        runner (mmengine.runner.Runner): From :func:`build_test_runner`.

    Returns:
        dict[str, float]: The metrics.
    """
    metrics = {k: float(v) for k, v in runner.test().items()}
    if is_main_process():
        out = osp.join(runner.work_dir, METRICS_FILE)
        scored = getattr(runner, 'tested_checkpoint', None)
        atomic_write_json(
            out, dict(metrics, **{CHECKPOINT_KEY: scored}), indent=2)
        runner.logger.info(f'Metrics written to {out}')
    _shutdown_dist()
    return metrics


# ------------------------------------------------------------ command lines
def _format_value(value: Any) -> str:
    if value is None:
        return 'None'
    if isinstance(value, bool):
        return 'True' if value else 'False'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ','.join(_format_value(v) for v in value)
        if isinstance(value, tuple):
            # A 1-tuple needs its comma to stay a tuple.
            return f'({inner},)' if len(value) == 1 else f'({inner})'
        return f'[{inner}]'
    return str(value)


def _flatten(options: Dict[str, Any], prefix: str = '') -> Dict[str, Any]:
    flat = {}
    for key, value in options.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict):
            if '_delete_' in value:
                raise ValueError(
                    f'--cfg-options {name}: a dict with _delete_ replaces '
                    'a whole section, which the command line cannot say. '
                    'Put it in a config that inherits this one.')
            if not value:
                raise ValueError(
                    f'--cfg-options {name}: an empty dict cannot be given '
                    'on the command line.')
            flat.update(_flatten(value, name + '.'))
        else:
            flat[name] = value
    return flat


def _read_back(key: str, text: str) -> Any:
    """The value ``--cfg-options key=text`` gives, parsed by mmengine's
    ``DictAction`` through argparse, as the tools parse it."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options',
                              f'{key}={text}']).cfg_options[key]


def cfg_options_to_argv(options: Dict[str, Any]) -> List[str]:
    """``--cfg-options`` arguments that mmengine's ``DictAction`` parses back
    into ``options``.

    Nested dicts are written as dotted keys (``dict(train_cfg=dict(
    max_iters=2))`` -> ``train_cfg.max_iters=2``), which
    ``Config.merge_from_dict`` merges exactly as it merges the dict.

    Args:
        options (dict): ``{'a.b': value}`` overrides; values may be None,
            bool, int, float, str, (nested) lists/tuples of them, or dicts
            of them.

    Returns:
        list[str]: ``['a.b=value', ...]`` (empty if ``options`` is empty).

    Raises:
        ValueError: If a value cannot be written on a command line so that
            it reads back the same (a dict inside a list, a string with a
            comma, a space or brackets, a string that reads as a
            number/bool/None, a dict with ``_delete_``).
    """
    argv = []
    for key, value in _flatten(options).items():
        text = _format_value(value)
        back = _read_back(key, text)
        if back != value or type(back) is not type(value):
            raise ValueError(
                f'--cfg-options {key}={text} would be read back as {back!r} '
                f'({type(back).__name__}), not {value!r} '
                f'({type(value).__name__}). Avoid commas, spaces and '
                'brackets in strings, strings that look like numbers, and '
                'dicts inside lists.')
        argv.append(f'{key}={text}')
    return argv


def format_command(script: str, argv: Sequence[str]) -> str:
    """The shell command ``python <script> <argv>``, quoted for a POSIX
    shell (``shlex.split`` of it gives back ``argv``)."""
    return shlex.join(['python', script, *[str(a) for a in argv]])

