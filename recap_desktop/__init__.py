"""Recap Desktop: offline-first recapitulation of hand-counted election results.

The version is ``recap_desktop.version.version()``, read from the installed metadata.
"""
