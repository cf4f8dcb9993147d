"""Distributed runs without CUDA: gloo on CPU, chosen from the machine.

One reason: mmengine 0.10.7's distributed path assumes a CUDA device in every
process. ``tools/dist_train.sh CONFIG 2`` on a CPU machine dies in both ranks
before the first iteration, whatever ``env_cfg.dist_cfg.backend`` says
(mmengine's launchers call ``torch.cuda.set_device(LOCAL_RANK)``: "Found no
NVIDIA driver on your system"), and, past that, ``Runner.wrap_model`` passes
``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``, which torch
refuses for a CPU module.

Nothing here runs at import. The tools call :func:`setup_cpu_distributed`
(through :mod:`ussl_mm.apis.run`, which builds the Runner of
``tools/train.py`` and ``tools/test.py``) before the Runner is built. With a
CUDA device, or without ``--launcher``, it does nothing: mmengine's own nccl
+ ``cuda:LOCAL_RANK`` path runs. Without CUDA, in a multi-process run, it

* initialises the process group itself, as mmengine's launcher would
  (``pytorch`` = torchrun, ``slurm``, ``mpi``: the same environment
  variables), minus the CUDA device, with ``gloo`` in place of ``nccl``
  (other backends are kept). ``Runner.setup_env`` then finds the group
  initialised and leaves it as it is;
* sets ``model_wrapper_cfg`` to
  :class:`~ussl_mm.engine.model_wrappers.CPUDistributedDataParallel`
  (mmengine's ``MMDistributedDataParallel`` that accepts a CPU module and
  converts SyncBN to BN), with the arguments mmengine's default wrapping
  uses, unless the config names its own wrapper.
"""
import datetime
import logging
import os
import subprocess
from typing import Tuple

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log

#: The launchers of ``--launcher`` that start several processes.
LAUNCHERS = ('pytorch', 'slurm', 'mpi')


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


def _slurm_env(port=None) -> None:
    """Rank, world size and master of a Slurm task, as mmengine's slurm
    launcher sets them (``SLURM_PROCID``, ``SLURM_NTASKS``, the first node
    of ``SLURM_NODELIST``; ``port`` > ``MASTER_PORT`` > 29500)."""
    node_list = os.environ['SLURM_NODELIST']
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    # Without a GPU the local rank names no device; mmengine reads it.
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ['RANK'] = os.environ['SLURM_PROCID']


def _mpi_env() -> None:
    """Rank and world size of an Open MPI process, as mmengine's mpi
    launcher sets them (``MASTER_ADDR`` must be set; ``MASTER_PORT``
    defaults to 29500)."""
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError(
            '--launcher mpi: the environment variable MASTER_ADDR is not '
            'set. Export the address of rank 0 (e.g. MASTER_ADDR=$(hostname)'
            ' on one machine) before mpirun.')
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']


def init_cpu_process_group(launcher: str,
                           backend: str = 'nccl',
                           init_backend: str = 'torch',
                           port=None,
                           **kwargs) -> str:
    """Initialise torch.distributed on a machine without CUDA.

    mmengine's ``init_dist`` with the device step left out: the process
    group is read from the launcher's environment variables (``env://``)
    and nothing is moved to a CUDA device. The choice is logged (mmengine's
    logger prints INFO from rank 0 only).

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend (str): ``env_cfg.dist_cfg.backend``; ``'nccl'`` becomes
            ``'gloo'`` (:func:`cpu_backend`). Defaults to 'nccl'.
        init_backend (str): ``env_cfg.dist_cfg.init_backend``; only
            ``'torch'`` runs without CUDA. Defaults to 'torch'.
        port (int, optional): Master port of the slurm launcher
            (``env_cfg.dist_cfg.port``). Defaults to None.
        **kwargs: The rest of ``env_cfg.dist_cfg``, passed to
            ``torch.distributed.init_process_group``; ``timeout`` is in
            seconds, as in mmengine.

    Returns:
        str: The backend the group was initialised with.

    Raises:
        ValueError: If ``launcher`` or ``init_backend`` is not supported.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(
            f'--launcher {launcher!r}: expected one of {LAUNCHERS}.')
    if init_backend != 'torch':
        raise ValueError(
            f"env_cfg.dist_cfg.init_backend={init_backend!r} needs CUDA; "
            "on a machine without it, use 'torch' (the default).")
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    if launcher == 'slurm':
        _slurm_env(port)
    elif launcher == 'mpi':
        _mpi_env()
    chosen = cpu_backend(backend)
    torch_dist.init_process_group(backend=chosen, **kwargs)
    reason = (f" (env_cfg.dist_cfg.backend='{backend}' needs CUDA)"
              if chosen != backend else '')
    print_log(
        f'ussl_mm: no CUDA device, launcher {launcher!r}: '
        f'torch.distributed backend {chosen!r} on CPU{reason}; '
        f'rank {torch_dist.get_rank()} of {torch_dist.get_world_size()}.',
        logger='current',
        level=logging.INFO)
    return chosen


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a multi-process run on a machine without CUDA.

    Call it before the Runner is built (:mod:`ussl_mm.apis.run` does). It
    does nothing when ``cfg.launcher`` is ``'none'``, when a CUDA device is
    visible, or when the process group is already initialised. Otherwise it
    initialises the group (:func:`init_cpu_process_group`, from
    ``env_cfg.dist_cfg``) and, unless the config has its own
    ``model_wrapper_cfg``, sets it to ``CPUDistributedDataParallel`` with
    mmengine's default arguments (``broadcast_buffers=False``, the config's
    ``find_unused_parameters``), so the Runner's config dump records it.

    Args:
        cfg (Config): The run's config, modified in place.

    Returns:
        bool: Whether it initialised the process group.
    """
    launcher = cfg.get('launcher', 'none')
    if (launcher == 'none' or dist_backend_and_device()[1] == 'cuda'
            or torch_dist.is_initialized()):
        return False
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    init_cpu_process_group(launcher, **dist_cfg)
    return True
