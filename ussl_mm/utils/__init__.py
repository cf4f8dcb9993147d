from .checkpoint import load_checkpoint_strict
from .compat import register_safe_globals
from .config import (check_data_preprocessor, data_preprocessor_key,
                     enable_amp, strip_collate_scope)
from .dist import setup_cpu_distributed

__all__ = [
    'load_checkpoint_strict', 'enable_amp', 'strip_collate_scope',
    'check_data_preprocessor', 'data_preprocessor_key',
    'register_safe_globals', 'setup_cpu_distributed'
]
