# Copyright (c) ussl_mm contributors. All rights reserved.
"""Checkpoints that survive a kill at any moment and resume bit-exactly."""
import bisect
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from ussl_mm.utils.atomic import (atomic_write_text, remove_stale_temp_files,
                                  replace_atomically, temp_path_for)
from ussl_mm.utils.random_state import get_rng_state, set_rng_state

#: Top-level checkpoint key of what a bit-exact resume needs besides
#: mmengine's entries.
RESUME_KEY = 'resume_state'


class _RestoreAfterSkip:
    """Wraps ``IterBasedTrainLoop.dataloader_iterator`` for a resumed run:
    the loop first draws ``skip`` batches to reach the checkpoint's position
    in the data (mmengine's own way to resume the sampler); the random state
    of the checkpoint is restored just before the first batch that is
    trained on, then the loop gets its own iterator back."""

    def __init__(self, loop, skip: int, state: Dict[str, Any],
                 source: str) -> None:
        self._loop = loop
        self._inner = loop.dataloader_iterator
        self._skip = skip
        self._state = state
        self._source = source

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip > 0:
            self._skip -= 1
            return next(self._inner)
        self._loop.dataloader_iterator = self._inner
        set_rng_state(self._state, self._source)
        return next(self._inner)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments, same files), made
    crash-safe and bit-exact on resume.

    Why not the library's hook: mmengine 0.10.7 removes the oldest
    checkpoint *before* it writes the new one, writes it in place, and
    updates ``last_checkpoint`` last; a run killed during a save (with
    ``max_keep_ckpts=1``, which the study uses) can be left with no complete
    checkpoint, or with a ``last_checkpoint`` that names a deleted file. Its
    checkpoints also lack the random state, so a resumed run draws other
    augmentations and dropout masks than the run that was not interrupted.
    This hook changes the order, never the content:

    1. every checkpoint (``iter_*.pth``, ``best_*.pth``) is written to a
       hidden temporary file in the same folder, ``fsync``-ed and renamed
       over its name (``os.replace``), so a file under a checkpoint name is
       always complete;
    2. ``last_checkpoint`` is then replaced the same way;
    3. only then are the checkpoints beyond ``max_keep_ckpts`` and the
       previous best checkpoint removed.

    Every checkpoint also holds, under ``resume_state``, the state of the
    ``random``, ``numpy``, ``torch`` (and CUDA) generators at the moment the
    next training batch is drawn, with the data position (batches drawn,
    batch size, sampler and its seed, world size, dataset length) and the
    torch thread count. On resume the loop reaches the position as mmengine
    does (it draws and drops the batches already trained on, so worker
    processes draw what they drew before); the generators are restored
    right before the first new batch. A resumed ``IterBasedTrainLoop`` run
    then ends with the weights of the run that was not interrupted, at the
    same thread count. (An ``EpochBasedTrainLoop`` run resumes bit-exactly
    at epoch boundaries, where its checkpoints are. With several processes
    the generators of rank 0 are saved and restored on every rank.)

    When a validation follows the iteration of a checkpoint, the checkpoint
    is written after that validation, so that it holds the validation's
    result (best score, best checkpoint) and the random state that the next
    batch sees; a run killed during the validation resumes from the
    previous checkpoint and validates again.

    Only local folders get the atomic writes; for another storage backend
    (``out_dir='s3://...'``) the library's behaviour is kept, with a
    warning.

    Args:
        **kwargs: As :class:`mmengine.hooks.CheckpointHook`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pending: Optional[Tuple[int, dict]] = None
        self._loaded_state: Optional[Dict[str, Any]] = None
        self._armed: Optional[Dict[str, Any]] = None
        self._atomic = True

    # ------------------------------------------------------------ training
    def before_train(self, runner) -> None:
        """Set up the folder (as the library does), remove temporary files
        a killed save left, and arm the restore of a resumed run's random
        state."""
        super().before_train(runner)
        self._atomic = isinstance(self.file_backend, LocalBackend)
        if not self._atomic:
            runner.logger.warning(
                f'AtomicCheckpointHook: {self.out_dir} is not a local folder '
                f'({type(self.file_backend).__name__}); checkpoints are '
                'written as mmengine writes them (in place, not atomically).')
        elif is_main_process():
            for folder in {self.out_dir, runner.work_dir}:
                for path in remove_stale_temp_files(folder):
                    runner.logger.info(
                        f'Removed {path}, left by a save that was killed.')
        self._arm_resume(runner)

    def before_train_epoch(self, runner) -> None:
        """Restore the resumed random state: for an iteration-based loop
        after it has skipped the batches already trained on, for an
        epoch-based one now."""
        state, self._armed = self._armed, None
        if state is None:
            return
        loop = runner.train_loop
        source = f'the checkpoint of iteration {runner.iter}'
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, runner.iter, state, source)
        else:
            set_rng_state(state, source)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Save every ``interval`` iterations and at the last one, as the
        library does; after the validation when one follows."""
        if not self._atomic:
            return super().after_train_iter(runner, batch_idx, data_batch,
                                            outputs)
        if self.by_epoch:
            return
        if self.every_n_train_iters(runner, self.interval,
                                    self.save_begin) or (
                                        self.save_last
                                        and self.is_last_train_iter(runner)):
            step = runner.iter + 1
            if self._validates_after(runner, step):
                runner.logger.info(
                    f'Saving checkpoint at {step} iterations (after its '
                    'validation)')
                self._pending = (step, dict(epoch=runner.epoch, iter=step))
                return
            runner.logger.info(f'Saving checkpoint at {step} iterations')
            self._save_checkpoint(runner)

    def after_train_epoch(self, runner) -> None:
        """Save every ``interval`` epochs and at the last one, as the
        library does; after the validation when one follows."""
        if not self._atomic:
            return super().after_train_epoch(runner)
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval, self.save_begin) or (
                self.save_last and self.is_last_train_epoch(runner)):
            step = runner.epoch + 1
            if self._validates_after(runner, step):
                runner.logger.info(
                    f'Saving checkpoint at {step} epochs (after its '
                    'validation)')
                self._pending = (step, dict(epoch=step, iter=runner.iter))
                return
            runner.logger.info(f'Saving checkpoint at {step} epochs')
            self._save_checkpoint(runner)

    def after_val_epoch(self, runner, metrics) -> None:
        """The best checkpoint (as the library), then the checkpoint of the
        iteration that waited for this validation, then the removal of the
        previous best one."""
        if not self._atomic:
            return super().after_val_epoch(runner, metrics)
        pending, self._pending = self._pending, None
        if not metrics:
            runner.logger.warning(
                'Since `metrics` is an empty dict, the behavior to save '
                'the best checkpoint will be skipped in this evaluation.')
            updated, old_best = False, []
        else:
            updated, old_best = self._save_best(runner, metrics)
        if pending is not None:
            self._save_checkpoint_with_step(runner, *pending)
        elif updated and self.last_ckpt is not None:
            # As the library: the iteration's checkpoint is written again so
            # that its message hub names the new best checkpoint.
            self._save_checkpoint_with_step(
                runner, runner.epoch if self.by_epoch else runner.iter,
                dict(epoch=runner.epoch, iter=runner.iter))
        self._remove(old_best)

    def after_train(self, runner) -> None:
        """Write a checkpoint still waiting for a validation that did not
        come, then publish as the library does."""
        self._flush_pending(runner)
        super().after_train(runner)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Write a checkpoint still waiting for a validation (a loop that
        validates without calling the hooks)."""
        self._flush_pending(runner)

    def _flush_pending(self, runner) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            runner.logger.warning(
                f'AtomicCheckpointHook: the validation after iteration '
                f'{pending[0]} did not report to the checkpoint hook; saving '
                'its checkpoint now.')
            self._save_checkpoint_with_step(runner, *pending)

    def _validates_after(self, runner, step: int) -> bool:
        """Whether the train loop validates right after iteration (or, for
        ``by_epoch`` checkpoints, epoch) ``step``: the condition of
        ``IterBasedTrainLoop.run`` / ``EpochBasedTrainLoop.run``, dynamic
        intervals included. False for any other pairing of checkpoint unit
        and loop (the checkpoint is then written at once, as the library
        does)."""
        loop = runner.train_loop
        if not self.by_epoch and isinstance(loop, IterBasedTrainLoop):
            last = loop.max_iters
        elif self.by_epoch and isinstance(loop, EpochBasedTrainLoop):
            last = loop.max_epochs
        else:
            return False
        if runner.val_loop is None:
            return False
        interval = loop.val_interval
        if getattr(loop, 'dynamic_milestones', None):
            i = bisect.bisect(loop.dynamic_milestones, step + 1)
            interval = loop.dynamic_intervals[i - 1]
        return step >= loop.val_begin and (step % interval == 0
                                           or step == last)

    # ---------------------------------------------------------------- save
    def _write(self, runner, filename: str, **kwargs) -> None:
        """``runner.save_checkpoint`` into a temporary file, then renamed
        over ``filename`` in ``out_dir``."""
        final = self.file_backend.join_path(self.out_dir, filename)
        tmp = temp_path_for(final)
        runner.save_checkpoint(
            self.out_dir,
            osp.basename(tmp),
            self.file_client_args,
            backend_args=self.backend_args,
            **kwargs)
        if is_main_process():
            replace_atomically(tmp, final)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._atomic:
            return super()._save_checkpoint_with_step(runner, step, meta)
        doomed = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                doomed.append(
                    self.file_backend.join_path(
                        self.out_dir, self.filename_tmpl.format(old)))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._write(
            runner,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            **self.args)
        if not is_main_process():
            return
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'),
                          self.last_ckpt)
        self._remove([p for p in doomed if p != self.last_ckpt])

    def _save_best(self, runner, metrics) -> Tuple[bool, List[str]]:
        """The library's ``_save_best_checkpoint`` without its two unsafe
        steps: the previous best file is returned for removal (after the
        caller has saved the checkpoint that stops naming it) instead of
        being removed before the new one exists, and the iteration's
        checkpoint is left to the caller.

        Returns:
            tuple[bool, list[str]]: Whether a best checkpoint was written,
            and the previous best files to remove.
        """
        if not self.save_best:
            return False, []
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        updated, old_best = False, []
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            key_score = metrics[key_indicator]
            if len(self.key_indicators) == 1:
                best_score_key = 'best_score'
                runtime_best_ckpt_key = 'best_ckpt'
                best_ckpt_path = self.best_ckpt_path
            else:
                best_score_key = f'best_score_{key_indicator}'
                runtime_best_ckpt_key = f'best_ckpt_{key_indicator}'
                best_ckpt_path = self.best_ckpt_path_dict[key_indicator]
            if best_score_key not in runner.message_hub.runtime_info:
                best_score = self.init_value_map[rule]
            else:
                best_score = runner.message_hub.get_info(best_score_key)
            if key_score is None or not self.is_better_than[key_indicator](
                    key_score, best_score):
                continue
            updated = True
            best_score = key_score
            runner.message_hub.update_info(best_score_key, best_score)
            best_ckpt_name = f'best_{key_indicator}_{ckpt_filename}'
            best_ckpt_name = best_ckpt_name.replace('/', '_')
            new_path = self.file_backend.join_path(self.out_dir,
                                                   best_ckpt_name)
            if best_ckpt_path and best_ckpt_path != new_path:
                old_best.append(best_ckpt_path)
            if len(self.key_indicators) == 1:
                self.best_ckpt_path = new_path
            else:
                self.best_ckpt_path_dict[key_indicator] = new_path
            runner.message_hub.update_info(runtime_best_ckpt_key, new_path)
            self._write(
                runner,
                best_ckpt_name,
                save_optimizer=False,
                save_param_scheduler=False,
                meta=meta,
                by_epoch=False)
            runner.logger.info(
                f'The best checkpoint with {best_score:0.4f} {key_indicator} '
                f'at {cur_time} {cur_type} is saved to {best_ckpt_name}.')
        return updated, old_best

    def _remove(self, paths: List[str]) -> None:
        if not is_main_process():
            return
        for path in paths:
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                # checkpoints saved by deepspeed are directories
                self.file_backend.rmtree(path)

    # ------------------------------------------------------- random state
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add the random state and the data position to every checkpoint
        (``checkpoint['resume_state']``)."""
        checkpoint[RESUME_KEY] = dict(
            rng=get_rng_state(),
            data=_data_position(runner, checkpoint['meta'].get('iter')),
            num_threads=torch.get_num_threads())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the random state of a loaded checkpoint; it is restored in
        ``before_train`` only if the run resumes (``runner.iter > 0``), not
        for a ``load_from`` that starts a new run."""
        self._loaded_state = checkpoint.get(RESUME_KEY)

    def _arm_resume(self, runner) -> None:
        state, self._loaded_state = self._loaded_state, None
        self._armed = None
        if runner.iter == 0 and runner.epoch == 0:
            return
        if state is None:
            runner.logger.warning(
                f'Resumed at iteration {runner.iter} from a checkpoint '
                'without a random state (written by mmengine\'s '
                'CheckpointHook, not AtomicCheckpointHook): training goes '
                'on, but its augmentations and dropout differ from a run '
                'that was not interrupted.')
            return
        now = _data_position(runner, runner.iter)
        then = state.get('data') or {}
        differ = [
            f'{k}: checkpoint {then.get(k)!r}, now {v!r}'
            for k, v in now.items() if k in then and then[k] != v
        ]
        if state.get('num_threads') not in (None, torch.get_num_threads()):
            differ.append(f'torch threads: checkpoint '
                          f'{state["num_threads"]}, now '
                          f'{torch.get_num_threads()}')
        if get_world_size() > 1:
            runner.logger.warning(
                f'Resuming {get_world_size()} processes: the checkpoint holds '
                'the random state of rank 0, which every rank restores (exact '
                'when the ranks draw alike, as mmengine seeds them unless '
                'randomness.diff_rank_seed=True).')
        if differ:
            runner.logger.warning(
                'This resume is not bit-exact: ' + '; '.join(differ) +
                '. Resume with the settings of the interrupted run (same '
                'config, processes and OMP_NUM_THREADS / '
                'torch.set_num_threads) to get its exact weights.')
        self._armed = state['rng']


def _data_position(runner, batches: Optional[int]) -> Dict[str, Any]:
    """Where the training data stream is: batches drawn, and what decides
    which samples they hold."""
    loader = runner.train_dataloader
    sampler = getattr(loader, 'sampler', None)
    batch_sampler = getattr(loader, 'batch_sampler', None)
    if sampler is None and batch_sampler is not None:
        sampler = getattr(batch_sampler, 'sampler', None)
    try:
        length = len(loader.dataset)
    except TypeError:
        length = None
    return dict(
        batches=batches,
        batch_size=getattr(loader, 'batch_size', None),
        sampler=type(sampler).__name__ if sampler is not None else None,
        seed=getattr(sampler, 'seed', None),
        world_size=get_world_size(),
        num_workers=getattr(loader, 'num_workers', None),
        dataset_length=length)

