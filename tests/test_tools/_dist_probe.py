"""Test-only hook for tests/test_tools/test_distributed.py (not a test).

Imported by the training/testing processes that ``torchrun`` starts: the
test puts this folder on ``PYTHONPATH`` and writes a child config that adds
this module to ``custom_imports`` and the hook to ``default_hooks`` (a dict,
so the config's own ``custom_hooks`` stay untouched). Each rank writes what
it saw; the test compares the ranks.
"""
import os
import os.path as osp
import re

import mmengine.runner.runner as mmengine_runner
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def param_digest(named_tensors):
    """``{name: [sum, sum of squares]}`` in fp64 of (name, tensor) pairs.

    Used on parameters, not buffers: mmengine's DDP runs with
    ``broadcast_buffers=False``, so BN statistics legitimately differ between
    ranks.
    """
    return {
        name: torch.stack([t.detach().double().sum(),
                           t.detach().double().pow(2).sum()])
        for name, t in named_tensors
    }


@HOOKS.register_module()
class DistProbeHook(Hook):
    """Record, per rank: the samples of every training batch, the keys the
    DenseCL model enqueues, the final queues, the checkpoints this process
    wrote, the parameters at the start and end of training.

    Dumps go to ``work_dir/probe/{train_from<iter>,test}_rank<R>.pth``.
    """

    priority = 'LOWEST'

    def __init__(self):
        self.record = dict(samples=[], keys=[], keys2=[], saved=[])

    def before_run(self, runner):
        rank, world_size = get_dist_info()
        self.record.update(rank=rank, world_size=world_size)
        self.record['backend'] = (
            torch_dist.get_backend() if torch_dist.is_initialized() else None)
        self.record['wrapped'] = type(runner.model).__name__
        # Runner.save_checkpoint is master_only; record what really writes.
        save = mmengine_runner.save_checkpoint
        saved = self.record['saved']

        def recording_save(checkpoint, filename, *args, **kwargs):
            # AtomicCheckpointHook writes `.<name>.<pid>.tmp`, then renames
            # it to <name>: record <name>.
            saved.append(re.sub(r'^\.(.+)\.\d+\.tmp$', r'\1',
                                osp.basename(filename)))
            return save(checkpoint, filename, *args, **kwargs)

        mmengine_runner.save_checkpoint = recording_save

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self.record['start_iter'] = runner.iter
        self.record['params_start'] = param_digest(model.named_parameters())
        for name, store in (('_dequeue_and_enqueue', 'keys'),
                            ('_dequeue_and_enqueue2', 'keys2')):
            enqueue = getattr(model, name, None)
            if enqueue is None:
                continue

            def recording_enqueue(keys, _enqueue=enqueue, _store=store):
                self.record[_store].append(keys.detach().clone())
                return _enqueue(keys)

            setattr(model, name, recording_enqueue)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self._record_samples(data_batch)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self._record_samples(data_batch)

    def _record_samples(self, data_batch):
        self.record['samples'].append([
            osp.basename(s.metainfo['img_path'])
            for s in data_batch['data_samples']
        ])

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self.record['end_iter'] = runner.iter
        self.record['params_end'] = param_digest(model.named_parameters())
        for name in ('queue', 'queue2', 'queue_ptr', 'queue2_ptr'):
            if hasattr(model, name):
                self.record[name] = getattr(model, name).detach().clone()
        self._dump(runner, f'train_from{self.record["start_iter"]}')

    def after_test(self, runner):
        self._dump(runner, 'test')

    def _dump(self, runner, phase):
        out_dir = osp.join(runner.work_dir, 'probe')
        os.makedirs(out_dir, exist_ok=True)
        torch.save(self.record,
                   osp.join(out_dir, f'{phase}_rank{self.record["rank"]}.pth'))
