# Copyright (c) ussl_mm contributors. All rights reserved.
"""tools/env/setup.sh refuses a first install on a nearly full disk."""
import os
import os.path as osp
import subprocess

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SETUP = osp.join(REPO_ROOT, 'tools', 'env', 'setup.sh')


def _run(tmp_path, min_free_gb):
    env = dict(os.environ,
               USSL_VENV=str(tmp_path / 'new' / 'venv'),
               USSL_MIN_FREE_GB=str(min_free_gb))
    return subprocess.run(['bash', SETUP], env=env, capture_output=True,
                          text=True, timeout=60)


def test_full_disk_is_refused_before_anything_is_created(tmp_path):
    ret = _run(tmp_path, 10**9)
    assert ret.returncode == 1
    # The message names the folder checked (the venv's nearest existing
    # parent), the threshold and the ways out.
    assert f'GB free on the file system of {tmp_path}' in ret.stderr
    assert 'needs about 1000000000 GB there' in ret.stderr
    assert 'USSL_VENV=' in ret.stderr and 'TMPDIR=' in ret.stderr
    assert ret.stdout == ''
    # Nothing was created: no venv, no half-installed folder.
    assert not (tmp_path / 'new').exists()
