"""Recap Desktop: offline-first recapitulation of hand-counted election results."""

__version__ = "0.1.0"
