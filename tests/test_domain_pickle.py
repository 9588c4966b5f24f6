"""Worker processes receive the election through pickle: it must come back equal."""

from __future__ import annotations

import pickle

from recap_desktop.domain.election import Station


def test_a_station_pickles_to_an_equal_station() -> None:
    station = Station("32.01.01.2001.001", "32.01.01.2001", "TPS 001", 240, ("ppwp", "dpr"))
    again = pickle.loads(pickle.dumps(station))
    assert again == station and type(again) is Station
    assert hash(again) == hash(station)
