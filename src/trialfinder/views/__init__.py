"""Presenting domain objects as text or HTML; no I/O."""
