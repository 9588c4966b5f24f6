"""The central server: verifies, keeps and adds up what the laptops sign.

It imports only ``recap_desktop.crypto`` and ``recap_desktop.domain`` from the desktop package:
the verification algorithm is shared, the storage and the window are not.
"""
