from . import backbones, heads, losses, necks, selfsup  # noqa: F401
from . import decode_heads  # noqa: F401
