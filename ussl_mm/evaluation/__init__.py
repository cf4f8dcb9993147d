from .metrics import (ClinicalMetric, PerClassIoUMetric,  # noqa: F401
                      add_clinical_metric, find_spacing_file, percent_error)

__all__ = [
    'ClinicalMetric', 'PerClassIoUMetric', 'add_clinical_metric',
    'find_spacing_file', 'percent_error'
]
