# Copyright (c) ussl_mm contributors. All rights reserved.
"""Verified transfer of pretrained encoder weights into a fine-tuning model."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner.checkpoint import CheckpointLoader

_ADAPT_STEM_CHOICES = ('refuse', 'sum', 'mean')


@HOOKS.register_module()
class PretrainedEncoderHook(Hook):
    """Load pretrained encoder weights at train start, and prove they loaded.

    mmengine's ``load_from`` / ``init_cfg=dict(type='Pretrained')`` load
    non-strictly: a prefix mismatch or a ResNet vs ResNetV1c stem is logged as
    a warning and training silently starts from random weights (DenseCL#19:
    46.9 vs 69.4 mIoU; mmseg#695). This hook loads only the selected parts of
    a pretraining checkpoint and **raises** unless the transfer is complete:

    1. reads the checkpoint (``state_dict`` inside, or a bare dict; DDP
       ``module.`` prefixes are stripped);
    2. for every selected part (``mode``), copies the checkpoint tensors under
       ``src_prefix_map[part]`` (default: the same prefix) into the model
       tensors under ``parts[part]``;
    3. logs matched / missing / unexpected / ignored counts;
    4. raises ``RuntimeError`` naming the counts and the first offending keys
       when fewer than ``min_loaded_ratio`` of a part's tensors (parameters
       and buffers) loaded, when shapes disagree, or when the checkpoint part
       has keys the model lacks (another depth). A 1- vs 3-channel stem
       is adapted only when ``adapt_stem`` says how, and the adaptation is
       logged;
    5. reads the loaded tensors back, raises if they differ from the
       checkpoint, and warns when the checkpoint equals the current
       initialisation (e.g. saved from an untrained model with the same
       seed), since then "pretraining" changed nothing;
    6. optionally freezes the transferred parameters for ``freeze_iters``
       iterations and then unfreezes them.

    On resume (``--resume`` / ``resume=True`` that restored a checkpoint, or
    ``runner.iter > 0`` at ``before_train``) nothing is loaded: the resumed
    checkpoint already holds the fine-tuned weights. The freeze state is
    re-applied if the run resumes inside the frozen window.

    While frozen, the BatchNorm layers of the frozen parts are kept in eval
    mode, so that their running statistics stay the pretrained ones: a frozen
    encoder whose normalisation drifts is not frozen. They return to train
    mode when the parts are unfrozen.

    The hook runs in ``before_train``, i.e. after the runner has initialised
    the weights and loaded ``load_from`` / resumed (``Runner.train`` calls
    ``load_or_resume`` before the train loop's ``before_train``). Its
    priority is ``VERY_HIGH`` so that other ``before_train`` hooks (e.g.
    ``EMAHook``) see the transferred weights. For DDP with
    ``freeze_iters > 0`` set ``find_unused_parameters=True``.

    Example (the one switch that turns a from-scratch fine-tuning config into
    a pretrained one)::

        custom_hooks = [
            dict(type='PretrainedEncoderHook',
                 checkpoint='work_dirs/densecl/epoch_200.pth')
        ]

    Args:
        checkpoint (str): Path (or URL understood by mmengine's
            ``CheckpointLoader``) of the pretraining checkpoint.
        mode (str): '+'-joined names of the parts to transfer, e.g.
            ``'encoder'`` or ``'encoder+decoder'``. Every name must be a key
            of ``parts``. Defaults to 'encoder'.
        parts (dict, optional): Part name -> key prefix in the target model's
            ``state_dict`` (and in the checkpoint, unless ``src_prefix_map``
            renames it). Defaults to None, meaning
            ``dict(encoder='backbone.')``.
        src_prefix_map (dict, optional): Part name -> key prefix in the
            checkpoint, when it differs from the target prefix, e.g.
            ``dict(encoder='encoder_q.')``. Defaults to None (same prefix).
        min_loaded_ratio (float): Minimum share (0-1] of each part's target
            tensors that must be loaded with equal shape. Defaults to 1.0.
        adapt_stem (str): What to do with a 4-D weight whose shapes differ
            only in the input channels, 1 vs 3 (a grayscale vs RGB stem).
            ``'refuse'`` raises; ``'sum'`` preserves the response to a
            grayscale image replicated to 3 channels (3->1: sum over
            channels; 1->3: repeat and divide by 3); ``'mean'`` averages
            (3->1: mean; 1->3: repeat). Defaults to 'refuse'.
        allow_unexpected (bool): Accept checkpoint tensors under a part's
            prefix that the model does not have. By default they are an
            error: e.g. a ResNet-34 encoder loads every key of a ResNet-18
            with equal shapes, and only the extra keys reveal the wrong
            architecture. Defaults to False.
        freeze_iters (int): Keep the transferred parts frozen
            (``requires_grad=False``, BatchNorm in eval mode) for this many
            iterations, then unfreeze them. Defaults to 0 (never frozen).
        map_location (str): Passed to the checkpoint loader.
            Defaults to 'cpu'.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 checkpoint: str,
                 mode: str = 'encoder',
                 parts: Optional[Dict[str, str]] = None,
                 src_prefix_map: Optional[Dict[str, str]] = None,
                 min_loaded_ratio: float = 1.0,
                 adapt_stem: str = 'refuse',
                 allow_unexpected: bool = False,
                 freeze_iters: int = 0,
                 map_location: str = 'cpu') -> None:
        if not checkpoint or not isinstance(checkpoint, str):
            raise ValueError(
                'PretrainedEncoderHook: `checkpoint` must be the path of a '
                f'pretraining checkpoint, got {checkpoint!r}. Set it with '
                '--cfg-options custom_hooks.0.checkpoint=PATH.')
        parts = dict(encoder='backbone.') if parts is None else dict(parts)
        src_prefix_map = dict(src_prefix_map or {})
        selected = [p.strip() for p in str(mode).split('+') if p.strip()]
        unknown = [p for p in selected if p not in parts]
        if not selected or unknown:
            raise ValueError(
                f'PretrainedEncoderHook: mode={mode!r} names parts '
                f'{unknown or selected} that are not keys of '
                f'parts={parts}. Use a "+"-joined subset of '
                f'{sorted(parts)}, e.g. mode={next(iter(parts))!r}.')
        unknown_src = [p for p in src_prefix_map if p not in parts]
        if unknown_src:
            raise ValueError(
                f'PretrainedEncoderHook: src_prefix_map keys {unknown_src} '
                f'are not part names of parts={parts}.')
        if not 0.0 < float(min_loaded_ratio) <= 1.0:
            raise ValueError(
                'PretrainedEncoderHook: min_loaded_ratio must be in (0, 1], '
                f'got {min_loaded_ratio}.')
        if adapt_stem not in _ADAPT_STEM_CHOICES:
            raise ValueError(
                f'PretrainedEncoderHook: adapt_stem must be one of '
                f'{_ADAPT_STEM_CHOICES}, got {adapt_stem!r}.')
        if int(freeze_iters) < 0:
            raise ValueError('PretrainedEncoderHook: freeze_iters must be '
                             f'>= 0, got {freeze_iters}.')
        self.checkpoint = checkpoint
        self.mode = mode
        self.selected_parts = selected
        self.parts = parts
        self.src_prefix_map = src_prefix_map
        self.min_loaded_ratio = float(min_loaded_ratio)
        self.adapt_stem = adapt_stem
        self.allow_unexpected = bool(allow_unexpected)
        self.freeze_iters = int(freeze_iters)
        self.map_location = map_location
        self._frozen = False
        # Filled by `transfer`, for inspection and tests.
        self.report: Dict[str, dict] = {}

    # ------------------------------------------------------------------ hooks
    def before_train(self, runner) -> None:
        """Transfer the weights (unless resuming), then apply the freeze."""
        model = self._unwrap(runner.model)
        if self._is_resumed(runner):
            print_log(
                'PretrainedEncoderHook: resumed run (iter '
                f'{runner.iter}); NOT loading {self.checkpoint}, the resumed '
                'checkpoint already holds the fine-tuned weights.',
                logger='current')
        else:
            if getattr(runner, '_has_loaded', False):
                print_log(
                    'PretrainedEncoderHook: `load_from` was loaded, and the '
                    f'transfer from {self.checkpoint} now overwrites its '
                    f'parts {self.mode!r}. Remove one of the two if that is '
                    'not intended.',
                    logger='current',
                    level=30)
            self.transfer(model)
        if runner.iter < self.freeze_iters:
            self._set_frozen(model, True, runner.iter)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        """Unfreeze at ``freeze_iters``; keep frozen BN in eval mode."""
        if not self._frozen:
            return
        model = self._unwrap(runner.model)
        if runner.iter >= self.freeze_iters:
            self._set_frozen(model, False, runner.iter)
        else:
            # The train loop calls `model.train()` before every iteration.
            for module in self._frozen_norm_layers(model):
                module.eval()

    # ------------------------------------------------------------- transfer
    def transfer(self, model: nn.Module) -> Dict[str, dict]:
        """Load the selected parts of ``self.checkpoint`` into ``model``.

        Args:
            model (nn.Module): The (unwrapped) target model.

        Returns:
            dict: Per part, the counts and key lists of the transfer.

        Raises:
            FileNotFoundError: If the checkpoint file does not exist.
            RuntimeError: If a part loaded less than ``min_loaded_ratio`` of
                its tensors, if shapes disagree, or if the read-back check
                fails.
        """
        src = self._load_source_state_dict()
        target = model.state_dict()
        used_src_keys = set()
        new_values: Dict[str, torch.Tensor] = OrderedDict()
        for part in self.selected_parts:
            tgt_prefix = self.parts[part]
            src_prefix = self.src_prefix_map.get(part, tgt_prefix)
            tgt_keys = [k for k in target if k.startswith(tgt_prefix)]
            if not tgt_keys:
                raise RuntimeError(
                    f'PretrainedEncoderHook: the model has no state_dict key '
                    f'starting with {tgt_prefix!r} (part {part!r}). First '
                    f'model keys: {list(target)[:5]}. Fix `parts` in the '
                    'hook config.')
            src_part = {
                k[len(src_prefix):]: v
                for k, v in src.items() if k.startswith(src_prefix)
            }
            matched, missing, mismatched, adapted = [], [], [], []
            for tkey in tgt_keys:
                name = tkey[len(tgt_prefix):]
                if name not in src_part:
                    missing.append(tkey)
                    continue
                value = src_part[name]
                tshape = tuple(target[tkey].shape)
                if tuple(value.shape) != tshape:
                    value = self._maybe_adapt_stem(value, tshape)
                    if value is None:
                        mismatched.append(
                            f'{tkey}: checkpoint '
                            f'{tuple(src_part[name].shape)} vs model {tshape}')
                        continue
                    adapted.append(
                        f'{tkey}: {tuple(src_part[name].shape)} -> {tshape}')
                new_values[tkey] = value
                matched.append(tkey)
                used_src_keys.add(src_prefix + name)
            unexpected = [
                src_prefix + n for n in src_part
                if tgt_prefix + n not in target
            ]
            ratio = len(matched) / len(tgt_keys)
            self.report[part] = dict(
                matched=matched,
                missing=missing,
                mismatched=mismatched,
                unexpected=unexpected,
                adapted=adapted,
                total=len(tgt_keys),
                ratio=ratio)
            print_log(
                f'PretrainedEncoderHook: part {part!r} ({src_prefix!r} -> '
                f'{tgt_prefix!r}) from {self.checkpoint}: matched '
                f'{len(matched)}/{len(tgt_keys)} ({100 * ratio:.1f}%), '
                f'missing {len(missing)}, shape mismatches '
                f'{len(mismatched)}, unexpected {len(unexpected)}.',
                logger='current')
            for item in adapted:
                print_log(
                    f'PretrainedEncoderHook: adapted stem with '
                    f'adapt_stem={self.adapt_stem!r}: {item}',
                    logger='current',
                    level=30)
            if mismatched or ratio < self.min_loaded_ratio or (
                    unexpected and not self.allow_unexpected):
                raise RuntimeError(self._shortfall_message(part))

        ignored = len(set(src) - used_src_keys)
        print_log(
            f'PretrainedEncoderHook: {ignored} checkpoint tensors outside '
            f'the transferred parts ({self.mode!r}) were ignored (e.g. the '
            'pretraining neck, momentum encoder, queues).',
            logger='current')

        before = {k: target[k].detach().clone() for k in new_values}
        model.load_state_dict(new_values, strict=False)
        self._verify(model, new_values, before)
        return self.report

    # -------------------------------------------------------------- helpers
    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    @staticmethod
    def _is_resumed(runner) -> bool:
        """Whether the runner restored a training state.

        ``resume=True`` with an empty work_dir (auto-resume finding no
        checkpoint) starts a fresh run at iter 0 and loads nothing, so it
        must still transfer; hence ``_resume`` counts only together with
        ``_has_loaded`` (set by ``Runner.load_or_resume``).
        """
        if runner.iter > 0:
            return True
        return bool(getattr(runner, '_resume', False)) and bool(
            getattr(runner, '_has_loaded', False))

    def _load_source_state_dict(self) -> Dict[str, torch.Tensor]:
        path = self.checkpoint
        if '://' not in path and not osp.isfile(path):
            raise FileNotFoundError(
                f'PretrainedEncoderHook: checkpoint {path!r} does not exist. '
                'Run the pretraining first, or point the hook at its '
                'checkpoint with --cfg-options '
                'custom_hooks.0.checkpoint=PATH (overriding a top-level '
                'variable such as `pretrained_ckpt` does not reach the hook).')
        ckpt = CheckpointLoader.load_checkpoint(
            path, map_location=self.map_location)
        if not isinstance(ckpt, dict):
            raise RuntimeError(
                f'PretrainedEncoderHook: {path} holds a {type(ckpt).__name__}'
                ', expected a dict (a state_dict, or a checkpoint with a '
                '"state_dict" entry).')
        state = ckpt.get('state_dict', ckpt)
        state = {k: v for k, v in state.items() if torch.is_tensor(v)}
        if state and all(k.startswith('module.') for k in state):
            state = {k[len('module.'):]: v for k, v in state.items()}
        if not state:
            raise RuntimeError(
                f'PretrainedEncoderHook: {path} contains no tensors.')
        return state

    def _maybe_adapt_stem(self, value: torch.Tensor,
                          tshape: Sequence[int]) -> Optional[torch.Tensor]:
        """Return ``value`` adapted to ``tshape``, or None if not allowed."""
        if self.adapt_stem == 'refuse' or value.dim() != 4 or \
                len(tshape) != 4:
            return None
        sshape = tuple(value.shape)
        same_rest = sshape[0] == tshape[0] and sshape[2:] == tuple(tshape[2:])
        if not same_rest:
            return None
        if sshape[1] == 3 and tshape[1] == 1:
            reduce = value.sum if self.adapt_stem == 'sum' else value.mean
            return reduce(dim=1, keepdim=True)
        if sshape[1] == 1 and tshape[1] == 3:
            value = value.repeat(1, 3, 1, 1)
            return value / 3.0 if self.adapt_stem == 'sum' else value
        return None

    def _shortfall_message(self, part: str) -> str:
        rep = self.report[part]
        src_prefix = self.src_prefix_map.get(part, self.parts[part])
        fixes = []
        if rep['unexpected'] and not self.allow_unexpected:
            fixes.append(
                f'the checkpoint has {len(rep["unexpected"])} tensors under '
                f'{src_prefix!r} that the model lacks: it was pretrained '
                'with a different architecture (e.g. depth); match it, or '
                'set allow_unexpected=True if the extra keys are harmless')
        if rep['mismatched']:
            fixes.append(
                'shapes disagree: pretrain and fine-tune the same '
                'architecture (depth, plain vs deep stem, in_channels); for '
                'a 1- vs 3-channel stem set adapt_stem="sum" or "mean"')
        if rep['missing']:
            fixes.append(
                f'keys are missing: check that the checkpoint stores the '
                f'part under {src_prefix!r} (set src_prefix_map) and that '
                'both stages use the same backbone type (e.g. mmpretrain '
                'ResNet and mmseg ResNet with deep_stem=False, not '
                'ResNetV1c)')
        return (
            f'PretrainedEncoderHook: loaded {len(rep["matched"])}/'
            f'{rep["total"]} ({100 * rep["ratio"]:.1f}%) parameters and '
            f'buffers of part {part!r} (prefix {self.parts[part]!r}) from '
            f'{self.checkpoint}; need >= {100 * self.min_loaded_ratio:.0f}%'
            f' and no shape mismatch'
            f'{"" if self.allow_unexpected else " or unexpected key"}'
            f'. Missing in checkpoint (first 5): {rep["missing"][:5]}; '
            f'shape mismatches (first 5): {rep["mismatched"][:5]}; '
            f'unexpected in checkpoint (first 5): {rep["unexpected"][:5]}. '
            f'Fix: {"; ".join(fixes) or "lower min_loaded_ratio"}.')

    def _verify(self, model: nn.Module, loaded: Dict[str, torch.Tensor],
                before: Dict[str, torch.Tensor]) -> None:
        after = model.state_dict()
        not_loaded = [
            k for k, v in loaded.items()
            if not torch.equal(after[k].cpu(), v.to(after[k].dtype).cpu())
        ]
        if not_loaded:
            raise RuntimeError(
                'PretrainedEncoderHook: after load_state_dict, '
                f'{len(not_loaded)} tensors differ from {self.checkpoint} '
                f'(first 5: {not_loaded[:5]}). Something overwrote them.')
        floats = [k for k in loaded if after[k].is_floating_point()]
        changed = [k for k in floats if not torch.equal(after[k], before[k])]
        print_log(
            f'PretrainedEncoderHook: {len(changed)}/{len(floats)} '
            'floating-point tensors changed value by the transfer.',
            logger='current')
        if floats and not changed:
            print_log(
                f'PretrainedEncoderHook: the checkpoint {self.checkpoint} '
                'equals the current initialisation of the model: the '
                'transfer changed nothing. Was the checkpoint saved from an '
                'untrained model with the same seed?',
                logger='current',
                level=30)
        self.report['changed'] = dict(changed=len(changed), total=len(floats))

    def _frozen_param_names(self, model: nn.Module) -> List[str]:
        prefixes = tuple(self.parts[p] for p in self.selected_parts)
        return [
            n for n, _ in model.named_parameters() if n.startswith(prefixes)
        ]

    def _frozen_norm_layers(self, model: nn.Module) -> List[nn.Module]:
        prefixes = tuple(self.parts[p] for p in self.selected_parts)
        return [
            m for n, m in model.named_modules()
            if (n + '.').startswith(prefixes)
            and isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]

    def _set_frozen(self, model: nn.Module, frozen: bool, it: int) -> None:
        names = set(self._frozen_param_names(model))
        for name, param in model.named_parameters():
            if name in names:
                param.requires_grad_(not frozen)
        for module in self._frozen_norm_layers(model):
            module.train(not frozen and model.training)
        self._frozen = frozen
        action = (f'froze {len(names)} parameters of {self.mode!r} (BatchNorm'
                  f' in eval mode) until iter {self.freeze_iters}')
        if not frozen:
            action = f'unfroze {len(names)} parameters of {self.mode!r}'
        print_log(
            f'PretrainedEncoderHook: iter {it}: {action}.', logger='current')
