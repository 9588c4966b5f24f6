"""Data files of Recap Desktop, installed as the package ``recap_desktop._resources``.

Nothing imports this by its folder name: the program finds these files through
``recap_desktop.resources`` (importlib.resources), so a wheel and the bundle carry them too.
"""
