"""Files written so that a kill at any moment leaves the old file or the new
one, never a partial one; and the fingerprint that ties a record to a file.

One reason: mmengine (``LocalBackend.put``, ``CheckpointHook``) and
``json.dump(open(path, 'w'))`` write in place, so a run killed mid-write
leaves a truncated file under the final name. Here every write goes to a
temporary file in the same folder, is flushed and ``fsync``-ed, then renamed
over the target with ``os.replace`` (atomic on POSIX and Windows within one
file system), and the folder is ``fsync``-ed so that the rename itself
survives a power cut.
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any, Callable, Dict, Iterator, Optional

#: Suffix of our temporary files; :func:`remove_stale_temp_files` removes
#: those left behind by a killed process.
TEMP_SUFFIX = '.tmp'
TEMP_PREFIX = '.'


def fsync_dir(folder: str) -> None:
    """``fsync`` a folder, so that renames inside it are durable (a no-op
    where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_for(path: str) -> str:
    """A temporary name next to ``path``: hidden, unique to this process,
    and not ending in ``.pth``/``.json`` (so that nothing globbing for
    results picks it up)."""
    folder, name = osp.split(path)
    return osp.join(folder, f'{TEMP_PREFIX}{name}.{os.getpid()}{TEMP_SUFFIX}')


def fsync_file(path: str) -> None:
    """Flush a written file's data to disk."""
    with open(path, 'rb+') as f:
        os.fsync(f.fileno())


def replace_atomically(tmp: str, path: str) -> None:
    """``fsync`` the finished temporary file ``tmp``, rename it over
    ``path`` and ``fsync`` the folder."""
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(osp.dirname(path))


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'w',
                encoding: Optional[str] = 'utf-8',
                newline: Optional[str] = None) -> Iterator[Any]:
    """Open a temporary file for writing that replaces ``path`` when the
    ``with`` block ends without an exception (and is removed if it raises).

    Args:
        path (str): The final file.
        mode (str): ``'w'`` (text) or ``'wb'``. Defaults to 'w'.
        encoding (str, optional): For text mode. Defaults to 'utf-8'.
        newline (str, optional): For text mode, as :func:`open` (``''`` for
            the ``csv`` module). Defaults to None.

    Yields:
        file: The open temporary file.
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f'atomic_open: mode must be "w" or "wb", got '
                         f'{mode!r}.')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f'{TEMP_PREFIX}{osp.basename(path)}.', suffix=TEMP_SUFFIX,
        dir=folder)
    try:
        text = 'b' not in mode
        with os.fdopen(fd, mode, encoding=encoding if text else None,
                       newline=newline if text else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, 'w') as f:
        f.write(text)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, 'wb') as f:
        f.write(data)


def atomic_write_json(path: str, obj: Any, indent: int = 1) -> None:
    """``json.dump`` ``obj`` to ``path`` atomically."""
    with atomic_open(path, 'w') as f:
        json.dump(obj, f, indent=indent)


def remove_stale_temp_files(folder: str) -> list:
    """Remove the temporary files that :func:`atomic_open` and
    :func:`temp_path_for` leave when the writing process is killed.

    Returns:
        list[str]: The removed files.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in os.listdir(folder):
        if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
            path = osp.join(folder, name)
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def file_fingerprint(path: str, chunk: int = 1 << 20) -> Dict[str, Any]:
    """What a record stores to say which file it belongs to.

    Args:
        path (str): An existing file.
        chunk (int): Read size. Defaults to 1 MiB.

    Returns:
        dict: ``path``, ``size`` (bytes) and ``sha256`` (hex).
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return dict(path=path, size=osp.getsize(path), sha256=digest.hexdigest())


def fingerprint_mismatch(
        expected: Dict[str, Any],
        fingerprint: Callable[[str], Dict[str, Any]] = file_fingerprint
) -> Optional[str]:
    """Why the file a record names no longer is the file it recorded, or
    None when it is (same size and SHA-256).

    Args:
        expected (dict): A :func:`file_fingerprint` (``path``, ``size``,
            ``sha256``).
        fingerprint (callable): Computes a file's fingerprint (e.g. a
            cached :func:`file_fingerprint`). Defaults to
            :func:`file_fingerprint`.

    Returns:
        str or None: E.g. ``'… does not exist'``, ``'… has 12 bytes,
        the record says 40'``, ``'… changed content (SHA-256 …)'``.
    """
    path = expected.get('path')
    if not path or not osp.isfile(path):
        return f'{path} does not exist'
    size = osp.getsize(path)
    if expected.get('size') is not None and size != expected['size']:
        return (f'{path} has {size} bytes, the record says '
                f'{expected["size"]}')
    if expected.get('sha256'):
        now = fingerprint(path)['sha256']
        if now != expected['sha256']:
            return (f'{path} changed content (SHA-256 {now[:12]}, the record '
                    f'says {expected["sha256"][:12]})')
    return None
