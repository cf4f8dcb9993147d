"""Label-efficiency studies: label fractions x seeds x initialisations (x
pretraining-set sizes), each run a tools/train.py + tools/test.py command
line, and one report."""
from .report import StudyReport, build_report, per_image_scores
from .runner import FinetuneRun, LabelEfficiencyStudy, PretrainRun
from .spec import (Initialisation, Pretraining, PretrainData, Schedule,
                   StudyConfigError, StudySpec)
from .stale import StaleRunError

__all__ = [
    'StudySpec', 'StudyConfigError', 'Pretraining', 'Initialisation',
    'Schedule', 'PretrainData', 'LabelEfficiencyStudy', 'FinetuneRun',
    'PretrainRun', 'StudyReport', 'build_report', 'per_image_scores',
    'StaleRunError'
]
