"""Found by schemathesis (reliability trial "schemathesis"): a pull cursor beyond SQLite's
64-bit integers made the server fail with 500 (OverflowError); it is a 422 like any other
cursor off the schema."""

from __future__ import annotations

from tests.sync_support import LiveServer, live_server

__all__ = ["live_server"]


def test_a_cursor_too_large_for_sqlite_is_refused_not_a_server_error(
    live_server: LiveServer,
) -> None:
    import requests

    for since in (2**63, 10**30):
        answer = requests.get(
            live_server.url + "/v1/pull",
            params={"jurisdiction": "32.01.01", "since": since},
            timeout=10,
        )
        assert answer.status_code == 422, answer.text
    last = requests.get(
        live_server.url + "/v1/pull",
        params={"jurisdiction": "32.01.01", "since": 2**63 - 1},
        timeout=10,
    )
    assert last.status_code == 200 and last.json()["entries"] == []
