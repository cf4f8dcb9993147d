"""Run a label-efficiency study: pretrain, then fine-tune every
initialisation at every label fraction and seed, test, and report."""
import json
import os
import os.path as osp
import shlex
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..utils import enable_amp, load_checkpoint_strict, strip_collate_scope
from .spec import Initialisation, Pretraining, StudySpec


def _fmt_frac(frac: float) -> str:
    return f'{frac:g}'


def _cli(script: str, positional: Sequence[str], work_dir: str,
         options: Dict, amp: bool) -> str:
    """The equivalent command line, logged so any run can be repeated."""
    parts = ['python', script, *positional, '--work-dir', work_dir]
    if amp:
        parts.append('--amp')
    if options:
        parts.append('--cfg-options')
        parts += [f'{k}={v}' for k, v in options.items()]
    return ' '.join(shlex.quote(str(p)) for p in parts)


@dataclass
class FinetuneRun:
    """One cell of the study grid."""
    init: Initialisation
    fraction: float
    seed: int

    @property
    def name(self) -> str:
        return f'{self.init.name}_{_fmt_frac(self.fraction)}pct_seed{self.seed}'


class LabelEfficiencyStudy:
    """Fractions x seeds x initialisations, resumable.

    Every run lives in its own work dir under ``spec.work_dir``. A run whose
    ``done.json`` exists is skipped; a run interrupted after a checkpoint is
    resumed from it (``--resume`` semantics); the pretrained-encoder transfer
    is not re-applied on resume. Each run is built exactly like
    ``tools/train.py`` / ``tools/test.py`` build it, and the equivalent
    command line is logged.

    Args:
        spec (StudySpec): What to run.
        log (callable): Progress printer. Defaults to ``print``.
    """

    def __init__(self, spec: StudySpec, log: Callable[[str], None] = print):
        self.spec = spec
        self.log = log
        self._t0 = None
        self._done = 0

    # ------------------------------------------------------------------ plan
    def finetune_runs(self) -> List[FinetuneRun]:
        return [
            FinetuneRun(init, frac, seed)
            for frac in self.spec.label_fractions for seed in self.spec.seeds
            for init in self.spec.initialisations
        ]

    def _needed_pretrainings(self) -> List[Pretraining]:
        used = {i.pretrain for i in self.spec.initialisations}
        return [p for p in self.spec.pretrainings if p.name in used]

    def describe(self) -> str:
        pre = self._needed_pretrainings()
        runs = self.finetune_runs()
        lines = [
            f'Study {self.spec.name!r} in {self.spec.work_dir}: '
            f'{len(pre)} pretraining(s), {len(runs)} fine-tuning runs '
            f'({len(self.spec.initialisations)} inits x '
            f'{len(self.spec.label_fractions)} fractions x '
            f'{len(self.spec.seeds)} seeds), data {self.spec.data_root}'
        ]
        for p in pre:
            lines.append(f'  pretrain {p.name}: {p.config}')
        for r in runs:
            state = 'done' if self._is_done(self._run_dir(r)) else 'todo'
            lines.append(f'  [{state}] {r.name}: {r.init.config}')
        return '\n'.join(lines)

    # ------------------------------------------------------------- helpers
    def _run_dir(self, run: FinetuneRun) -> str:
        return osp.join(self.spec.work_dir, 'runs', run.name)

    @staticmethod
    def _is_done(work_dir: str) -> bool:
        return osp.isfile(osp.join(work_dir, 'done.json'))

    def _progress(self, msg: str, total: int):
        elapsed = time.time() - self._t0
        self.log(f'[study {self.spec.name}] ({self._done}/{total} done, '
                 f'{elapsed / 60:.1f} min) {msg}')

    @staticmethod
    def _set_data_root(cfg: Config, data_root: str):
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            loader = cfg.get(name)
            if not loader:
                continue
            ds = loader.get('dataset', {})
            # ConcatDataset/RepeatDataset wrap the real one.
            inner = ds.get('dataset', ds)
            if 'data_root' in inner:
                inner['data_root'] = data_root

    def _build_cfg(self, config: str, work_dir: str, options: Dict) -> Config:
        cfg = Config.fromfile(config)
        if options:
            cfg.merge_from_dict(options)
        strip_collate_scope(cfg)
        self._set_data_root(cfg, self.spec.data_root)
        cfg.work_dir = work_dir
        cfg.launcher = 'none'
        return cfg

    def _train(self, config: str, work_dir: str, options: Dict) -> str:
        """Train (or resume, or skip) one run; returns its final checkpoint."""
        done_file = osp.join(work_dir, 'done.json')
        if osp.isfile(done_file):
            with open(done_file, encoding='utf-8') as f:
                ckpt = json.load(f)['checkpoint']
            if osp.isfile(ckpt):
                self.log(f'  already trained: {ckpt}')
                return ckpt
        cfg = self._build_cfg(config, work_dir, options)
        if self.spec.amp:
            enable_amp(cfg, cuda=torch.cuda.is_available())
        cfg.resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        if cfg.resume:
            self.log(f'  resuming interrupted run in {work_dir}')
        self.log('  = ' + _cli('tools/train.py', [config], work_dir, {
            **options, 'resume': cfg.resume
        } if cfg.resume else options, self.spec.amp))
        runner = Runner.from_cfg(cfg)
        runner.train()
        with open(osp.join(work_dir, 'last_checkpoint'), encoding='utf-8') as f:
            ckpt = f.read().strip()
        os.makedirs(work_dir, exist_ok=True)
        with open(done_file, 'w', encoding='utf-8') as f:
            json.dump({'checkpoint': ckpt, 'iter': runner.iter}, f)
        return ckpt

    def _test(self, config: str, work_dir: str, options: Dict,
              checkpoint: str) -> Dict[str, float]:
        metrics_file = osp.join(work_dir, 'test_metrics.json')
        if osp.isfile(metrics_file):
            with open(metrics_file, encoding='utf-8') as f:
                return json.load(f)
        cfg = self._build_cfg(config, osp.join(work_dir, 'test'), options)
        cfg.load_from = None
        cfg.custom_hooks = [
            h for h in cfg.get('custom_hooks', [])
            if h.get('type') != 'PretrainedEncoderHook'
        ]
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, dict) and evaluator.get(
                'type') == 'PerClassIoUMetric':
            evaluator['per_image_file'] = osp.join(work_dir,
                                                   'per_image.json')
        self.log('  = ' + _cli('tools/test.py', [config, checkpoint],
                               work_dir, options, False))
        runner = Runner.from_cfg(cfg)
        load_checkpoint_strict(runner.model, checkpoint)
        metrics = {k: float(v) for k, v in runner.test().items()}
        with open(metrics_file, 'w', encoding='utf-8') as f:
            json.dump(metrics, f, indent=2)
        return metrics

    # ---------------------------------------------------------------- run
    def run(self) -> List[Dict]:
        """Run everything that is not done yet; returns one record per
        fine-tuning run (init, fraction, seed, metrics)."""
        self._t0 = time.time()
        os.makedirs(self.spec.work_dir, exist_ok=True)
        pre = self._needed_pretrainings()
        runs = self.finetune_runs()
        total = len(pre) + len(runs)
        self.log(self.describe())

        checkpoints = {}
        for p in pre:
            self._progress(f'pretraining {p.name} ({p.config})', total)
            wd = osp.join(self.spec.work_dir, 'pretrain', p.name)
            checkpoints[p.name] = self._train(p.config, wd, p.cfg_options)
            self._done += 1

        records = []
        for run in runs:
            self._progress(
                f'fine-tuning {run.init.name} on {_fmt_frac(run.fraction)}% '
                f'of the labels, seed {run.seed}', total)
            options = self.finetune_options(run, checkpoints)
            wd = self._run_dir(run)
            ckpt = self._train(run.init.config, wd, options)
            metrics = self._test(run.init.config, wd, options, ckpt)
            self._done += 1
            self.log(f'  -> {run.name}: ' + ', '.join(
                f'{k}={metrics[k]:.2f}' for k in self.spec.report_metrics
                if k in metrics))
            records.append(
                dict(
                    init=run.init.name,
                    label_fraction=run.fraction,
                    seed=run.seed,
                    work_dir=wd,
                    metrics=metrics))
        with open(
                osp.join(self.spec.work_dir, 'records.json'), 'w',
                encoding='utf-8') as f:
            json.dump(records, f, indent=1)
        self._progress('all runs finished', total)
        return records

    def finetune_options(self, run: FinetuneRun,
                         checkpoints: Dict[str, str]) -> Dict:
        """The ``--cfg-options`` of one fine-tuning run: the study's, then
        the initialisation's, then label fraction, seed and the pretraining
        checkpoint (these last always win)."""
        options = dict(self.spec.finetune_cfg_options)
        options.update(run.init.cfg_options)
        options['train_dataloader.dataset.label_fraction'] = run.fraction
        options['randomness.seed'] = run.seed
        if run.init.pretrain is not None:
            options.update(
                self._hook_options(run.init.config,
                                   checkpoints[run.init.pretrain],
                                   run.init.cfg_options))
        return options

    @staticmethod
    def _hook_options(config: str, checkpoint: str,
                      init_options: Optional[Dict] = None) -> Dict:
        """``--cfg-options`` that point the config's PretrainedEncoderHook at
        ``checkpoint``."""
        cfg = Config.fromfile(config)
        if init_options:
            cfg.merge_from_dict(init_options)
        hooks = cfg.get('custom_hooks', [])
        idx = [
            i for i, h in enumerate(hooks)
            if h.get('type') == 'PretrainedEncoderHook'
        ]
        if len(idx) != 1:
            raise ValueError(
                f'{config} is used with a pretraining, so it must have '
                f'exactly one PretrainedEncoderHook in custom_hooks; found '
                f'{len(idx)}.')
        return {f'custom_hooks.{idx[0]}.checkpoint': checkpoint}
