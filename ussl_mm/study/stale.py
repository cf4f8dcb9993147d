"""Refuse to reuse a finished study run whose configuration has changed.

A study skips every run whose ``done.json`` exists. When a config, a
default or a row's ``cfg_options`` changed since that run trained (a new
release, an edited preset), skipping it would report the old model under
the new settings. Before a finished run is reused, the config its command
builds *now* is compared with the config the run dumped when it trained;
any difference stops the study with the keys that differ.
"""
import os.path as osp
from typing import Dict, List, Sequence

from mmengine.config import Config

from ..apis import build_train_cfg, parse_train_args
from ..utils.config import MISSING, diff

# Shown at most, per stale run.
_MAX_SHOWN = 8

#: Config changes since a run trained that do not change what it trained:
#: key -> (value then, value now). The checkpoint hook became its crash-safe
#: subclass (same arguments and files, the same training), and the
#: ``load_from_strict`` switch appeared (it acts only with a ``load_from``).
_SAME_TRAINING = {
    'default_hooks.checkpoint.type': ('CheckpointHook',
                                      'AtomicCheckpointHook'),
}
_NEW_SWITCHES = {'load_from_strict': True}


class StaleRunError(RuntimeError):
    """A finished study run was trained with another configuration than
    the one the study asks for now."""


def config_differences(now: Config, then: Config) -> List[str]:
    """The dotted keys whose values differ between two configs, each as
    ``'key: trained <then>, now <now>'``, sorted; changes that leave the
    training the same (:data:`_SAME_TRAINING`, a new switch at its default
    where it acts on nothing) are not differences."""
    return [
        f'{key}: trained {old!r}, now {new!r}'
        for key, old, new in diff(then.to_dict(), now.to_dict())
        if not _same_training(key, old, new, now)
    ]


def _same_training(key: str, old, new, now: Config) -> bool:
    if _SAME_TRAINING.get(key) == (old, new):
        return True
    return (key in _NEW_SWITCHES and old == MISSING
            and new == _NEW_SWITCHES[key] and not now.get('load_from'))


def check_run_current(argv: Sequence[str], work_dir: str, done: Dict,
                      command: str) -> None:
    """Raise :class:`StaleRunError` when the finished run in ``work_dir``
    was trained with another config than ``argv`` builds now.

    Args:
        argv (Sequence[str]): The ``tools/train.py`` arguments the study
            would run now.
        work_dir (str): The run's work dir.
        done (dict): Its ``done.json`` record (``command``,
            ``config_dump``).
        command (str): ``argv`` as a logged command line.

    Raises:
        StaleRunError: Naming the work dir, the keys that differ and the
            fix.
    """
    fix = (f'Delete {work_dir} to train it again with the current '
           'settings, or give the study a new work dir (--work-dir); '
           'results of a run are never reused under other settings.')
    # mmengine dumps the full config into the work dir when training starts.
    dump = osp.join(work_dir, osp.basename(done.get('config_dump') or ''))
    if not done.get('config_dump') or not osp.isfile(dump):
        if done.get('command') != command:
            raise StaleRunError(
                f'{work_dir} finished with another command than the study '
                f'runs now (and has no config dump to compare):\n  trained: '
                f'{done.get("command")}\n  now:     {command}\n{fix}')
        return
    diffs = config_differences(
        build_train_cfg(parse_train_args(list(argv))), Config.fromfile(dump))
    if diffs:
        shown = '\n  '.join(diffs[:_MAX_SHOWN])
        more = (f'\n  ... and {len(diffs) - _MAX_SHOWN} more'
                if len(diffs) > _MAX_SHOWN else '')
        raise StaleRunError(
            f'{work_dir} finished with another configuration than the study '
            f'asks for now ({dump} against {command}):\n  {shown}{more}\n'
            f'{fix}')
