"""dllint: a linter for deep-learning projects."""

__version__ = "0.1.0"
