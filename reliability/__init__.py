"""Hardening trials (issue 6): crash, fault, tamper and hostile-input trials with figures.

``python -m reliability [--full] [--trial NAME]`` runs them and writes docs/RELIABILITY.md.
"""
