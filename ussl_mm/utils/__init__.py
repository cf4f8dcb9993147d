from . import compat  # noqa: F401  (first: patches torch.load allow-list)
from . import dist  # noqa: F401  (mmengine DDP on CPU: gloo, no set_device)
from .checkpoint import load_checkpoint_strict
from .config import (check_data_preprocessor, data_preprocessor_key,
                     enable_amp, strip_collate_scope)

__all__ = [
    'load_checkpoint_strict', 'enable_amp', 'strip_collate_scope',
    'check_data_preprocessor', 'data_preprocessor_key'
]
