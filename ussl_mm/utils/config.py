"""Config fix-ups applied by ``tools/train.py`` and ``tools/test.py``, the
check of ``--cfg-options`` keys, and the difference of two resolved
configs."""
import difflib
import inspect
import logging
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

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


#: Top-level keys that mmengine, mmseg/mmpretrain and ussl_mm read although
#: a config need not define them (besides the ``Runner`` arguments).
READ_TOP_LEVEL_KEYS = (
    'compile', 'activation_checkpointing', 'efficient_conv_bn_eval',
    'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters', 'strategy',
    'runner_type', 'custom_imports', 'gpu_ids', 'tta_model',
    'tta_pipeline', 'data_root', 'crop_size', 'load_from_strict',
    'pretrained_encoder', 'launcher', 'work_dir', 'randomness',
    'default_scope')


class UnknownConfigKeyError(KeyError):
    """An override names a top-level key that nothing reads."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def known_top_level_keys(cfg: Config) -> set:
    """The top-level keys an override may set: those of the config, the
    arguments of mmengine's ``Runner`` and :data:`READ_TOP_LEVEL_KEYS`."""
    from mmengine.runner import Runner
    params = set(inspect.signature(Runner.__init__).parameters) - {'self'}
    return set(cfg.keys()) | params | set(READ_TOP_LEVEL_KEYS)


def check_cfg_option_keys(cfg: Config, keys: Iterable[str],
                          config: str = 'the config') -> None:
    """Refuse an override whose top-level key nothing reads.

    mmengine's ``merge_from_dict`` adds a new top-level key without a word,
    so ``--cfg-options trian_cfg.max_iters=4`` trains the config's full
    schedule. (A misspelt *nested* key is already refused, by the class it
    reaches: ``IterBasedTrainLoop`` has no argument ``max_itrs``.)

    Args:
        cfg (Config): The config, before the overrides are merged.
        keys (Iterable[str]): The dotted override keys.
        config (str): Config path, for messages. Defaults to 'the config'.

    Raises:
        UnknownConfigKeyError: (a ``KeyError``) naming the key, the closest
            known keys and the fix.
    """
    known = known_top_level_keys(cfg)
    unknown = sorted({str(k).split('.')[0] for k in keys} - known)
    if not unknown:
        return
    lines, hinted = [], True
    for top in unknown:
        close = difflib.get_close_matches(top, sorted(known), n=3,
                                          cutoff=0.6)
        hinted = hinted and bool(close)
        hint = f' (did you mean {", ".join(close)}?)' if close else ''
        lines.append(f'{top!r}{hint}')
    keys = '' if hinted else (
        f' The config\'s top-level keys are '
        f'{sorted(k for k in cfg.keys() if not k.startswith("_"))}.')
    raise UnknownConfigKeyError(
        f'--cfg-options: unknown top-level key {"; ".join(lines)}: '
        f'{config} does not define it and nothing reads it, so the override '
        f'would change nothing. Fix the spelling.{keys}')


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
