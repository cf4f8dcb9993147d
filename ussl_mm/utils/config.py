"""Config fix-ups applied by ``tools/train.py`` and ``tools/test.py``, and
the difference of two resolved configs."""
import logging
from typing import Any, Dict, Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log


def strip_collate_scope(cfg: Config) -> Config:
    """Remove ``_scope_`` that mmengine injects into ``collate_fn``.

    One reason: a config inheriting ``mmpretrain::`` (or ``mmseg::``) bases
    gets ``_scope_`` added to every dict with a ``type``. The Runner builds
    ``collate_fn`` with ``functools.partial(fn, **cfg)``, so the extra key ends
    in ``default_collate() got an unexpected keyword argument '_scope_'``.
    ``collate_fn`` resolves through mmengine's FUNCTIONS registry, where the
    scope is meaningless, so dropping the key is safe.
    """
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if isinstance(loader, dict) and isinstance(
                loader.get('collate_fn'), dict):
            loader['collate_fn'].pop('_scope_', None)
    return cfg


def data_preprocessor_key(cfg: Config) -> Tuple[str, dict]:
    """The data preprocessor that the Runner builds, and its dotted key.

    mmengine's Runner merges the top-level ``data_preprocessor`` into the
    model only when ``model.data_preprocessor`` is absent
    (``model.setdefault``). ussl_mm's configs keep it at top level; configs
    on ``mmseg::`` bases also hold one in the model, which then wins.

    Args:
        cfg (Config): The config.

    Returns:
        tuple[str, dict]: ``('model.data_preprocessor', ...)`` when the
        model holds one, else ``('data_preprocessor', ...)`` (an empty dict
        when the config has none).
    """
    own = (cfg.get('model') or {}).get('data_preprocessor')
    if own is not None:
        return 'model.data_preprocessor', own
    return 'data_preprocessor', cfg.get('data_preprocessor') or {}


def check_data_preprocessor(cfg: Config,
                            cfg_options: Optional[Dict[str, Any]] = None,
                            config: str = 'the config') -> None:
    """Refuse a ``--cfg-options`` normalisation override that would not
    reach the model.

    - ``model.data_preprocessor.mean=...`` on a config whose preprocessor is
      top level creates a ``model.data_preprocessor`` without ``type``,
      which hides the top-level one (the model then fails to build, or
      loses its normalisation).
    - ``data_preprocessor.mean=...`` on a config whose model holds its own
      preprocessor changes a dict the Runner never reads.

    Args:
        cfg (Config): The config, with the options merged.
        cfg_options (dict, optional): The ``--cfg-options`` given. Defaults
            to None.
        config (str): Config path, for messages. Defaults to
            'the config'.

    Raises:
        ValueError: Naming the key to override instead.
    """
    own = (cfg.get('model') or {}).get('data_preprocessor')
    if isinstance(own, dict) and 'type' not in own:
        raise ValueError(
            f'{config}: model.data_preprocessor has no type (only '
            f'{sorted(own)}). An override such as --cfg-options '
            'model.data_preprocessor.mean=... creates it and so replaces the '
            "config's top-level data_preprocessor, which the Runner merges "
            'into the model only when the model has none. Override '
            'data_preprocessor.mean=... (top level) instead.')
    top = sorted(k for k in (cfg_options or {})
                 if str(k).startswith('data_preprocessor.'))
    if top and own is not None:
        raise ValueError(
            f'{config}: --cfg-options {", ".join(top)} would not reach the '
            'model: this config\'s model holds its own data_preprocessor, '
            'which the Runner uses instead of the top-level one. Override '
            f'model.{top[0]} instead.')


def enable_amp(cfg: Config, cuda: bool) -> Config:
    """Switch ``cfg.optim_wrapper`` to mixed precision.

    On a GPU this is mmengine's ``AmpOptimWrapper`` (fp16 with dynamic loss
    scaling), exactly as mmseg/mmpretrain's ``--amp``. Without a GPU, mmengine's
    wrapper refuses to start, so ussl_mm's ``CPUAmpOptimWrapper`` (bf16
    autocast, channels-last) is used instead.

    Args:
        cfg (Config): The config to modify in place.
        cuda (bool): Whether training runs on CUDA.

    Returns:
        Config: ``cfg``.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    amp_types = ('AmpOptimWrapper', 'CPUAmpOptimWrapper')
    if wrapper in amp_types:
        print_log(
            f'AMP training is already enabled in your config ({wrapper}).',
            logger='current',
            level=logging.WARNING)
        if wrapper == 'AmpOptimWrapper' and not cuda:
            raise RuntimeError(
                'The config uses AmpOptimWrapper, which needs a GPU, but no '
                'GPU is available. Use optim_wrapper.type=CPUAmpOptimWrapper '
                '(bf16 autocast on CPU) instead.')
        return cfg
    if wrapper != 'OptimWrapper':
        raise ValueError(
            '`--amp` is only supported when the optimizer wrapper type is '
            f'`OptimWrapper`, but the config has `{wrapper}`.')
    if cuda:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.dtype = 'bfloat16'
    return cfg


# Marks a key present in only one of two configs (:func:`diff`).
MISSING = '<missing>'


def diff(old: Any, new: Any, path: str = '') -> Iterator[Tuple[str, Any,
                                                              Any]]:
    """Yield ``(dotted path, old value, new value)`` for every difference;
    list items are compared position by position."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            sub = f'{path}.{key}' if path else str(key)
            if key not in old:
                yield sub, MISSING, new[key]
            elif key not in new:
                yield sub, old[key], MISSING
            else:
                yield from diff(old[key], new[key], sub)
    elif (isinstance(old, (list, tuple)) and isinstance(new, (list, tuple))
          and len(old) == len(new)):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from diff(a, b, f'{path}.{i}')
    elif old != new or type(old) is not type(new) and not (
            isinstance(old, (list, tuple)) and isinstance(new, (list, tuple))):
        yield path, old, new
