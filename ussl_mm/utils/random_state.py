"""The global random number generators' state, as a checkpoint can hold it.

One reason: mmengine checkpoints hold the model, optimizer, schedulers and
message hub but not the random state, so after a resume the data
augmentation (``random``/``numpy`` draws) and dropout (``torch`` draws)
differ from the run that was not interrupted. The state is stored in a form
that ``torch.load(weights_only=True)`` reads without any allow-listing:
tensors, ints, floats, strings, tuples and dicts only.
"""
import random
from typing import Any, Dict

import numpy as np
import torch

#: Keys of :func:`get_rng_state`.
GENERATORS = ('python', 'numpy', 'torch', 'cuda')


def get_rng_state() -> Dict[str, Any]:
    """The state of Python's ``random``, NumPy's legacy global generator
    (``np.random.*``), torch's CPU generator and, where present, every CUDA
    device's generator.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and ``cuda`` (None without
        CUDA).
    """
    version, internal, gauss = random.getstate()
    kind, key, pos, has_gauss, cached = np.random.get_state()
    cuda = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = tuple(torch.cuda.get_rng_state_all())
    return dict(
        python=(int(version), tuple(int(x) for x in internal),
                None if gauss is None else float(gauss)),
        numpy=dict(kind=str(kind),
                   key=torch.from_numpy(np.asarray(key, dtype=np.int64)),
                   pos=int(pos), has_gauss=int(has_gauss),
                   cached_gaussian=float(cached)),
        torch=torch.get_rng_state(),
        cuda=cuda)


def set_rng_state(state: Dict[str, Any], source: str = 'the checkpoint'
                  ) -> None:
    """Restore a state from :func:`get_rng_state`.

    Args:
        state (dict): As returned by :func:`get_rng_state` (possibly after a
            round trip through ``torch.save``/``torch.load``).
        source (str): Where it comes from, for the error message.
            Defaults to 'the checkpoint'.

    Raises:
        ValueError: If a generator's state is missing or malformed.
    """
    missing = [k for k in ('python', 'numpy', 'torch') if k not in state]
    if missing:
        raise ValueError(
            f'The random state in {source} lacks {missing} (it has '
            f'{sorted(state)}). It was not written by ussl_mm\'s '
            'AtomicCheckpointHook; resume from a checkpoint that was, or '
            'accept a resume that is not bit-exact by deleting its '
            '"resume_state" entry.')
    version, internal, gauss = state['python']
    random.setstate((int(version), tuple(int(x) for x in internal), gauss))
    npst = state['numpy']
    np.random.set_state((npst['kind'],
                         np.asarray(npst['key'], dtype=np.uint32),
                         int(npst['pos']), int(npst['has_gauss']),
                         float(npst['cached_gaussian'])))
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda')
    if cuda and torch.cuda.is_available():
        if len(cuda) != torch.cuda.device_count():
            raise ValueError(
                f'The random state in {source} is of {len(cuda)} CUDA '
                f'devices, this machine has {torch.cuda.device_count()}. '
                'Resume on the same number of devices for a bit-exact '
                'resume.')
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
