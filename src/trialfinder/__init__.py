"""trialfinder: a self-hostable clinical-trial finder."""

__version__ = "0.1.0"
