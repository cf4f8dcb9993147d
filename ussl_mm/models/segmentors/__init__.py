from .mean_teacher_segmentor import (MeanTeacherSegmentor,  # noqa: F401
                                     pseudo_labels)
