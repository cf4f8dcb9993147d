"""Distributed training without CUDA: gloo on CPU, chosen from the machine.

One reason: mmengine 0.10.7's distributed path assumes a CUDA device in every
process. ``tools/dist_train.sh CONFIG 2`` on a CPU machine therefore dies in
both ranks before the first iteration, whatever ``env_cfg.dist_cfg.backend``
says::

    mmengine/dist/utils.py  _init_dist_pytorch -> torch.cuda.set_device
    RuntimeError: Found no NVIDIA driver on your system.

and, past that, ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to
``DistributedDataParallel``, which torch refuses for a CPU module, and
torch's ``SyncBatchNorm`` raises in training on a CPU tensor ("SyncBatchNorm
expected input tensor to be on GPU").

When this module is imported (``import ussl_mm`` does it, so both
``tools/train.py`` and ``tools/test.py`` get it) it wraps those three places.
With a CUDA device nothing changes (mmengine's nccl + ``cuda:LOCAL_RANK``).
Without one:

* the launchers (``pytorch`` = torchrun, ``slurm``, ``mpi``) run mmengine's
  own code minus the one ``torch.cuda.set_device`` call, with the backend
  ``nccl`` replaced by ``gloo`` (other backends are kept); the choice is
  logged (mmengine's logger prints INFO from rank 0 only) and the run's log
  file records the backend when the model is wrapped;
* ``MMDistributedDataParallel`` gets ``device_ids=None`` for a CPU module
  (torch's rule for CPU DDP);
* SyncBN layers (``sync_bn='torch'``/``'mmcv'`` or ``norm_cfg=dict(type=
  'SyncBN')``) are converted to BatchNorm with a WARNING: each process then
  normalises with the statistics of its own batch.
"""
import contextlib
import functools
import logging
from typing import Tuple

import torch
import torch.nn as nn
from mmengine.dist import utils as mmengine_dist_utils
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.model.wrappers import MMDistributedDataParallel

_PATCHED = '_ussl_mm_cpu_dist'


def dist_backend_and_device() -> Tuple[str, str]:
    """The torch.distributed backend and device type this machine supports.

    Returns:
        tuple[str, str]: ``('nccl', 'cuda')`` when a CUDA device is visible,
        ``('gloo', 'cpu')`` otherwise.
    """
    if torch.cuda.is_available():
        return 'nccl', 'cuda'
    return 'gloo', 'cpu'


def cpu_backend(backend: str) -> str:
    """The backend to use on a machine without CUDA.

    Args:
        backend (str): The configured backend (``env_cfg.dist_cfg.backend``).

    Returns:
        str: ``'gloo'`` for ``'nccl'`` (which needs CUDA), else ``backend``.
    """
    return 'gloo' if backend == 'nccl' else backend


@contextlib.contextmanager
def _without_cuda_set_device():
    """Make ``torch.cuda.set_device`` a no-op inside the block.

    Only entered when CUDA is unavailable, where the call can only fail.
    """
    set_device = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = set_device


def _cpu_aware_launcher(init_fn, launcher: str):
    """Wrap one of mmengine's ``_init_dist_<launcher>`` functions."""

    @functools.wraps(init_fn)
    def wrapper(backend, *args, **kwargs):
        if dist_backend_and_device()[1] == 'cuda':
            result = init_fn(backend, *args, **kwargs)
            print_log(
                f'ussl_mm: launcher {launcher!r}: torch.distributed backend '
                f'{backend!r}, device cuda:{torch.cuda.current_device()}; '
                f'rank {torch.distributed.get_rank()} of '
                f'{torch.distributed.get_world_size()}.',
                logger='current',
                level=logging.INFO)
            return result
        chosen = cpu_backend(backend)
        with _without_cuda_set_device():
            result = init_fn(chosen, *args, **kwargs)
        rank = torch.distributed.get_rank()
        world_size = torch.distributed.get_world_size()
        reason = (f" (env_cfg.dist_cfg.backend='{backend}' needs CUDA)"
                  if chosen != backend else '')
        print_log(
            f'ussl_mm: no CUDA device, launcher {launcher!r}: '
            f'torch.distributed backend {chosen!r} on CPU{reason}; '
            f'rank {rank} of {world_size}.',
            logger='current',
            level=logging.INFO)
        return result

    setattr(wrapper, _PATCHED, True)
    return wrapper


def _has_cuda_params(module: nn.Module) -> bool:
    return any(t.device.type != 'cpu'
               for t in list(module.parameters()) + list(module.buffers()))


def _count_sync_bn(module: nn.Module) -> int:
    types = [nn.SyncBatchNorm]
    try:
        from mmcv.ops import SyncBatchNorm as MMCVSyncBN
        types.append(MMCVSyncBN)
    except ImportError:  # mmcv without ops: only torch's SyncBN exists
        pass
    return sum(isinstance(m, tuple(types)) for m in module.modules())


def _cpu_aware_ddp_init(init_fn):
    """Wrap ``MMDistributedDataParallel.__init__`` for CPU modules."""

    @functools.wraps(init_fn)
    def wrapper(self, module, *args, **kwargs):
        if not _has_cuda_params(module):
            # torch: "device_ids ... only work with single-device/multiple-
            # device GPU modules"; a CPU module takes device_ids=None.
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
            if torch.distributed.is_initialized():
                # Logged here because the run's log file exists by now (the
                # launcher's message precedes the Runner's logger).
                print_log(
                    'ussl_mm: DistributedDataParallel on CPU, '
                    'torch.distributed backend '
                    f'{torch.distributed.get_backend()!r}, world size '
                    f'{torch.distributed.get_world_size()}.',
                    logger='current',
                    level=logging.INFO)
            n_sync = _count_sync_bn(module)
            if n_sync:
                print_log(
                    f'ussl_mm: {n_sync} SyncBatchNorm layers converted to '
                    'BatchNorm: SyncBN cannot synchronise CPU tensors (torch: '
                    '"SyncBatchNorm expected input tensor to be on GPU"). '
                    'Each process now normalises with the statistics of its '
                    'own batch (train_dataloader.batch_size), not of the '
                    'global batch. Use BN in the config (norm_cfg, no '
                    'sync_bn) to silence this.',
                    logger='current',
                    level=logging.WARNING)
                module = revert_sync_batchnorm(module)
        return init_fn(self, module, *args, **kwargs)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def patch_mmengine_for_cpu_dist() -> None:
    """Apply the CPU/gloo shim to mmengine (idempotent).

    mmengine's ``init_dist`` looks its launcher functions up in its module at
    call time, so replacing them there reaches ``Runner.setup_env``.
    """
    for launcher in ('pytorch', 'slurm', 'mpi'):
        name = f'_init_dist_{launcher}'
        init_fn = getattr(mmengine_dist_utils, name)
        if not getattr(init_fn, _PATCHED, False):
            setattr(mmengine_dist_utils, name,
                    _cpu_aware_launcher(init_fn, launcher))
    if not getattr(MMDistributedDataParallel.__init__, _PATCHED, False):
        MMDistributedDataParallel.__init__ = _cpu_aware_ddp_init(
            MMDistributedDataParallel.__init__)


patch_mmengine_for_cpu_dist()
