"""mmengine's DistributedDataParallel wrapper for a model on the CPU."""
import logging

import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


def _on_cpu(module: nn.Module) -> bool:
    return all(t.device.type == 'cpu'
               for t in list(module.parameters()) + list(module.buffers()))


def _count_sync_bn(module: nn.Module) -> int:
    types = [nn.SyncBatchNorm]
    try:
        from mmcv.ops import SyncBatchNorm as MMCVSyncBN
        types.append(MMCVSyncBN)
    except ImportError:  # mmcv without ops: only torch's SyncBN exists
        pass
    return sum(isinstance(m, tuple(types)) for m in module.modules())


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """:class:`~mmengine.model.MMDistributedDataParallel` that also wraps a
    model on the CPU (gloo).

    mmengine's ``Runner.wrap_model`` gives every ``DistributedDataParallel``
    subclass ``device_ids=[LOCAL_RANK]``, which torch refuses for a CPU
    module ("device_ids ... only work with single-device/multiple-device GPU
    modules"), and torch's ``SyncBatchNorm`` refuses CPU tensors in training
    ("SyncBatchNorm expected input tensor to be on GPU"). For a module whose
    parameters and buffers are all on the CPU, this wrapper therefore

    * passes ``device_ids=None`` and no ``output_device`` (torch's rule for
      CPU DDP), and
    * converts SyncBN layers (``sync_bn='torch'``/``'mmcv'``, or
      ``norm_cfg=dict(type='SyncBN')``) to BatchNorm with a WARNING: each
      process then normalises with the statistics of its own batch.

    A module on a GPU is wrapped exactly as by ``MMDistributedDataParallel``.
    The tools choose it on a machine without CUDA
    (:func:`ussl_mm.utils.setup_cpu_distributed`); a config may name it::

        model_wrapper_cfg = dict(
            type='CPUDistributedDataParallel', broadcast_buffers=False)

    Args:
        module (nn.Module): The model to wrap.
        detect_anomalous_params (bool): As in
            ``MMDistributedDataParallel``. Defaults to False.
        **kwargs: ``torch.nn.parallel.DistributedDataParallel`` arguments;
            ``device_ids`` and ``output_device`` are dropped for a CPU
            module.
    """

    def __init__(self,
                 module: nn.Module,
                 detect_anomalous_params: bool = False,
                 **kwargs):
        if _on_cpu(module):
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
            if torch_dist.is_initialized():
                # Logged here because the run's log file exists by now (the
                # process group was set up before the Runner's logger).
                print_log(
                    'ussl_mm: DistributedDataParallel on CPU, '
                    'torch.distributed backend '
                    f'{torch_dist.get_backend()!r}, world size '
                    f'{torch_dist.get_world_size()}.',
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
        super().__init__(
            module=module,
            detect_anomalous_params=detect_anomalous_params,
            **kwargs)
