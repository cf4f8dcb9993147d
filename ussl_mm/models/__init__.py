from . import backbones, heads, losses, necks, selfsup  # noqa: F401
from . import data_preprocessors, decode_heads, segmentors  # noqa: F401
