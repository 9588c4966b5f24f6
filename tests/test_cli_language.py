"""One way to speak: the CLI's refusals, help and network errors in the reader's language and
in plain words, and a failed sync that leaves the saved server address alone (issue 13, 5-6).
"""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recap_desktop.cli import build_parser, help_texts
from recap_desktop.cli import main as cli_main
from recap_desktop.domain.chasil_demo import random_sheet
from recap_desktop.messages import HELP_ID, Message
from recap_desktop.services import Workspace
from recap_desktop.services import sync as sync_service
from recap_desktop.services.election import current_election
from tests.sync_support import LiveServer
from tests.sync_support import live_server as live_server  # a fixture

STATION = "32.01.01.2001.001"


def test_a_refusals_rule_lines_follow_recap_lang(
    recap, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RECAP_LANG=id the lines under "not signed" were the rules' English texts."""
    assert recap("demo", "init").code == 0
    ws = Workspace(data_dir)
    try:
        election = current_election(ws)
        contest = election.contests["ppwp"]
        values = random_sheet(contest, election.stations[STATION].registered, random.Random(3))
    finally:
        ws.close()
    values["total"] += 1  # valid + invalid no longer make the total
    broken = next(r for r in contest.form.rules if "total" in [t.field for t in r.right])
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values), encoding="utf-8")

    monkeypatch.setenv("RECAP_LANG", "id")
    result = recap(
        "sheet", "enter", "--station", STATION, "--contest", "ppwp", "--values", str(path)
    )
    assert result.code == 1
    rule_lines = [line for line in result.err.splitlines() if line.strip().startswith("- [")]
    assert rule_lines, result.err
    indonesian = broken.message["id"].split("{")[0].strip()
    english = broken.message["en"].split("{")[0].strip()
    assert indonesian and indonesian != english
    assert any(indonesian in line for line in rule_lines), result.err
    assert not any(english in line for line in rule_lines), result.err

    monkeypatch.setenv("RECAP_LANG", "en")
    result = recap(
        "sheet", "enter", "--station", STATION, "--contest", "ppwp", "--values", str(path)
    )
    assert any(english in line for line in result.err.splitlines()), result.err


def test_a_message_is_data_rendered_at_the_edge() -> None:
    """One localizer: the same message, rendered in either language when it is shown."""
    line = Message(
        "sheet.rule_line", {"rule": "r1", "text": {"id": "jumlah salah", "en": "sum wrong"}}
    )
    assert line.render("id") == "[r1] jumlah salah"
    assert line.render("en") == "[r1] sum wrong"
    nested = Message("sync.unreachable", {"detail": Message("net.timeout")})
    assert "tidak menjawab pada waktunya" in nested.render("id")
    assert "did not answer in time" in nested.render("en")


@pytest.mark.parametrize("command", [[], ["sync"], ["sheet", "enter"], ["bundle", "import"]])
def test_recap_help_in_both_languages(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`recap --help` was English only."""
    monkeypatch.setenv("RECAP_LANG", "id")
    with pytest.raises(SystemExit):
        cli_main([*command, "--help"])
    out = capsys.readouterr().out
    assert out.startswith("penggunaan: recap")
    assert "tampilkan bantuan ini lalu keluar" in out and "show this help" not in out
    monkeypatch.setenv("RECAP_LANG", "en")
    with pytest.raises(SystemExit):
        cli_main([*command, "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: recap") and "show this help message and exit" in out


def test_every_help_text_has_its_indonesian(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new option's help written in English only fails here, named."""
    monkeypatch.setenv("RECAP_LANG", "en")
    missing = sorted({t for t in help_texts(build_parser()) if t not in HELP_ID})
    assert missing == []


class NotFound(BaseHTTPRequestHandler):
    """A web server that is not a recap server: every path is 404 with an empty body."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_a_recap_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> str:
    """An address where nothing listens (a port just freed on loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_network_errors_in_plain_words(
    recap, closed_port: str, not_a_recap_server: str, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Max retries exceeded…" and "HTTP 404: b''" reached the officer before."""
    assert recap("demo", "init").code == 0
    monkeypatch.setenv("RECAP_LANG", lang)
    down = recap("sync", "--server", closed_port, "--attempts", "1")
    assert down.code == 3
    assert "Max retries" not in down.err and "urllib3" not in down.err
    plain = {
        "id": "periksa jaringan dan alamat server",
        "en": "check the network and the server address",
    }
    assert plain[lang] in down.err

    wrong = recap("sync", "--server", not_a_recap_server, "--attempts", "1")
    assert wrong.code != 0
    assert "b''" not in wrong.err and "HTTP 404:" not in wrong.err
    said = {"id": "periksa alamat server", "en": "check the server address"}
    assert said[lang] in wrong.err, wrong.err


class Redirecting(BaseHTTPRequestHandler):
    """A server that sends every request elsewhere (a 307 to plain http://)."""

    elsewhere = "http://127.0.0.1:9/v1/health"

    def do_GET(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.elsewhere)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_redirect_is_refused_in_plain_words_naming_where_it_pointed(
    recap, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redirect is never followed (PROTOCOL §9.6): `recap sync` says where it pointed."""
    assert recap("demo", "init").code == 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        monkeypatch.setenv("RECAP_LANG", lang)
        result = recap("sync", "--server", url, "--attempts", "1")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 2, result.err
    said = {"id": "Pengalihan tidak pernah diikuti", "en": "A redirect is never followed"}
    assert said[lang] in result.err and Redirecting.elsewhere in result.err and url in result.err


@pytest.mark.parametrize("kind", ["too_large", "too_slow", "redirect"])
def test_each_new_kind_of_network_failure_has_its_own_words(kind: str) -> None:
    from recap_desktop.messages import NETWORK, network_error

    assert set(NETWORK[kind]) == {"id", "en"}
    for lang in ("id", "en"):
        assert network_error(kind, lang) != network_error("connection", lang)


def test_a_failed_sync_keeps_the_saved_server_address(
    recap, data_dir: Path, closed_port: str
) -> None:
    """`recap sync --server WRONG` that fails replaced the address that worked."""
    assert recap("demo", "init").code == 0
    ws = Workspace(data_dir)
    try:
        sync_service.set_server_url(ws.store, "https://recap.example.go.id")
    finally:
        ws.close()
    assert recap("sync", "--server", closed_port, "--attempts", "1").code == 3
    ws = Workspace(data_dir)
    try:
        assert sync_service.server_url(ws.store) == "https://recap.example.go.id"
    finally:
        ws.close()


def test_a_sync_that_goes_through_keeps_its_new_address(
    recap, data_dir: Path, closed_port: str, live_server: LiveServer
) -> None:
    """The other half: the address given to a sync that reached the server is kept, so the
    next `recap sync` needs none."""
    assert recap("demo", "init").code == 0
    assert recap("sync", "--server", live_server.url).code == 0
    assert recap("sync", "--server", closed_port, "--attempts", "1").code == 3
    assert recap("sync").code == 0  # the address that worked, still there


def test_usage_errors_in_both_languages(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """argparse's own error sentences were English whatever RECAP_LANG said."""
    monkeypatch.setenv("RECAP_LANG", "id")
    for argv, said in (
        (["sheet", "enter"], "argumen berikut wajib diberikan: --station"),
        (["verifx"], "pilihan tidak sah: 'verifx'"),
        (["verify", "--nope"], "argumen tidak dikenal: --nope"),
    ):
        with pytest.raises(SystemExit) as exited:
            cli_main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert said in err and "penggunaan: recap" in err, err
    monkeypatch.setenv("RECAP_LANG", "en")
    with pytest.raises(SystemExit):
        cli_main(["sheet", "enter"])
    assert "the following arguments are required: --station" in capsys.readouterr().err
