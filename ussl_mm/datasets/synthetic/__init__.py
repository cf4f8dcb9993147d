from .knee_us import generate_knee_us, synthesize_knee_us

__all__ = ['generate_knee_us', 'synthesize_knee_us']
