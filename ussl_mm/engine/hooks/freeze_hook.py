# Copyright (c) ussl_mm contributors. All rights reserved.
"""Freeze a part of the model for the first iterations, then unfreeze it."""
from typing import List, Sequence, Union

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class FreezeThenUnfreezeHook(Hook):
    """Keep the parameters under ``prefixes`` frozen for ``freeze_iters``.

    Typically the transferred encoder, so that the randomly initialised
    decoder adapts first (the fine-tuning schedule of the inpainting
    study). While frozen, the parameters have ``requires_grad=False`` (no
    gradient, so the optimizer neither steps nor decays them) and their
    BatchNorm layers stay in eval mode, so that the running statistics stay
    the pretrained ones: a frozen encoder whose normalisation drifts is not
    frozen. At iteration ``freeze_iters`` both are restored. A run resumed
    inside the window is frozen again. Example::

        custom_hooks = [
            dict(type='PretrainedEncoderHook'),
            dict(type='FreezeThenUnfreezeHook', freeze_iters=1000,
                 prefixes=['backbone.encoder.']),
        ]

    For DDP set ``find_unused_parameters=True``.

    Args:
        freeze_iters (int): Number of iterations to keep the parameters
            frozen; 0 never freezes.
        prefixes (str | Sequence[str]): ``named_parameters`` prefixes of the
            frozen part. Defaults to 'backbone.'.
    """

    # After PretrainedEncoderHook (VERY_HIGH): freezes what it loaded.
    priority = 'HIGH'

    def __init__(self,
                 freeze_iters: int,
                 prefixes: Union[str, Sequence[str]] = 'backbone.') -> None:
        if int(freeze_iters) < 0:
            raise ValueError('FreezeThenUnfreezeHook: freeze_iters must be '
                             f'>= 0, got {freeze_iters}.')
        prefixes = (prefixes, ) if isinstance(prefixes, str) else tuple(
            prefixes)
        if not prefixes or not all(isinstance(p, str) and p
                                   for p in prefixes):
            raise ValueError('FreezeThenUnfreezeHook: prefixes must be '
                             f'non-empty strings, got {prefixes!r}.')
        self.freeze_iters = int(freeze_iters)
        self.prefixes = prefixes
        self.frozen = False

    def before_train(self, runner) -> None:
        """Freeze unless the run (or a resumed one) is past the window."""
        model = self._unwrap(runner.model)
        names = self._param_names(model)
        if not names:
            raise ValueError(
                f'FreezeThenUnfreezeHook: no parameter of '
                f'{type(model).__name__} starts with {self.prefixes}; first '
                f'parameters: {[n for n, _ in model.named_parameters()][:5]}.')
        if runner.iter < self.freeze_iters:
            self._set_frozen(model, True, runner.iter)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        """Unfreeze at ``freeze_iters``; keep frozen BN in eval mode."""
        if not self.frozen:
            return
        model = self._unwrap(runner.model)
        if runner.iter >= self.freeze_iters:
            self._set_frozen(model, False, runner.iter)
        else:
            # The train loop calls `model.train()` before every iteration.
            for module in self._norm_layers(model):
                module.eval()

    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    def _param_names(self, model: nn.Module) -> List[str]:
        return [n for n, _ in model.named_parameters()
                if n.startswith(self.prefixes)]

    def _norm_layers(self, model: nn.Module) -> List[nn.Module]:
        return [
            m for n, m in model.named_modules()
            if (n + '.').startswith(self.prefixes)
            and isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]

    def _set_frozen(self, model: nn.Module, frozen: bool, it: int) -> None:
        names = set(self._param_names(model))
        for name, param in model.named_parameters():
            if name in names:
                param.requires_grad_(not frozen)
        for module in self._norm_layers(model):
            module.train(not frozen and model.training)
        self.frozen = frozen
        action = (f'froze {len(names)} parameters under {self.prefixes} '
                  f'(BatchNorm in eval mode) until iter {self.freeze_iters}'
                  if frozen else
                  f'unfroze {len(names)} parameters under {self.prefixes}')
        print_log(f'FreezeThenUnfreezeHook: iter {it}: {action}.',
                  logger='current')
