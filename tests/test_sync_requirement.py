"""A supervisor's requirement of double entry travels through the central server like any
officer record: pushed by the supervisor's laptop, pulled by an operator's, and enforced there."""

from __future__ import annotations

from pathlib import Path

import pytest

from recap_desktop.domain.double_entry import DoubleEntry
from recap_desktop.services import RecapError
from recap_desktop.services import requirements as requirement_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.sheets import enter_sheet
from tests.sync_support import LiveServer, district_stations, enter, live_server, make_laptop

__all__ = ["live_server"]


def test_a_requirement_synced_from_the_supervisor_binds_the_operators_laptop(
    live_server: LiveServer, tmp_path: Path
) -> None:
    supervisor = make_laptop(tmp_path / "sup", "sup-1", role="supervisor")
    operator = make_laptop(tmp_path / "op", "op-1")
    stations = district_stations(operator.ws)
    enter(operator, stations[0], seed=1)  # typed once before the requirement: it stands

    requirement = requirement_service.require_double_entry(
        supervisor.ws, supervisor.key, "32.01.01"
    )
    for laptop in (supervisor, operator):
        result = sync_service.sync_once(laptop.ws, live_server.url)
        assert result.outcome == "done", result.to_json()
    assert operator.ws.store.records.get(requirement.hash) is not None

    with pytest.raises(RecapError) as refused:
        enter(operator, stations[1], seed=2)
    assert refused.value.key == "sheet.double_entry_required"
    assert refused.value.params["region"] == "32.01.01"

    import random

    from recap_desktop.domain.chasil_demo import random_sheet

    election = operator.ws.store.package.election()
    assert election is not None
    values = random_sheet(
        election.contests["ppwp"], election.stations[stations[1]].registered, random.Random(2)
    )
    signed = enter_sheet(
        operator.ws, operator.key, stations[1], "ppwp", values, double_entry=DoubleEntry()
    )
    assert signed.payload["double_entry"] == {"second": None}
    result = sync_service.sync_once(operator.ws, live_server.url)
    assert result.outcome == "done" and not result.refused
