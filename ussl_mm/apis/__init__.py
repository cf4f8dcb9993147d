"""Build runs the way the tools do (train, test, study, t-SNE) and a
segmentor for mmseg's ``inference_model``."""
from .inference import (inference_pipeline, init_segmentor,
                        merge_data_preprocessor)
from .run import (build_test_cfg, build_test_runner, build_train_cfg,
                  build_train_runner, cfg_options_to_argv, format_command,
                  get_test_parser, get_train_parser, load_cfg,
                  parse_test_args, parse_train_args, run_test, run_train,
                  set_data_root)

__all__ = [
    'get_train_parser', 'get_test_parser', 'parse_train_args',
    'parse_test_args', 'load_cfg', 'set_data_root', 'build_train_cfg',
    'build_test_cfg', 'build_train_runner', 'build_test_runner', 'run_train',
    'run_test',
    'cfg_options_to_argv', 'format_command', 'init_segmentor',
    'merge_data_preprocessor', 'inference_pipeline'
]
