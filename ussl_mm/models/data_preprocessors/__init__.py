from .multi_branch_seg_data_preprocessor import \
    MultiBranchSegDataPreProcessor  # noqa: F401
