"""What a reader needs to rerun a study: package versions, git commit."""
import os.path as osp
import platform
import subprocess
from importlib import metadata
from typing import Dict, Optional

PACKAGES = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmsegmentation',
            'mmpretrain', 'numpy', 'scipy', 'scikit-learn', 'opencv-python',
            'nnunetv2')


def _git(args, cwd: str) -> Optional[str]:
    try:
        out = subprocess.run(['git', *args], cwd=cwd, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def collect_study_env(repo: Optional[str] = None) -> Dict[str, object]:
    """Versions and commit for the report.

    Args:
        repo (str, optional): Repository to read the commit of. Defaults to
            the one holding this package.

    Returns:
        dict: ``python``, ``platform``, ``packages`` (name -> version or
        None when not installed), ``ussl_mm``, ``git_commit`` (None outside
        a git checkout) and ``git_dirty`` (uncommitted changes to tracked
        files).
    """
    from ussl_mm import __version__
    repo = repo or osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__))))
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    commit = _git(['rev-parse', 'HEAD'], repo)
    status = _git(['status', '--porcelain', '--untracked-files=no'], repo)
    return dict(
        python=platform.python_version(),
        platform=platform.platform(),
        packages=packages,
        ussl_mm=__version__,
        git_commit=commit,
        git_dirty=None if status is None else bool(status))
