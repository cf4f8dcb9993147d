"""``import ussl_mm`` registers classes and does nothing else (STYLE rule 13).

It must leave mmengine's and torch's functions as they are: no launcher,
DDP or ``torch.cuda`` function replaced, no ``torch.load`` allow-list
changed. Checked in a fresh interpreter (this test process has imported
ussl_mm and allow-listed mmengine's checkpoints already, see conftest.py),
after importing the OpenMMLab libraries, so that only ussl_mm's own effect
is measured.
"""
import json
import subprocess
import sys

PROBE = r'''
import json

import mmcv.transforms  # noqa: F401
import mmengine.dist
import mmengine.dist.utils
import mmengine.model.wrappers.distributed
import mmengine.runner  # noqa: F401
import mmpretrain.models  # noqa: F401
import mmseg.models  # noqa: F401
import torch
import torch.cuda
import torch.serialization


def functions():
    """Every public or private attribute of the modules and classes that
    a CPU-distributed shim would have to patch."""
    owners = {
        'mmengine.dist.utils': vars(mmengine.dist.utils),
        'mmengine.dist': vars(mmengine.dist),
        'torch.cuda': vars(torch.cuda),
        'torch.distributed': vars(torch.distributed),
        'MMDistributedDataParallel': vars(
            mmengine.model.wrappers.distributed.MMDistributedDataParallel),
        'DistributedDataParallel': vars(
            torch.nn.parallel.DistributedDataParallel),
    }
    return {f'{owner}.{name}': obj for owner, attrs in owners.items()
            for name, obj in attrs.items() if callable(obj)}


def safe_globals():
    return sorted(map(repr, torch.serialization.get_safe_globals()))


named = ('mmengine.dist.utils._init_dist_pytorch',
         'mmengine.dist.utils._init_dist_slurm',
         'mmengine.dist.utils._init_dist_mpi',
         'mmengine.dist.utils.init_dist',
         'MMDistributedDataParallel.__init__',
         'torch.cuda.set_device')
before, allowed_before = functions(), safe_globals()
import ussl_mm  # noqa: E402,F401
after, allowed_after = functions(), safe_globals()

from ussl_mm.utils.compat import register_safe_globals  # noqa: E402
register_safe_globals()
print(json.dumps(dict(
    missing=[n for n in named if n not in before],
    changed=sorted(k for k in before if after.get(k) is not before[k]),
    added=sorted(set(after) - set(before)),
    n_functions=len(before),
    allowed_before=allowed_before,
    allowed_after=allowed_after,
    allowed_explicit=safe_globals(),
)))
'''


def test_import_leaves_mmengine_and_torch_unchanged():
    proc = subprocess.run([sys.executable, '-c', PROBE],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # The probe looked at the functions a patch would replace.
    assert seen['missing'] == []
    assert seen['n_functions'] > 100
    assert seen['changed'] == [], (
        f'import ussl_mm replaced {seen["changed"]}: extend through '
        'registries and explicit calls (ussl_mm.utils.setup_cpu_distributed)'
        ', not by patching at import.')
    assert seen['added'] == []
    assert seen['allowed_after'] == seen['allowed_before'], (
        'import ussl_mm changed the torch.load allow-list; the tools call '
        'ussl_mm.utils.register_safe_globals() instead.')
    # The explicit call is what allow-lists mmengine's HistoryBuffer.
    assert not any('HistoryBuffer' in g for g in seen['allowed_before'])
    assert any('HistoryBuffer' in g for g in seen['allowed_explicit'])
