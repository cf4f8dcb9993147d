"""Run a label-efficiency study: pretrain, then fine-tune every
initialisation at every label fraction and seed, test, and record.

Every run is a ``tools/train.py`` / ``tools/test.py`` command line. The study
builds the command line, logs it, and runs it in-process through the very
parser and builder of the tools (:mod:`ussl_mm.apis.run`): pasting a logged
command reproduces the run (a new process costs ~5 s of imports, which the
quickstart cannot afford per run).
"""
import copy
import math
import os
import os.path as osp
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from ..apis import (build_test_runner, build_train_runner, cfg_options_to_argv,
                    format_command, load_cfg, parse_test_args,
                    parse_train_args, run_test)
from ..apis.run import (CHECKPOINT_KEY, CLINICAL_FILE, METRICS_FILE,
                        leaf_datasets)
from ..utils.atomic import atomic_write_json, file_fingerprint
from .data import (count_train_images, labelled_batch_size,
                   labelled_dataset_key, normalisation_options,
                   pretrain_subset_options, study_data_stats)
from .spec import Initialisation, Pretraining, StudySpec
from .records import (done_problem, metrics_problem, read_record,
                      run_outputs, set_aside)
from .stale import check_run_current

TRAIN_SCRIPT = 'tools/train.py'
TEST_SCRIPT = 'tools/test.py'


def _fmt(x: float) -> str:
    return f'{x:g}'


def _scaled_milestones(sched: Dict, old_max: int,
                       iters: int) -> Optional[List[int]]:
    """Iteration milestones of ``sched`` at the same fraction of ``iters``
    as they were of ``old_max`` (None when it has none, counts epochs, or
    nothing moves): a step decay at 90 % of 500 iterations stays at 90 %
    of 2000, instead of leaving 78 % of the run at the decayed rate."""
    milestones = sched.get('milestones')
    if not milestones or sched.get('by_epoch', True) or iters == old_max:
        return None
    return [max(1, int(round(m * iters / old_max))) for m in milestones]


@dataclass
class PretrainRun:
    """One pretraining at one size of the unlabelled pool (% of it)."""
    pretrain: Pretraining
    size: float

    @property
    def key(self) -> str:
        return f'{self.pretrain.name}@{_fmt(self.size)}'

    @property
    def name(self) -> str:
        if self.size == 100:
            return self.pretrain.name
        return f'{self.pretrain.name}_data{_fmt(self.size)}pct'


@dataclass
class FinetuneRun:
    """One cell of the study grid.

    ``pretrain_size`` is the pretraining-set size (% of the unlabelled pool)
    of a pretrained row, None for a row without pretraining.
    """
    init: Initialisation
    fraction: float
    seed: int
    pretrain_size: Optional[float] = None

    @property
    def name(self) -> str:
        data = '' if self.pretrain_size in (None, 100) else \
            f'_data{_fmt(self.pretrain_size)}pct'
        return (f'{self.init.name}{data}_{_fmt(self.fraction)}pct_'
                f'seed{self.seed}')

    @property
    def pretrain_key(self) -> Optional[str]:
        if self.init.pretrain is None:
            return None
        return f'{self.init.pretrain}@{_fmt(self.pretrain_size)}'


class LabelEfficiencyStudy:
    """Fractions x seeds x initialisations (x pretraining-set sizes),
    resumable.

    Every run lives in its own work dir under ``spec.work_dir``. A run whose
    ``done.json`` still describes its files (the checkpoint it names exists
    with the recorded size and SHA-256, and was trained from the same
    pretrained checkpoint) is skipped, and so is a test whose
    ``test_metrics.json`` scored that checkpoint; a record that no longer
    matches is redone and logged as ``redone`` (:mod:`ussl_mm.study.
    records`). Every other run is started with ``--resume``, mmengine's own
    mechanism: it continues from the latest checkpoint of its work dir
    (bit-exactly, ``AtomicCheckpointHook``), or starts fresh when there is
    none (and the transfer hook transfers nothing into a resumed run).
    Every record is written atomically.

    Args:
        spec (StudySpec): What to run.
        log (callable): Progress printer. Defaults to ``print``.
    """

    def __init__(self, spec: StudySpec, log: Callable[[str], None] = print):
        self.spec = spec
        self.log = log
        self._t0 = time.time()
        self._done = 0
        self._stats: Optional[Dict] = None
        self._facts: Dict[str, Dict] = {}
        self._cfgs: Dict[tuple, object] = {}
        self._labelled_keys: Dict[str, str] = {}
        self._fps: Dict[tuple, Dict] = {}

    # ------------------------------------------------------------------ plan
    @property
    def main_size(self) -> float:
        """The pretraining-set size of the main table (100 % when studied,
        else the largest)."""
        sizes = self.spec.pretrain_data.sizes
        return 100.0 if 100 in sizes else max(sizes)

    def pretrain_runs(self) -> List[PretrainRun]:
        """The pretrainings the initialisations need, at every size."""
        used = {i.pretrain for i in self.spec.initialisations}
        return [
            PretrainRun(p, float(size)) for p in self.spec.pretrainings
            if p.name in used for size in self.spec.pretrain_data.sizes
        ]

    def finetune_runs(self) -> List[FinetuneRun]:
        """Every fine-tuning run: fraction x seed x initialisation; a
        pretrained initialisation once per pretraining-set size."""
        runs = []
        for frac in self.spec.label_fractions:
            for seed in self.spec.seeds:
                for init in self.spec.initialisations:
                    if init.pretrain is None:
                        runs.append(FinetuneRun(init, frac, seed))
                        continue
                    for size in self.spec.pretrain_data.sizes:
                        runs.append(
                            FinetuneRun(init, frac, seed, float(size)))
        return runs

    def describe(self) -> str:
        """A listing of the plan (``--dry-run``)."""
        pre = self.pretrain_runs()
        runs = self.finetune_runs()
        lines = [
            f'Study {self.spec.name!r} in {self.spec.work_dir}: '
            f'{len(pre)} pretraining(s), {len(runs)} fine-tuning runs '
            f'({len(self.spec.initialisations)} inits x '
            f'{len(self.spec.label_fractions)} fractions x '
            f'{len(self.spec.seeds)} seeds'
            + (f' x {len(self.spec.pretrain_data.sizes)} pretraining-set '
               'sizes for pretrained inits'
               if len(self.spec.pretrain_data.sizes) > 1 else '')
            + f'), data {self.spec.data_root}'
            + ''.join(f'; also tested on {name} ({root})'
                      for name, root in self.spec.extra_test_sets.items())
        ]
        for p in pre:
            state = 'done' if self._is_done(self._pretrain_dir(p)) \
                else 'todo'
            lines.append(f'  [{state}] pretrain {p.name}: '
                         f'{p.pretrain.config}')
        for r in runs:
            state = 'done' if self._is_done(self.run_dir(r)) else 'todo'
            what = r.init.config or f'kind={r.init.kind}'
            lines.append(f'  [{state}] {r.name}: {what}')
        return '\n'.join(lines)

    # ------------------------------------------------------------- helpers
    def run_dir(self, run: FinetuneRun) -> str:
        """Work dir of a fine-tuning run."""
        return osp.join(self.spec.work_dir, 'runs', run.name)

    def _pretrain_dir(self, prun: PretrainRun) -> str:
        return osp.join(self.spec.work_dir, 'pretrain', prun.name)

    @staticmethod
    def _is_done(work_dir: str) -> bool:
        return osp.isfile(osp.join(work_dir, 'done.json'))

    def _progress(self, msg: str, total: int) -> None:
        elapsed = time.time() - self._t0
        self.log(f'[study {self.spec.name}] ({self._done}/{total} done, '
                 f'{elapsed / 60:.1f} min) {msg}')

    def data_stats(self) -> Optional[Dict]:
        """The data's own mean/std (None when ``study.data_stats`` is
        off)."""
        if not self.spec.data_stats:
            return None
        if self._stats is None:
            self._stats = study_data_stats(
                self.spec, self.log, dataset_cfg=self._train_dataset_cfg())
        return self._stats

    def _train_dataset_cfg(self) -> Optional[Dict]:
        """The first fine-tuning row's train dataset (for the statistics'
        mask values and suffixes), or None when no row has a config."""
        for init in self.spec.initialisations:
            if init.config:
                cfg = self._cfg(init.config, init.cfg_options)
                leaves = list(leaf_datasets(cfg.train_dataloader.dataset))
                return leaves[0] if leaves else None
        return None

    def _stats_options(self, config: str, options: Dict,
                       wanted: bool) -> Dict:
        stats = self.data_stats()
        if stats is None or not wanted:
            return {}
        cfg = self._cfg(config, options)
        return normalisation_options(cfg, stats, config)

    def _cfg(self, config: str, options: Optional[Dict]):
        """:func:`~ussl_mm.apis.load_cfg` on the study's data, memoised (a
        config with ``mmseg::`` bases takes ~0.5 s to parse); a copy."""
        key = (config, repr(sorted((options or {}).items())))
        if key not in self._cfgs:
            self._cfgs[key] = load_cfg(config, options or None,
                                       self.spec.data_root)
        return copy.deepcopy(self._cfgs[key])

    def _labelled_key(self, config: str) -> str:
        """:func:`labelled_dataset_key` of a config as written (the
        dataset layout needs neither the data nor the overrides), memoised."""
        if config not in self._labelled_keys:
            self._labelled_keys[config] = labelled_dataset_key(
                load_cfg(config))
        return self._labelled_keys[config]

    def _common_argv(self, work_dir: str, options: Dict,
                     data_root: Optional[str] = None) -> List[str]:
        argv = ['--work-dir', work_dir, '--data-root',
                data_root or self.spec.data_root]
        if options:
            argv += ['--cfg-options', *cfg_options_to_argv(options)]
        return argv

    # ------------------------------------------------------- command lines
    def pretrain_argv(self, prun: PretrainRun) -> List[str]:
        """The ``tools/train.py`` arguments of a pretraining."""
        p = prun.pretrain
        options = dict(p.cfg_options)
        options.update(self._stats_options(p.config, options, p.data_stats))
        if prun.size != 100:
            cfg = self._cfg(p.config, options)
            options.update(
                pretrain_subset_options(
                    cfg, prun.size, self.spec.pretrain_data.seed,
                    self.spec.pretrain_data.extra_roots,
                    osp.join(self.spec.work_dir, 'pretrain_data'),
                    p.config))
        argv = [p.config, '--resume']
        if self.spec.amp:
            argv.append('--amp')
        return argv + self._common_argv(self._pretrain_dir(prun), options)

    def model_options(self, run: FinetuneRun,
                      checkpoints: Dict[str, str]) -> Dict:
        """The ``--cfg-options`` that define a fine-tuning run's model and
        data (used by its training and its test): the study's, the data's
        normalisation, the initialisation's, then label fraction, seed and
        the pretraining checkpoint (these last always win)."""
        init = run.init
        options = dict(self.spec.finetune_cfg_options)
        options.update(init.cfg_options)
        stats = self._stats_options(init.config, options, init.data_stats)
        labelled = self._labelled_key(init.config)
        options = {
            **self.spec.finetune_cfg_options,
            **stats,
            **init.cfg_options,
            f'{labelled}.label_fraction': run.fraction,
            'randomness.seed': run.seed,
        }
        if run.pretrain_key is not None:
            options['pretrained_encoder.checkpoint'] = checkpoints[
                run.pretrain_key]
        return options

    def train_facts(self, run: FinetuneRun, options: Dict) -> Dict:
        """Training images of the run's label fraction and batch size."""
        if run.name not in self._facts:
            cfg = self._cfg(run.init.config, options)
            self._facts[run.name] = dict(
                n_train=count_train_images(cfg),
                batch_size=labelled_batch_size(cfg))
        return self._facts[run.name]

    def schedule_options(self, run: FinetuneRun, options: Dict) -> Dict:
        """The ``--cfg-options`` of the study's schedule for one run.

        Iterations ``min(max_iters, max(min_iters, ceil(epochs * n /
        batch)))`` with ``n`` the run's training images; parameter
        schedulers that ended at the config's ``max_iters`` end at the new
        one, and iteration milestones (``MultiStepLR``) move with it, at the
        same fraction of the training; ``num_vals`` validations;
        checkpoints at every validation and the best one kept
        (``save_best``).

        Raises:
            ValueError: The config has no iteration-based ``train_cfg``, no
                validation, or a validation metric without the
                ``save_best`` key.
        """
        sch = self.spec.schedule_of(run.init)
        config = run.init.config
        cfg = self._cfg(config, options)
        train_cfg = cfg.get('train_cfg') or {}
        old_max = train_cfg.get('max_iters')
        if old_max is None:
            raise ValueError(
                f'{config}: the study schedule needs an iteration-based '
                f'train_cfg with max_iters (IterBasedTrainLoop); got '
                f'{dict(train_cfg)}.')
        out = {}
        iters = int(old_max)
        if sch.epochs is not None:
            facts = self.train_facts(run, options)
            n, batch = facts['n_train'], facts['batch_size']
            iters = max(int(sch.min_iters),
                        int(math.ceil(sch.epochs * n / batch)))
            if sch.max_iters is not None:
                iters = min(iters, int(sch.max_iters))
            out['train_cfg.max_iters'] = iters
            for i, sched in enumerate(cfg.get('param_scheduler') or []):
                for key in ('end', 'T_max', 'total_iters'):
                    if sched.get(key) == old_max:
                        out[f'param_scheduler.{i}.{key}'] = iters
                scaled = _scaled_milestones(sched, old_max, iters)
                if scaled is not None:
                    out[f'param_scheduler.{i}.milestones'] = scaled
        interval = max(1, int(math.ceil(iters / sch.num_vals)))
        out['train_cfg.val_interval'] = interval
        out['default_hooks.checkpoint.interval'] = interval
        out['default_hooks.checkpoint.by_epoch'] = False
        out['default_hooks.checkpoint.max_keep_ckpts'] = 1
        if sch.save_best is not None:
            if cfg.get('val_dataloader') is None:
                raise ValueError(
                    f'{config} has no val_dataloader, so the best checkpoint '
                    'on validation cannot be chosen. Add one, or set '
                    'study.schedule.save_best=None to test the last '
                    'checkpoint.')
            evaluator = cfg.get('val_evaluator')
            metrics = evaluator.get('iou_metrics') if isinstance(
                evaluator, dict) else None
            if metrics is not None and 'm' + sch.save_best.lstrip(
                    'm') not in metrics:
                raise ValueError(
                    f'{config}: study.schedule.save_best='
                    f'{sch.save_best!r} but val_evaluator.iou_metrics is '
                    f'{list(metrics)}. Add it, e.g. --cfg-options '
                    "val_evaluator.iou_metrics=[mIoU,mDice] in the row's "
                    'cfg_options, or change save_best.')
            out['default_hooks.checkpoint.save_best'] = sch.save_best
            out['default_hooks.checkpoint.rule'] = sch.rule
        else:
            out['default_hooks.checkpoint.save_best'] = None
        return out

    def finetune_argv(self, run: FinetuneRun,
                      checkpoints: Dict[str, str]) -> List[str]:
        """The ``tools/train.py`` arguments of a fine-tuning run."""
        options = self.model_options(run, checkpoints)
        options.update(self.schedule_options(run, options))
        argv = [run.init.config, '--resume']
        amp = self.spec.amp if run.init.amp is None else run.init.amp
        if amp:
            argv.append('--amp')
        return argv + self._common_argv(self.run_dir(run), options)

    def test_argv(self,
                  run: FinetuneRun,
                  checkpoints: Dict[str, str],
                  checkpoint: str,
                  test_set: Optional[str] = None) -> List[str]:
        """The ``tools/test.py`` arguments of a fine-tuning run's test:
        the model options of its training, per-image results into the run
        dir. ``test_set`` names an entry of ``study.extra_test_sets`` to
        test on instead of ``study.data_root`` (into ``test_<name>/`` and
        ``per_image_<name>.json``)."""
        suffix = '' if test_set is None else f'_{test_set}'
        options = self.model_options(run, checkpoints)
        cfg = self._cfg(run.init.config, options)
        evaluator = cfg.get('test_evaluator')
        metrics = list(evaluator) if isinstance(evaluator,
                                                (list, tuple)) else [evaluator]
        for i, metric in enumerate(metrics):
            if isinstance(metric, dict) and str(metric.get(
                    'type', '')).split('.')[-1] == 'PerClassIoUMetric':
                key = 'test_evaluator' + (f'.{i}' if isinstance(
                    evaluator, (list, tuple)) else '')
                options[f'{key}.per_image_file'] = osp.join(
                    self.run_dir(run), f'per_image{suffix}.json')
        argv = [run.init.config, checkpoint]
        if self.spec.clinical:
            argv.append('--clinical')
        return argv + self._common_argv(
            osp.join(self.run_dir(run), 'test' + suffix), options,
            None if test_set is None else self.spec.extra_test_sets[test_set])

    # ----------------------------------------------------------- execution
    def _fingerprint(self, path: str) -> Dict:
        """:func:`~ussl_mm.utils.atomic.file_fingerprint`, memoised while
        the file keeps its size and modification time."""
        st = os.stat(path)
        key = (osp.abspath(path), st.st_size, st.st_mtime_ns)
        if key not in self._fps:
            self._fps[key] = file_fingerprint(path)
        return dict(self._fps[key], path=path)

    def _train(self, argv: List[str], work_dir: str,
               extra: Optional[Dict] = None,
               inputs: Optional[Dict[str, Dict]] = None) -> Dict:
        """Run one ``tools/train.py`` command line in-process, or skip it
        when its ``done.json`` still describes its files; returns that
        record (plus ``extra``).

        A ``done.json`` whose checkpoint no longer exists or changed, or
        whose input checkpoints (``inputs``, e.g. the pretrained encoder)
        changed since, is redone from scratch (the old files are moved to
        ``stale_<time>/`` and the log says ``redone``); an unreadable one
        stops the study, naming the file to delete.
        """
        done_file = osp.join(work_dir, 'done.json')
        command = format_command(TRAIN_SCRIPT, argv)
        if osp.isfile(done_file):
            done = read_record(
                done_file, ('checkpoint', 'command'),
                f'Delete {done_file}: the study then resumes the run from '
                f'its last checkpoint (or trains it again) and tests it '
                'again.')
            problem = done_problem(done, inputs, self._fingerprint)
            if problem is None:
                check_run_current(argv, work_dir, done, command)
                if 'checkpoint_file' not in done:
                    # A record of an earlier version: tie it to its file.
                    done['checkpoint_file'] = self._fingerprint(
                        done['checkpoint'])
                    atomic_write_json(done_file, done)
                self.log(f'  already trained: {done["checkpoint"]}')
                return done
            self._redo(work_dir, problem)
        for attempt in range(2):
            done = self._run_train(argv, work_dir, command, extra, inputs)
            if osp.isfile(done['checkpoint']) or attempt:
                break
            # Resumed at its end, from a work dir whose checkpoint was
            # deleted: the checkpoint can only be made again from scratch.
            self._redo(
                work_dir, f'its training state names the checkpoint '
                f'{done["checkpoint"]}, which does not exist')
        if not osp.isfile(done['checkpoint']):
            raise FileNotFoundError(
                f'{work_dir}: training finished but its checkpoint '
                f'{done["checkpoint"]} does not exist. Delete {work_dir} '
                'and run the study again.')
        done['checkpoint_file'] = self._fingerprint(done['checkpoint'])
        atomic_write_json(done_file, done)
        return done

    def _redo(self, work_dir: str, problem: str) -> None:
        self.log(f'  redone: {work_dir}: {problem}; training it again from '
                 'the start')
        set_aside(work_dir, run_outputs(work_dir), self.log)

    def _run_train(self, argv: List[str], work_dir: str, command: str,
                   extra: Optional[Dict],
                   inputs: Optional[Dict[str, Dict]]) -> Dict:
        self.log('  $ ' + command)
        t0 = time.time()
        runner = build_train_runner(parse_train_args(argv))
        runner.train()
        hub = runner.message_hub
        last = hub.get_info('last_ckpt')
        if last is None:
            with open(osp.join(work_dir, 'last_checkpoint'),
                      encoding='utf-8') as f:
                last = f.read().strip()
        best = hub.get_info('best_ckpt')
        match = re.search(r'iter_(\d+)', osp.basename(best or ''))
        return dict(
            checkpoint=best or last,
            last_checkpoint=last,
            best_checkpoint=best,
            best_iter=int(match.group(1)) if match else None,
            best_score=hub.get_info('best_score'),
            iters=int(runner.iter),
            command=command,
            config_dump=osp.join(work_dir, osp.basename(argv[0])),
            minutes=round((time.time() - t0) / 60, 2),
            inputs=inputs or {},
            **(extra or {}))

    def _test(self, argv: List[str], work_dir: str, checkpoint: Dict,
              test_dir: str = 'test') -> Dict[str, float]:
        """Run one ``tools/test.py`` command line in-process, or reuse its
        ``test_metrics.json`` when it scored ``checkpoint`` (a
        fingerprint); returns the metrics."""
        metrics_file = osp.join(work_dir, test_dir, METRICS_FILE)
        if osp.isfile(metrics_file):
            record = read_record(
                metrics_file, (),
                f'Delete {metrics_file}: the study then tests the run '
                'again.')
            problem = metrics_problem(record, checkpoint, CHECKPOINT_KEY)
            if problem is None:
                return {k: v for k, v in record.items()
                        if k != CHECKPOINT_KEY}
            self.log(f'  redone: the test in {osp.dirname(metrics_file)}: '
                     f'{problem}')
        self.log('  $ ' + format_command(TEST_SCRIPT, argv))
        return run_test(build_test_runner(parse_test_args(argv)))

    def _external(self, run: FinetuneRun) -> Dict:
        """A row produced by an external adapter: ``kind='nnunet'`` runs
        :func:`ussl_mm.baselines.run_nnunet_row` (nnU-Net 2D, scored with
        our metrics) in ``runs/<name>``."""
        wd = self.run_dir(run)
        done_file = osp.join(wd, 'done.json')
        if osp.isfile(done_file):
            return read_record(
                done_file, ('metrics', ),
                f'Delete {done_file}: the study then runs the row again.')
        from ussl_mm.baselines import nnunet_available, run_nnunet_row
        if not nnunet_available():
            raise RuntimeError(
                f'{self.spec.source}: initialisation {run.init.name!r} has '
                f"kind='nnunet', which needs the nnU-Net extra (nnunetv2), "
                "not installed here. Install it with pip install '.[nnunet]' "
                'or remove the row from study.initialisations.')
        options = dict(run.init.options)
        if self.spec.clinical and 'evaluator' not in options:
            options['evaluator'] = [
                dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice']),
                dict(type='ClinicalMetric',
                     per_image_file=osp.join(wd, CLINICAL_FILE)),
            ]
        call = (f'ussl_mm.baselines.run_nnunet_row(data_root='
                f'{self.spec.data_root!r}, work_dir={wd!r}, label_fraction='
                f'{run.fraction:g}, seed={run.seed}, **{options!r})')
        self.log('  ' + call)
        result = run_nnunet_row(
            data_root=self.spec.data_root,
            work_dir=wd,
            label_fraction=run.fraction,
            seed=run.seed,
            **options)
        info = result.get('nnunet') or {}
        epochs = info.get('num_epochs')
        per_epoch = info.get('iterations_per_epoch')
        per_image = osp.join(wd, 'per_image.json')
        clinical = osp.join(wd, CLINICAL_FILE)
        done = dict(
            metrics={
                k: float(v)
                for k, v in result['metrics'].items()
                if isinstance(v, (int, float))
            },
            per_image_file=per_image if osp.isfile(per_image) else None,
            clinical_file=clinical if osp.isfile(clinical) else None,
            command=call,
            commands=result.get('commands'),
            epochs=epochs,
            iters=epochs * per_epoch if epochs and per_epoch else None,
            batch_size=info.get('batch_size'),
            n_train=(result.get('num_cases') or {}).get('train'))
        atomic_write_json(done_file, done)
        return done

    def run(self) -> List[Dict]:
        """Run everything that is not done yet.

        Returns:
            list[dict]: One record per fine-tuning run (also written to
            ``records.json``): ``init``, ``label_fraction``, ``seed``,
            ``pretrain_size``, ``work_dir``, ``metrics``, ``per_image_file``
            and the training facts (``iters``, ``epochs``, ``n_train``,
            ``best_iter``, commands, config dump).
        """
        self._t0 = time.time()
        for name, root in self.spec.extra_test_sets.items():
            if not osp.isdir(root):
                # Before any training: the tests run after each fine-tuning.
                raise FileNotFoundError(
                    f'{self.spec.source}: study.extra_test_sets.{name}: no '
                    f'data set at {root}. Every fine-tuned model is also '
                    'tested on its test split: give the root of a data set '
                    'laid out like study.data_root, or remove the entry.')
        os.makedirs(self.spec.work_dir, exist_ok=True)
        pre = self.pretrain_runs()
        runs = self.finetune_runs()
        total = len(pre) + len(runs)
        self.log(self.describe())

        checkpoints = {}
        self.pretrain_records = []
        for p in pre:
            self._progress(f'pretraining {p.name} ({p.pretrain.config})',
                           total)
            wd = self._pretrain_dir(p)
            done = self._train(self.pretrain_argv(p), wd)
            checkpoints[p.key] = done['last_checkpoint']
            self.pretrain_records.append(
                dict(name=p.pretrain.name, size=p.size, work_dir=wd,
                     checkpoint=done['last_checkpoint'],
                     command=done['command'], iters=done['iters']))
            self._done += 1
        self.checkpoints = checkpoints

        records = []
        for run in runs:
            self._progress(
                f'{run.init.name} on {_fmt(run.fraction)}% of the labels, '
                f'seed {run.seed}' + (
                    '' if run.pretrain_size in (None, 100) else
                    f', pretrained on {_fmt(run.pretrain_size)}% of the '
                    'unlabelled pool'), total)
            if run.init.kind == 'mmseg':
                record = self._finetune_and_test(run, checkpoints)
            else:
                record = self._external_record(run)
            self._done += 1
            self.log(f'  -> {run.name}: ' + ', '.join(
                f'{k}={record["metrics"][k]:.2f}'
                for k in self.spec.report_metrics
                if k in record['metrics']))
            records.append(record)
        atomic_write_json(osp.join(self.spec.work_dir, 'records.json'),
                          records)
        self._progress('all runs finished', total)
        return records

    def _record(self, run: FinetuneRun, **kwargs) -> Dict:
        return dict(
            init=run.init.name,
            label_fraction=run.fraction,
            seed=run.seed,
            pretrain_size=run.pretrain_size,
            work_dir=self.run_dir(run),
            **kwargs)

    def _finetune_and_test(self, run: FinetuneRun,
                           checkpoints: Dict[str, str]) -> Dict:
        wd = self.run_dir(run)
        argv = self.finetune_argv(run, checkpoints)
        facts = self.train_facts(run, self.model_options(run, checkpoints))
        inputs = None
        if run.pretrain_key is not None:
            inputs = dict(pretrained_encoder=self._fingerprint(
                checkpoints[run.pretrain_key]))
        done = self._train(argv, wd, facts, inputs)
        done.setdefault('epochs', done['iters'] * facts['batch_size'] /
                        max(facts['n_train'], 1))
        scored = done['checkpoint_file']
        test_argv = self.test_argv(run, checkpoints, done['checkpoint'])
        metrics = self._test(test_argv, wd, scored)
        per_image = osp.join(wd, 'per_image.json')
        clinical = osp.join(wd, 'test', CLINICAL_FILE)
        extra_tests = {}
        for name in self.spec.extra_test_sets:
            argv = self.test_argv(run, checkpoints, done['checkpoint'], name)
            extra_per_image = osp.join(wd, f'per_image_{name}.json')
            extra_tests[name] = dict(
                metrics=self._test(argv, wd, scored, f'test_{name}'),
                per_image_file=extra_per_image
                if osp.isfile(extra_per_image) else None,
                test_command=format_command(TEST_SCRIPT, argv))
        return self._record(
            run,
            metrics=metrics,
            per_image_file=per_image if osp.isfile(per_image) else None,
            clinical_file=clinical if osp.isfile(clinical) else None,
            checkpoint=done['checkpoint'],
            iters=done['iters'],
            epochs=done['epochs'],
            n_train=facts['n_train'],
            batch_size=facts['batch_size'],
            best_iter=done.get('best_iter'),
            best_score=done.get('best_score'),
            train_command=done['command'],
            test_command=format_command(TEST_SCRIPT, test_argv),
            extra_tests=extra_tests,
            config_dump=done.get('config_dump'),
            minutes=done.get('minutes'))

    def _external_record(self, run: FinetuneRun) -> Dict:
        done = self._external(run)
        return self._record(
            run,
            metrics=done['metrics'],
            per_image_file=done.get('per_image_file'),
            clinical_file=done.get('clinical_file'),
            iters=done.get('iters'),
            epochs=done.get('epochs'),
            n_train=done.get('n_train'),
            batch_size=done.get('batch_size'),
            train_command=done.get('command'))

    # ---------------------------------------------------------------- t-SNE
    def run_tsne(self) -> List[Dict]:
        """t-SNE of each pretraining's encoder vs the same encoder randomly
        initialised, on ``study.tsne.split`` (PNG/NPZ/CSV in
        ``<work_dir>/tsne``). Uses the fine-tuning config of the first
        initialisation that consumes the pretraining (its data, size and
        normalisation). Files that exist are reused.

        Returns:
            list[dict]: ``name``, ``pretrained`` and ``random`` (each
            ``png``, ``knn_accuracy``, ``majority``).
        """
        import numpy as np

        from ..apis.tsne import encoder_tsne
        if not self.spec.tsne.enabled:
            return []
        out = []
        for p in self.pretrain_runs():
            if p.size != self.main_size:
                continue
            init = next(i for i in self.spec.initialisations
                        if i.pretrain == p.pretrain.name and i.kind == 'mmseg')
            run = FinetuneRun(init, 100.0, self.spec.seeds[0], p.size)
            cfg = load_cfg(init.config,
                           self.model_options(run, self.checkpoints),
                           self.spec.data_root)
            backbone = str(cfg.model.backbone.get('type', ''))
            index = 0 if backbone.split('.')[-1] == 'UNet' else -1
            entry = dict(name=p.pretrain.name)
            for which, ckpt in (('pretrained', self.checkpoints[p.key]),
                                ('random', 'random')):
                png = osp.join(self.spec.work_dir, 'tsne',
                               f'{p.pretrain.name}_{which}.png')
                npz = osp.splitext(png)[0] + '.npz'
                if not (osp.isfile(png) and osp.isfile(npz)):
                    self.log(f'[study {self.spec.name}] t-SNE of the '
                             f'{which} {p.pretrain.name} encoder')
                    encoder_tsne(
                        cfg, ckpt, [self.spec.tsne.split], png,
                        feature_index=index,
                        perplexity=self.spec.tsne.perplexity,
                        max_images=self.spec.tsne.max_images)
                data = np.load(npz)
                knn = float(data['knn_accuracy'])
                eff = data['effusion'].astype(float)
                entry[which] = dict(
                    png=png,
                    knn_accuracy=None if np.isnan(knn) else knn,
                    majority=float(max(eff.mean(), 1 - eff.mean())))
            out.append(entry)
        return out

