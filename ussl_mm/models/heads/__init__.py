from .inpainting_head import InpaintingHead

__all__ = ['InpaintingHead']
