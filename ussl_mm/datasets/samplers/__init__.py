from .multi_source_sampler import MultiSourceSampler  # noqa: F401
