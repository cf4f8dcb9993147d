from .metrics import PerClassIoUMetric  # noqa: F401

__all__ = ['PerClassIoUMetric']
