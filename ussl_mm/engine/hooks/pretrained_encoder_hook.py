# Copyright (c) ussl_mm contributors. All rights reserved.
"""Verified transfer of pretrained encoder weights into a fine-tuning model."""
import logging
from typing import Dict, Optional

import torch.nn as nn
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ussl_mm.utils.checkpoint import transfer_weights

CFG_KEY = 'pretrained_encoder'
_OPTIONS = ('checkpoint', 'mode', 'prefix_map', 'min_loaded_ratio',
            'adapt_stem', 'allow_unexpected', 'map_location')
_MODES = ('encoder', 'encoder+decoder')


def resolve_prefix_map(model: nn.Module,
                       mode: Optional[str] = None,
                       prefix_map: Optional[Dict[str, str]] = None
                       ) -> Dict[str, str]:
    """The prefix map of a transfer, given as ``prefix_map`` or ``mode``.

    ``mode`` is a shorthand for the usual maps, so that a sweep can switch
    it from the command line (``--cfg-options`` cannot write a dict):

    * ``'encoder'`` (the default): ``{'backbone.encoder.':
      'backbone.encoder.'}`` when the backbone is an encoder-decoder (it has
      ``backbone.encoder.*`` and ``backbone.decoder.*`` tensors, e.g. mmseg's
      ``UNet``), else ``{'backbone.': 'backbone.'}`` (ResNet: the backbone
      is the encoder);
    * ``'encoder+decoder'``: ``{'backbone.': 'backbone.'}``, only for an
      encoder-decoder backbone.

    Args:
        model (nn.Module): The target model.
        mode (str, optional): ``'encoder'`` or ``'encoder+decoder'``.
            Defaults to None.
        prefix_map (dict, optional): Checkpoint prefix -> model prefix.
            Defaults to None.

    Returns:
        dict: The prefix map.

    Raises:
        ValueError: If both are given, or ``mode`` is unknown or does not fit
            the model.
    """
    if prefix_map is not None:
        if mode is not None:
            raise ValueError(
                f'{CFG_KEY}: give `prefix_map` ({prefix_map}) or `mode` '
                f'({mode!r}), not both: `mode` is a shorthand for a '
                'prefix_map.')
        return dict(prefix_map)
    mode = 'encoder' if mode is None else mode
    if mode not in _MODES:
        raise ValueError(f'{CFG_KEY}.mode must be one of {_MODES}, got '
                         f'{mode!r}.')
    keys = model.state_dict().keys()
    enc_dec = any(k.startswith('backbone.encoder.') for k in keys) and any(
        k.startswith('backbone.decoder.') for k in keys)
    if mode == 'encoder+decoder' and not enc_dec:
        raise ValueError(
            f"{CFG_KEY}.mode='encoder+decoder' needs an encoder-decoder "
            'backbone (backbone.encoder.* and backbone.decoder.* tensors, '
            f'e.g. UNet); {type(model).__name__} has none. Use '
            "mode='encoder' (the whole backbone).")
    if mode == 'encoder' and enc_dec:
        return {'backbone.encoder.': 'backbone.encoder.'}
    return {'backbone.': 'backbone.'}


@HOOKS.register_module()
class PretrainedEncoderHook(Hook):
    """Load pretrained encoder weights at train start, and prove they loaded.

    mmengine's ``load_from`` / ``init_cfg=dict(type='Pretrained')`` load
    non-strictly: a prefix mismatch or a ResNet vs ResNetV1c stem is logged as
    a warning and training silently starts from random weights (DenseCL#19:
    46.9 vs 69.4 mIoU; mmseg#695). This hook reads the top-level config dict
    ``pretrained_encoder`` and calls
    :func:`ussl_mm.utils.checkpoint.transfer_weights`, which copies the
    checkpoint's tensors through one prefix map, logs matched / missing /
    unexpected counts, refuses shape mismatches (a 1- vs 3-channel stem only
    with ``adapt_stem``) and any shortfall, reads the tensors back, and warns
    when the checkpoint equals the initialisation. Example::

        pretrained_encoder = dict(checkpoint='work_dirs/densecl/epoch_200.pth')
        custom_hooks = [dict(type='PretrainedEncoderHook')]

    Keys of ``pretrained_encoder`` (override any with ``--cfg-options
    pretrained_encoder.KEY=VALUE``):

    * ``checkpoint`` (str, required): path or URL of the pretraining
      checkpoint;
    * ``mode`` (str) or ``prefix_map`` (dict, checkpoint prefix -> model
      prefix): what to load, see :func:`resolve_prefix_map`. Defaults to
      ``mode='encoder'``;
    * ``min_loaded_ratio`` (float, default 1.0), ``adapt_stem`` ('refuse',
      'sum' or 'mean'; default 'refuse'), ``allow_unexpected`` (bool,
      default False), ``map_location`` (default 'cpu'): see
      :func:`~ussl_mm.utils.checkpoint.transfer_weights`.

    ``pretrained_encoder = None`` makes the config a deliberate from-scratch
    run: the hook logs it and loads nothing. A config with the hook but
    without the key is an error. On resume (``runner.iter > 0`` at
    ``before_train``) nothing is loaded: the resumed checkpoint already holds
    the fine-tuned weights.

    The hook runs in ``before_train``, after the runner initialised the
    weights and loaded ``load_from`` or resumed. Its priority is
    ``VERY_HIGH`` so that other ``before_train`` hooks (e.g. ``EMAHook``,
    :class:`FreezeThenUnfreezeHook`) see the transferred weights.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        # Filled by `before_train`, for inspection and tests.
        self.report: dict = {}

    def before_train(self, runner) -> None:
        """Transfer the weights unless resuming or deliberately scratch."""
        options = pretrained_encoder_options(runner.cfg)
        if options is None:
            print_log(
                f'PretrainedEncoderHook: {CFG_KEY}=None, a deliberate '
                'from-scratch run: no pretrained weights are loaded.',
                logger='current')
            return
        if runner.iter > 0:
            print_log(
                f'PretrainedEncoderHook: resumed run (iter {runner.iter}); '
                f'NOT loading {options["checkpoint"]}, the resumed '
                'checkpoint already holds the fine-tuned weights.',
                logger='current')
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if hasattr(model, 'student') and hasattr(model, 'teacher'):
            # A semi-supervised model (MeanTeacherSegmentor): the weights go
            # into the student; MeanTeacherHook (a lower priority) then
            # copies the student into the teacher.
            print_log(
                'PretrainedEncoderHook: semi-supervised model, loading into '
                'its student (MeanTeacherHook copies it to the teacher).',
                logger='current')
            model = model.student
        prefix_map = resolve_prefix_map(
            model, options.pop('mode', None), options.pop('prefix_map', None))
        if runner.cfg.get('load_from'):
            print_log(
                f'PretrainedEncoderHook: load_from={runner.cfg.load_from} '
                f'was loaded, and the transfer from {options["checkpoint"]} '
                'now overwrites its tensors under '
                f'{sorted(prefix_map.values())}. Remove one of the two if '
                'that is not intended.',
                logger='current',
                level=logging.WARNING)
        self.report = transfer_weights(model, prefix_map=prefix_map,
                                       **options)


def pretrained_encoder_options(cfg: Config) -> Optional[dict]:
    """The checked ``pretrained_encoder`` dict of ``cfg`` (a copy).

    Args:
        cfg (Config): The run's config.

    Returns:
        dict | None: The options, or None for a deliberate scratch run.

    Raises:
        KeyError: If ``cfg`` has no ``pretrained_encoder``.
        ValueError: If it is not a dict, lacks ``checkpoint`` or has an
            unknown key (a typo in an override would otherwise be ignored).
    """
    if CFG_KEY not in cfg:
        raise KeyError(
            f'PretrainedEncoderHook is in custom_hooks, but the config has no '
            f'top-level `{CFG_KEY}`. Set {CFG_KEY}=dict(checkpoint=PATH) '
            f'(--cfg-options {CFG_KEY}.checkpoint=PATH), or {CFG_KEY}=None '
            'for a deliberate from-scratch run.')
    options = cfg[CFG_KEY]
    if options is None:
        return None
    if not isinstance(options, dict):
        raise ValueError(f'`{CFG_KEY}` must be a dict or None, got '
                         f'{type(options).__name__}: {options!r}.')
    options = dict(options)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(
            f'`{CFG_KEY}` has unknown keys {unknown}; the keys are '
            f'{list(_OPTIONS)}.')
    if not isinstance(options.get('checkpoint'), str) or \
            not options['checkpoint']:
        raise ValueError(
            f'`{CFG_KEY}.checkpoint` must be the path of a pretraining '
            f'checkpoint, got {options.get("checkpoint")!r}. Set it with '
            f'--cfg-options {CFG_KEY}.checkpoint=PATH.')
    return options


def ensure_pretrained_encoder_hook(cfg: Config) -> Config:
    """Add ``PretrainedEncoderHook`` when ``cfg.pretrained_encoder`` asks.

    So that a config without the hook (e.g. a stock mmseg recipe) becomes a
    pretrained run with only ``--cfg-options
    pretrained_encoder.checkpoint=PATH``.

    Args:
        cfg (Config): Modified in place.

    Returns:
        Config: ``cfg``.
    """
    if not isinstance(cfg.get(CFG_KEY), dict):
        return cfg
    hooks = list(cfg.get('custom_hooks') or [])
    names = [str(h.get('type', '')).split('.')[-1] if isinstance(
        h.get('type'), str) else getattr(h.get('type'), '__name__', '')
             for h in hooks]
    if 'PretrainedEncoderHook' not in names:
        hooks.append(dict(type='PretrainedEncoderHook'))
        cfg.custom_hooks = hooks
        print_log(
            f'`{CFG_KEY}` is set ({cfg[CFG_KEY].get("checkpoint")}): added '
            'PretrainedEncoderHook to custom_hooks.',
            logger='current')
    return cfg
