from . import hooks, model_wrappers, optimizers  # noqa: F401
