"""A study's records tied to the files they describe.

A run's ``done.json`` says which checkpoint its training produced (path,
size and SHA-256), and which input checkpoints it started from (the
pretrained encoder); a test's ``test_metrics.json`` says which checkpoint
it scored. A record is reused only while those files are still the ones
it names: otherwise the study redoes the run (and says so), so that no
number it reports belongs to a file that no longer exists. A record that is
not readable at all stops the study, naming the file and what to delete.

Reading and checking only; :mod:`ussl_mm.study.runner` decides what to
redo.
"""
import json
import os
import os.path as osp
import shutil
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..utils.atomic import file_fingerprint, fingerprint_mismatch


class CorruptRecordError(RuntimeError):
    """A study record (``done.json``, ``test_metrics.json``) cannot be
    read."""


def read_record(path: str, required: Sequence[str], fix: str) -> Dict:
    """Read a JSON record and check it has the ``required`` keys.

    Args:
        path (str): The record.
        required (Sequence[str]): Keys it must have.
        fix (str): What the user should do about a corrupt record (e.g.
            which file to delete), appended to the error.

    Returns:
        dict: The record.

    Raises:
        CorruptRecordError: If it is empty, not JSON, not an object, or
            lacks a required key; naming the file and the fix.
    """
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise CorruptRecordError(
            f'Cannot read the study record {path} ({err}). {fix}') from err
    if not text.strip():
        raise CorruptRecordError(
            f'The study record {path} is empty (0 bytes of JSON): it was '
            f'cut off while being written. {fix}')
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise CorruptRecordError(
            f'The study record {path} is not valid JSON ({err.msg} at line '
            f'{err.lineno}, column {err.colno}). {fix}') from err
    if not isinstance(record, dict):
        raise CorruptRecordError(
            f'The study record {path} holds a {type(record).__name__}, '
            f'expected a JSON object. {fix}')
    missing = [k for k in required if k not in record]
    if missing:
        raise CorruptRecordError(
            f'The study record {path} lacks {missing} (it has '
            f'{sorted(record)}). {fix}')
    return record


def done_problem(
        done: Dict[str, Any],
        inputs: Optional[Dict[str, Dict]] = None,
        fingerprint: Callable[[str], Dict[str, Any]] = file_fingerprint
) -> Optional[str]:
    """Why a ``done.json`` no longer describes its files, or None.

    Args:
        done (dict): The record: ``checkpoint`` (path) and, when written by
            this version, ``checkpoint_file`` (:func:`~ussl_mm.utils.atomic.
            file_fingerprint`) and ``inputs`` (name -> fingerprint).
        inputs (dict, optional): The fingerprints of the input files the
            run would start from now (e.g. ``{'pretrained_encoder': ...}``).
            Defaults to None.
        fingerprint (callable): Computes a file's fingerprint. Defaults to
            :func:`~ussl_mm.utils.atomic.file_fingerprint`.

    Returns:
        str or None: E.g. ``'its checkpoint …/best.pth does not exist'``.
    """
    fp = done.get('checkpoint_file')
    if fp is None:
        if not osp.isfile(done['checkpoint']):
            return f'its checkpoint {done["checkpoint"]} does not exist'
    else:
        why = fingerprint_mismatch(fp, fingerprint)
        if why is not None:
            return f'its checkpoint {why}'
    recorded = done.get('inputs')
    for name, now in (inputs or {}).items():
        if recorded is None or name not in recorded:
            # A record written before inputs were recorded: the check of
            # the run's config (stale.py) still compares the paths.
            continue
        then = recorded[name]
        if (then or {}).get('sha256') != (now or {}).get('sha256'):
            return (f'it was trained from {name} {(then or {}).get("path")} '
                    f'(SHA-256 {str((then or {}).get("sha256"))[:12]}), '
                    f'which is now {(now or {}).get("path")} (SHA-256 '
                    f'{str((now or {}).get("sha256"))[:12]})')
    return None


def metrics_problem(record: Dict[str, Any], checkpoint: Dict[str, Any],
                    key: str = 'checkpoint') -> Optional[str]:
    """Why a ``test_metrics.json`` does not score ``checkpoint``, or None.

    Args:
        record (dict): The metrics record.
        checkpoint (dict): The fingerprint of the checkpoint the study
            tests now.
        key (str): The record's key naming what it scored. Defaults to
            'checkpoint'.

    Returns:
        str or None: The reason, or None when it scored that file.
    """
    scored = record.get(key)
    if not isinstance(scored, dict) or not scored.get('sha256'):
        return ('it does not record which checkpoint it scored (written '
                'before test_metrics.json named its checkpoint)')
    if (scored.get('sha256'), scored.get('size')) != (
            checkpoint.get('sha256'), checkpoint.get('size')):
        return (f'it scored {scored.get("path")} (SHA-256 '
                f'{str(scored.get("sha256"))[:12]}), not '
                f'{checkpoint.get("path")} (SHA-256 '
                f'{str(checkpoint.get("sha256"))[:12]})')
    return None


def set_aside(work_dir: str, names: Sequence[str],
              log: Callable[[str], None] = print) -> Optional[str]:
    """Move a run's stale files into ``<work_dir>/stale_<time>/`` (nothing
    is deleted), so that the run is redone from scratch.

    Args:
        work_dir (str): The run's folder.
        names (Sequence[str]): Entries of ``work_dir`` to move (missing
            ones are ignored).
        log (callable): Progress printer. Defaults to ``print``.

    Returns:
        str or None: The folder they went to (None when nothing moved).
    """
    present = [n for n in names if osp.lexists(osp.join(work_dir, n))]
    if not present:
        return None
    dest = osp.join(work_dir, time.strftime('stale_%Y%m%d_%H%M%S'))
    i = 1
    while osp.exists(dest):
        dest = osp.join(work_dir,
                        time.strftime('stale_%Y%m%d_%H%M%S') + f'_{i}')
        i += 1
    os.makedirs(dest)
    for name in present:
        shutil.move(osp.join(work_dir, name), osp.join(dest, name))
    log(f'  moved {present} to {dest} (delete it when you no longer need '
        'the old files)')
    return dest


def run_outputs(work_dir: str) -> List[str]:
    """The entries of a training run's folder that a redo replaces: its
    record, ``last_checkpoint``, every checkpoint and every test folder."""
    if not osp.isdir(work_dir):
        return []
    return sorted(
        n for n in os.listdir(work_dir)
        if n in ('done.json', 'last_checkpoint') or n.endswith('.pth')
        or (n.startswith('test') and osp.isdir(osp.join(work_dir, n)))
        or (n.startswith('per_image') and n.endswith('.json')))
