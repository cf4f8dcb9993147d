# Copyright (c) ussl_mm contributors. All rights reserved.
"""Checkpoint reading with errors that name the file, strict loading, the
checks of a training's ``--resume`` / ``load_from`` checkpoint, and the
verified prefix-mapped weight transfer behind ``PretrainedEncoderHook``.

All reading goes through mmengine's public
``CheckpointLoader.load_checkpoint`` (local paths, URLs, ``pavi://`` ...);
only the diagnosis of a file it cannot read is ours.
"""
import os
import os.path as osp
import re
import zipfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Set

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader, load_state_dict

ADAPT_STEM_CHOICES = ('refuse', 'sum', 'mean')


class CheckpointReadError(RuntimeError):
    """A checkpoint file exists but is not a loadable torch checkpoint."""


def _diagnose(filename: str, err: BaseException) -> str:
    """Say what is wrong with ``filename``, which ``torch.load`` refused."""
    with open(filename, 'rb') as f:
        head = f.read(512)
    refused = re.search(r'Unsupported global: GLOBAL ([\w.]+)', str(err))
    if refused:
        return (f'it pickles a class that torch.load(weights_only=True) '
                f'refuses ({refused.group(1)}): it is not a plain '
                'checkpoint of tensors (ussl_mm allow-lists only what '
                'mmengine itself writes, see ussl_mm/utils/compat.py). If you '
                'trust the file, load it once with torch.load(path, '
                "weights_only=False) and save its 'state_dict' with "
                'torch.save')
    if head.startswith(b'PK\x03\x04'):
        if not zipfile.is_zipfile(filename):
            return ('it is a truncated torch zip archive (its central '
                    'directory is missing): the save was interrupted (killed '
                    'run, full disk) or the copy is incomplete. Use another '
                    'checkpoint, e.g. the previous iter_*.pth')
        return f'torch.load could not read the zip archive ({err})'
    if head.startswith(b'\x80'):
        if isinstance(err, EOFError) or 'truncated' in str(err):
            return ('it is a truncated pickle (legacy torch format): the '
                    'save was interrupted or the copy is incomplete')
        return f'torch.load could not unpickle it ({type(err).__name__}: ' \
            f'{str(err)[:200]})'
    if b'\x00' not in head:
        first = head.decode('utf-8', 'replace').splitlines()[0][:80] \
            if head.strip() else ''
        lfs = (' It is a Git LFS pointer: run `git lfs pull`.'
               if first.startswith('version https://git-lfs') else '')
        return (f'it is a text file, not a torch checkpoint (first line: '
                f'{first!r}).{lfs} Give the .pth that tools/train.py '
                'writes')
    return (f'it is not a torch checkpoint (neither a torch zip archive nor '
            f'a pickle; first bytes {head[:8]!r})')


def read_checkpoint(filename: str,
                    map_location: Optional[str] = 'cpu') -> dict:
    """Read a checkpoint with mmengine's ``CheckpointLoader``.

    Args:
        filename (str): Local path or URL of the checkpoint.
        map_location (str, optional): Passed to the loader.
            Defaults to 'cpu'.

    Returns:
        dict: The checkpoint as stored (a dict, with or without
        ``state_dict``).

    Raises:
        FileNotFoundError: If a local ``filename`` does not exist.
        CheckpointReadError: If the file is empty, a text file, not a torch
            file, truncated, pickles a class that ``weights_only`` refuses,
            or does not hold a dict. The message names the file and says
            what is wrong.
    """
    local = '://' not in filename
    if local:
        if not osp.exists(filename):
            raise FileNotFoundError(
                f'Checkpoint {filename} does not exist (working directory '
                f'{os.getcwd()}).')
        if not osp.isfile(filename):
            raise CheckpointReadError(
                f'Checkpoint {filename} is a directory, not a file; give the '
                '.pth file inside it (e.g. the one named in its '
                'last_checkpoint).')
        if osp.getsize(filename) == 0:
            raise CheckpointReadError(
                f'Checkpoint {filename} is empty (0 bytes): the save was '
                'interrupted or the file is a placeholder. Give a complete '
                'checkpoint.')
    try:
        ckpt = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
    except Exception as err:  # noqa: B902 - re-raised with the diagnosis
        if not local:
            raise
        raise CheckpointReadError(
            f'Cannot read checkpoint {filename}: {_diagnose(filename, err)}.'
        ) from err
    if not isinstance(ckpt, dict):
        raise CheckpointReadError(
            f'Checkpoint {filename} holds a {type(ckpt).__name__}, expected '
            'a dict (a state_dict, or a checkpoint with a "state_dict" '
            'entry).')
    return ckpt


def checkpoint_state_dict(checkpoint: dict,
                          filename: str) -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint, without a DDP ``module.`` prefix.

    Args:
        checkpoint (dict): As returned by :func:`read_checkpoint`.
        filename (str): Its file, for the error message.

    Returns:
        dict: Key -> tensor (non-tensor entries are dropped).

    Raises:
        CheckpointReadError: If it holds no tensor.
    """
    state = checkpoint.get('state_dict', checkpoint)
    state = {k: v for k, v in state.items() if torch.is_tensor(v)}
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    if not state:
        raise CheckpointReadError(
            f'Checkpoint {filename} contains no tensors (top-level keys: '
            f'{sorted(checkpoint)[:10]}).')
    return state


def load_checkpoint_strict(model: nn.Module,
                           filename: str,
                           map_location: Optional[str] = 'cpu',
                           config: Optional[str] = None) -> dict:
    """Load a full model checkpoint and refuse any key or shape mismatch.

    mmengine's ``load_from`` loads with ``strict=False`` and only logs
    missing/unexpected keys, so evaluating a checkpoint of another
    architecture silently reports the metric of a partly random model. Here
    every key must match. Kept besides mmengine's
    ``load_checkpoint(strict=True)``: that one raises only after copying
    the matching tensors and without naming the file; this one refuses
    before touching the model.

    Args:
        model (nn.Module): The model to load into (wrappers are unwrapped).
        filename (str): Path of the checkpoint.
        map_location (str, optional): Passed to the loader.
            Defaults to 'cpu'.
        config (str, optional): The config file the model was built from,
            named in the error. Defaults to None.

    Returns:
        dict: The loaded checkpoint (with ``meta``).

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointReadError: If the file is not a readable checkpoint.
        RuntimeError: If keys are missing, unexpected or of another shape.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = read_checkpoint(filename, map_location=map_location)
    state_dict = checkpoint_state_dict(checkpoint, filename)
    diff = key_mismatch(model, state_dict)
    if diff.any:
        raise RuntimeError(
            f'Checkpoint {filename} does not match the model built from '
            f'{_source(config)}: {diff.summary()} '
            f'{_mismatch_fix(diff.own, set(state_dict))}')
    load_state_dict(model, state_dict, strict=True)
    return checkpoint


class KeyMismatch:
    """The keys of a checkpoint's state dict against a model's.

    Attributes:
        own (set[str]): The model's keys.
        missing (list[str]): Model keys the checkpoint lacks (sorted).
        unexpected (list[str]): Checkpoint keys the model lacks (sorted).
        mismatched (list[str]): ``'key: checkpoint (..) vs model (..)'``
            for shared keys of another shape (sorted).
    """

    def __init__(self, own: Dict[str, torch.Tensor],
                 state_dict: Dict[str, torch.Tensor]) -> None:
        self.own = set(own)
        self.missing = sorted(set(own) - set(state_dict))
        self.unexpected = sorted(set(state_dict) - set(own))
        self.mismatched = sorted(
            f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
            f'{tuple(own[k].shape)}' for k in set(own) & set(state_dict)
            if tuple(state_dict[k].shape) != tuple(own[k].shape))

    @property
    def any(self) -> bool:
        return bool(self.missing or self.unexpected or self.mismatched)

    def summary(self) -> str:
        return (f'{len(self.missing)} missing, {len(self.unexpected)} '
                f'unexpected, {len(self.mismatched)} shape-mismatched keys '
                f'(model has {len(self.own)} keys). First missing: '
                f'{self.missing[:5]}; first unexpected: '
                f'{self.unexpected[:5]}; mismatched: {self.mismatched[:5]}.')


def key_mismatch(model: nn.Module,
                 state_dict: Dict[str, torch.Tensor]) -> KeyMismatch:
    """Compare a checkpoint's tensors with ``model``'s state dict (a
    wrapper is unwrapped)."""
    if is_model_wrapper(model):
        model = model.module
    return KeyMismatch(model.state_dict(), state_dict)


def _source(config: Optional[str]) -> str:
    return f'the config {config}' if config else 'the config'


def check_resume_checkpoint(model: nn.Module,
                            filename: str,
                            config: Optional[str] = None) -> dict:
    """Check, before mmengine resumes from it, that ``filename`` is a
    complete training checkpoint of ``model``.

    mmengine's ``Runner.resume`` gives a bare ``UnpicklingError`` /
    ``EOFError`` without a file name for a text, empty or truncated file, a
    ``KeyError: 'meta'`` for a weights-only file, loads a checkpoint of
    another architecture half (``strict=False``) and then fails in the
    optimizer with torch's ``ValueError``; and it silently resumes a
    ``best_*.pth`` (no optimizer state) with a fresh optimizer.

    Args:
        model (nn.Module): The model of the run.
        filename (str): The checkpoint (``--resume PATH``, or the one
            ``last_checkpoint`` names).
        config (str, optional): The config file, named in errors.
            Defaults to None.

    Returns:
        dict: The checkpoint's ``meta``.

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointReadError: If it is not a readable checkpoint, or not one
            to resume from (no ``meta.iter``, no optimizer state).
        RuntimeError: If its keys do not match the model.
    """
    checkpoint = read_checkpoint(filename)
    meta = checkpoint.get('meta')
    if not isinstance(meta, dict) or 'iter' not in meta or \
            'epoch' not in meta:
        raise CheckpointReadError(
            f'Cannot resume from {filename}: it has no training position '
            f'(meta.iter / meta.epoch; top-level keys '
            f'{sorted(checkpoint)[:8]}). It holds weights only, not a '
            'training state. Resume from an iter_*.pth / epoch_*.pth that '
            'tools/train.py wrote, or start a new run from these weights '
            'with --cfg-options load_from=PATH (without --resume).')
    if 'optimizer' not in checkpoint:
        raise CheckpointReadError(
            f'Cannot resume from {filename}: it has no optimizer state (a '
            'best_*.pth or a published checkpoint holds the weights only), '
            'so the resumed run would restart its optimizer. Resume from '
            'the iter_*.pth that last_checkpoint names, or start a new run '
            'from these weights with --cfg-options load_from=PATH.')
    diff = key_mismatch(model, checkpoint_state_dict(checkpoint, filename))
    if diff.any:
        raise RuntimeError(
            f'Cannot resume from {filename}: it does not match the model '
            f'built from {_source(config)}: {diff.summary()} Resume with '
            'the config the checkpoint was trained with (the work dir holds '
            'its dump), or start a new run in another --work-dir.')
    return meta


def check_load_from(model: nn.Module,
                    filename: str,
                    strict: bool = True,
                    config: Optional[str] = None) -> KeyMismatch:
    """Check, before mmengine loads it, the checkpoint of ``load_from``.

    mmengine loads ``load_from`` with ``strict=False`` and only logs the
    missing and unexpected keys, so a checkpoint of another architecture
    trains on from a half-random model. Here a mismatch stops the run
    unless ``strict`` is False (``--cfg-options load_from_strict=False``),
    which logs the counts and lets mmengine load what matches.

    Args:
        model (nn.Module): The model of the run.
        filename (str): The checkpoint.
        strict (bool): Refuse any missing, unexpected or shape-mismatched
            key. Defaults to True.
        config (str, optional): The config file, named in errors.
            Defaults to None.

    Returns:
        KeyMismatch: The comparison.

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointReadError: If it is not a readable checkpoint.
        RuntimeError: If ``strict`` and the keys do not match.
    """
    state_dict = checkpoint_state_dict(read_checkpoint(filename), filename)
    diff = key_mismatch(model, state_dict)
    if diff.any and strict:
        raise RuntimeError(
            f'load_from={filename} does not match the model built from '
            f'{_source(config)}: {diff.summary()} '
            f'{_mismatch_fix(diff.own, set(state_dict), load_from=True)} '
            'For a deliberate '
            'partial load (only the matching tensors), add --cfg-options '
            'load_from_strict=False.')
    if diff.any:
        print_log(
            f'load_from={filename}, load_from_strict=False: a partial load. '
            f'{diff.summary()}',
            logger='current',
            level=30)
    return diff


def _mismatch_fix(own: Set[str], ckpt: Set[str],
                  load_from: bool = False) -> str:
    """What to do about a checkpoint whose keys do not match the model
    (``load_from``: it was given as ``load_from`` of a training)."""
    heads = sorted({k.split('.')[0] for k in own if 'head' in k.split('.')[0]})
    if heads and not any(k.split('.')[0] in heads for k in ckpt) \
            and load_from:
        return (f'It has none of the model\'s {heads} weights, only '
                f'{sorted({k.split(".")[0] for k in ckpt})[:6]}: if it is a '
                'pretraining (self-supervised) checkpoint, start the '
                'fine-tuning from its encoder with --cfg-options '
                'pretrained_encoder.checkpoint=PATH (PretrainedEncoderHook, '
                'a verified transfer) instead of load_from.')
    if heads and not any(k.split('.')[0] in heads for k in ckpt):
        return (f'It has none of the model\'s {heads} weights, only '
                f'{sorted({k.split(".")[0] for k in ckpt})[:6]}: it looks '
                'like a pretraining (self-supervised) checkpoint. Fine-tune '
                'first: train a configs/<algo>/benchmarks/ config that reads '
                'it (pretrained_encoder.checkpoint=PATH, '
                'PretrainedEncoderHook), then use the checkpoint that '
                'fine-tuning writes.')
    return ('Check that the checkpoint was trained with this config (same '
            'backbone depth, stem and decode head); a pretraining checkpoint '
            'must be fine-tuned first (see PretrainedEncoderHook).')


def _adapt_stem(value: torch.Tensor, tshape: Sequence[int],
                how: str) -> Optional[torch.Tensor]:
    """``value`` adapted to a 1- vs 3-input-channel ``tshape``, or None."""
    if how == 'refuse' or value.dim() != 4 or len(tshape) != 4:
        return None
    sshape = tuple(value.shape)
    if sshape[0] != tshape[0] or sshape[2:] != tuple(tshape[2:]):
        return None
    if sshape[1] == 3 and tshape[1] == 1:
        reduce = value.sum if how == 'sum' else value.mean
        return reduce(dim=1, keepdim=True)
    if sshape[1] == 1 and tshape[1] == 3:
        value = value.repeat(1, 3, 1, 1)
        return value / 3.0 if how == 'sum' else value
    return None


def _check_prefix_map(prefix_map: Dict[str, str]) -> None:
    if not isinstance(prefix_map, dict) or not prefix_map or not all(
            isinstance(k, str) and isinstance(v, str)
            for k, v in prefix_map.items()):
        raise ValueError(
            'prefix_map must be a non-empty dict of checkpoint prefix -> '
            f"model prefix, e.g. {{'backbone.': 'backbone.'}}; got "
            f'{prefix_map!r}.')
    targets = sorted(prefix_map.values())
    overlap = [(a, b) for i, a in enumerate(targets) for b in targets[i + 1:]
               if b.startswith(a)]
    if overlap:
        raise ValueError(
            f'prefix_map={prefix_map}: the model prefixes {overlap[0]} '
            'overlap, so some model tensors would be loaded twice. Keep '
            'only the shorter prefix, or make them disjoint (mmengine merges '
            'dict overrides into the config\'s map: replace it with '
            "dict(_delete_=True, ...)).")


def transfer_weights(model: nn.Module,
                     checkpoint: str,
                     prefix_map: Dict[str, str],
                     min_loaded_ratio: float = 1.0,
                     adapt_stem: str = 'refuse',
                     allow_unexpected: bool = False,
                     map_location: Optional[str] = 'cpu') -> dict:
    """Copy prefixed checkpoint tensors into ``model`` and prove they loaded.

    For every ``src -> tgt`` entry of ``prefix_map``, the checkpoint tensor
    ``src + name`` is copied into the model tensor ``tgt + name``. Every
    model tensor under a target prefix counts: the transfer raises unless at
    least ``min_loaded_ratio`` of them loaded with equal shapes, and (unless
    ``allow_unexpected``) when the checkpoint has tensors under a source
    prefix that the model lacks (another depth). After loading, the tensors
    are read back; a warning says when the checkpoint equals the model's
    current initialisation.

    Args:
        model (nn.Module): The (unwrapped) target model.
        checkpoint (str): Path or URL of the checkpoint.
        prefix_map (dict): Checkpoint prefix -> model prefix, e.g.
            ``{'backbone.': 'backbone.'}``.
        min_loaded_ratio (float): Minimum share (0-1] of the target tensors
            that must load. Defaults to 1.0.
        adapt_stem (str): What to do with a 4-D weight whose shapes differ
            only in the input channels, 1 vs 3 (a grayscale vs RGB stem):
            ``'refuse'`` raises; ``'sum'`` keeps the response to a gray
            image replicated to 3 channels (3->1: sum; 1->3: repeat / 3);
            ``'mean'`` averages (3->1: mean; 1->3: repeat).
            Defaults to 'refuse'.
        allow_unexpected (bool): Accept checkpoint tensors under a source
            prefix that the model lacks. Defaults to False.
        map_location (str, optional): Passed to the loader.
            Defaults to 'cpu'.

    Returns:
        dict: ``matched``, ``missing``, ``mismatched``, ``unexpected``,
        ``adapted`` (key lists), ``total``, ``ratio``, ``changed`` and
        ``changed_total`` (floating-point tensors whose value changed).

    Raises:
        ValueError: On a bad ``prefix_map``, ``adapt_stem`` or ratio.
        FileNotFoundError: If the checkpoint does not exist.
        CheckpointReadError: If it is not a readable checkpoint.
        RuntimeError: If the transfer is incomplete or does not read back.
    """
    _check_prefix_map(prefix_map)
    if not 0.0 < float(min_loaded_ratio) <= 1.0:
        raise ValueError(
            f'min_loaded_ratio must be in (0, 1], got {min_loaded_ratio}.')
    if adapt_stem not in ADAPT_STEM_CHOICES:
        raise ValueError(f'adapt_stem must be one of {ADAPT_STEM_CHOICES}, '
                         f'got {adapt_stem!r}.')
    src = checkpoint_state_dict(
        read_checkpoint(checkpoint, map_location), checkpoint)
    target = model.state_dict()
    rep = dict(matched=[], missing=[], mismatched=[], unexpected=[],
               adapted=[])
    new_values: Dict[str, torch.Tensor] = OrderedDict()
    total = 0
    for src_prefix, tgt_prefix in prefix_map.items():
        tgt_keys = [k for k in target if k.startswith(tgt_prefix)]
        if not tgt_keys:
            raise RuntimeError(
                f'The model has no state_dict key starting with '
                f'{tgt_prefix!r} (prefix_map={prefix_map}). First model '
                f'keys: {list(target)[:5]}.')
        total += len(tgt_keys)
        src_part = {k[len(src_prefix):]: v for k, v in src.items()
                    if k.startswith(src_prefix)}
        for tkey in tgt_keys:
            name = tkey[len(tgt_prefix):]
            if name not in src_part:
                rep['missing'].append(tkey)
                continue
            value, tshape = src_part[name], tuple(target[tkey].shape)
            if tuple(value.shape) != tshape:
                value = _adapt_stem(value, tshape, adapt_stem)
                shapes = f'{tuple(src_part[name].shape)} vs model {tshape}'
                if value is None:
                    rep['mismatched'].append(f'{tkey}: checkpoint {shapes}')
                    continue
                rep['adapted'].append(f'{tkey}: checkpoint {shapes}')
            new_values[tkey] = value
            rep['matched'].append(tkey)
        rep['unexpected'] += [src_prefix + n for n in src_part
                              if tgt_prefix + n not in target]
    rep.update(total=total, ratio=len(rep['matched']) / total)
    ignored = sum(not k.startswith(tuple(prefix_map)) for k in src)
    print_log(
        f'Weight transfer {prefix_map} from {checkpoint}: matched '
        f'{len(rep["matched"])}/{total} ({100 * rep["ratio"]:.1f}%), missing '
        f'{len(rep["missing"])}, shape mismatches {len(rep["mismatched"])}, '
        f'unexpected {len(rep["unexpected"])}; {ignored} checkpoint tensors '
        'outside the map ignored (e.g. the pretraining neck, momentum '
        'encoder, queues).',
        logger='current')
    for item in rep['adapted']:
        print_log(f'Adapted stem with adapt_stem={adapt_stem!r}: {item}',
                  logger='current', level=30)
    if rep['mismatched'] or rep['ratio'] < min_loaded_ratio or (
            rep['unexpected'] and not allow_unexpected):
        raise RuntimeError(
            _shortfall_message(rep, checkpoint, prefix_map, min_loaded_ratio,
                               allow_unexpected))
    before = {k: target[k].detach().clone() for k in new_values}
    model.load_state_dict(new_values, strict=False)
    _verify(model, new_values, before, checkpoint, rep)
    return rep


def _shortfall_message(rep: dict, checkpoint: str, prefix_map: dict,
                       min_loaded_ratio: float,
                       allow_unexpected: bool) -> str:
    fixes = []
    if rep['unexpected'] and not allow_unexpected:
        fixes.append(
            f'the checkpoint has {len(rep["unexpected"])} tensors under '
            f'{sorted(prefix_map)} that the model lacks: it was pretrained '
            'with a different architecture (e.g. depth); match it, or set '
            'allow_unexpected=True if the extra keys are harmless')
    if rep['mismatched']:
        fixes.append(
            'shapes disagree: pretrain and fine-tune the same architecture '
            '(depth, plain vs deep stem, in_channels); for a 1- vs '
            '3-channel stem set adapt_stem="sum" or "mean"')
    if rep['missing']:
        fixes.append(
            'keys are missing: check the checkpoint prefixes (prefix_map, '
            "e.g. {'encoder_q.': 'backbone.'}) and that both stages use "
            'the same backbone type (e.g. mmpretrain ResNet and mmseg '
            'ResNet with deep_stem=False, not ResNetV1c)')
    unexpected = '' if allow_unexpected else ' or unexpected key'
    return (
        f'Loaded {len(rep["matched"])}/{rep["total"]} '
        f'({100 * rep["ratio"]:.1f}%) model tensors (parameters and '
        f'buffers) of prefix_map={prefix_map} from {checkpoint}; need >= '
        f'{100 * min_loaded_ratio:.0f}% and no shape mismatch{unexpected}. '
        f'Missing in checkpoint (first 5): {rep["missing"][:5]}; shape '
        f'mismatches (first 5): {rep["mismatched"][:5]}; unexpected in '
        f'checkpoint (first 5): {rep["unexpected"][:5]}. Nothing was loaded.'
        f' Fix: {"; ".join(fixes) or "lower min_loaded_ratio"}.')


def _verify(model: nn.Module, loaded: Dict[str, torch.Tensor],
            before: Dict[str, torch.Tensor], checkpoint: str,
            rep: dict) -> None:
    """Read the loaded tensors back; warn if nothing changed value."""
    after = model.state_dict()
    not_loaded = [
        k for k, v in loaded.items()
        if not torch.equal(after[k].cpu(), v.to(after[k].dtype).cpu())
    ]
    if not_loaded:
        raise RuntimeError(
            f'After load_state_dict, {len(not_loaded)} tensors differ from '
            f'{checkpoint} (first 5: {not_loaded[:5]}). Something '
            'overwrote them.')
    floats = [k for k in loaded if after[k].is_floating_point()]
    changed = [k for k in floats if not torch.equal(after[k], before[k])]
    rep.update(changed=len(changed), changed_total=len(floats))
    print_log(
        f'Weight transfer: {len(changed)}/{len(floats)} floating-point '
        'tensors changed value.',
        logger='current')
    if floats and not changed:
        print_log(
            f'The checkpoint {checkpoint} equals the current initialisation '
            'of the model: the transfer changed nothing. Was the checkpoint '
            'saved from an untrained model with the same seed?',
            logger='current',
            level=30)
