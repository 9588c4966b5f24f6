"""The window's settings, kept in QSettings (per user, outside the data folder)."""

from __future__ import annotations

from recap_desktop.ui.qt import QSettings

DEFAULT_IDLE_MINUTES = 15


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("recap", "recap-desktop")

    @property
    def language(self) -> str | None:
        """'id', 'en', or None to follow the system locale."""
        value = self.q.value("language")
        return str(value) if value in ("id", "en") else None

    @language.setter
    def language(self, value: str | None) -> None:
        if value is None:
            self.q.remove("language")
        else:
            self.q.setValue("language", value)

    @property
    def idle_minutes(self) -> int:
        try:
            value = int(str(self.q.value("idle_minutes", DEFAULT_IDLE_MINUTES)))
        except ValueError:
            return DEFAULT_IDLE_MINUTES
        return value if 1 <= value <= 240 else DEFAULT_IDLE_MINUTES

    @idle_minutes.setter
    def idle_minutes(self, value: int) -> None:
        self.q.setValue("idle_minutes", int(value))
