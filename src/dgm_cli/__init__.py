"""dgm: a command-line solver for the core theory of deep generative models."""

__version__ = "0.1.0"
