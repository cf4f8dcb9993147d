"""Label-efficiency studies: fractions x seeds x initialisations."""
from .report import build_report, paired_wilcoxon
from .runner import FinetuneRun, LabelEfficiencyStudy
from .spec import Initialisation, Pretraining, StudySpec

__all__ = [
    'StudySpec', 'Pretraining', 'Initialisation', 'LabelEfficiencyStudy',
    'FinetuneRun', 'build_report', 'paired_wilcoxon'
]
