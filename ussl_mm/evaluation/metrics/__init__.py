from .clinical_metric import ClinicalMetric, add_clinical_metric, percent_error
from .per_class_iou_metric import PerClassIoUMetric
from .pixel_spacing import find_spacing_file

__all__ = [
    'ClinicalMetric', 'PerClassIoUMetric', 'add_clinical_metric',
    'find_spacing_file', 'percent_error'
]
