"""The desktop window. The only package that imports Qt; it calls the services, never SQL."""


def start() -> int:
    """The installed `recap-desktop` command. Qt and the window are imported here, not at
    the top of the entry script: a process the window spawns (verify_store's helpers, the
    supervisor's review) runs that script again, and must not load them to check records."""
    from recap_desktop.ui.app import main

    return main()
