"""schemathesis (4.x) against the server's own OpenAPI document: every operation, ``size``
generated cases each (positive, and the same again negative: inputs off the schema), sent to
the real FastAPI app in-process (ASGI). Checked on every answer: not a server error (5xx),
the body conforms to the documented response schema, the content type is the documented one.

The server holds the demo election and a laptop's certificate and sheets, so pull, totals and
the election routes answer with real records, not only empty lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reliability.common import TrialResult


def _server_app(work: Path) -> tuple[Any, Any]:
    from recap_desktop.services import demo as demo_service
    from recap_server.app import create_app
    from recap_server.server import open_ledger
    from tests.pg_support import database_for
    from tests.sync_support import make_laptop

    ledger = open_ledger(work / "server", demo=True, database=database_for(work / "server"))
    laptop = make_laptop(work / "laptop", "op-fuzz")
    try:
        demo_service.populate(laptop.ws, laptop.key, stations=6)
        records = [r.record.to_json() for r in laptop.ws.store.records.rows() if r.record]
    finally:
        laptop.ws.close()
    ledger.push(records)
    return create_app(ledger, demo=True), ledger


def _checks() -> list[Any]:
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
    )

    return [not_a_server_error, response_schema_conformance, content_type_conformance]


CHECKS = _checks()


def _fuzz(operation: Any, mode: Any, size: int, checks: list[Any], result: TrialResult) -> int:
    """Up to ``size`` cases of one operation in one mode; the number of distinct requests."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable

    seen: set[str] = set()

    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            response = case.call()
        except Exception as exc:  # an unhandled exception in the app: a 500 over HTTP
            result.count("cases sent")
            result.count("server errors (5xx)")
            result.count("responses failing a check")
            result.fail(f"{operation.label} ({mode.value}): raised {type(exc).__name__}: {exc}")
            return
        result.count("cases sent")
        result.count(f"cases {mode.value}")
        result.count(f"cases {operation.label}")
        seen.add(case.as_curl_command())
        if response.status_code >= 500:
            result.count("server errors (5xx)")
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # a check failed: the finding, kept in full
            result.count("responses failing a check")
            result.fail(
                f"{operation.label} ({mode.value}): {type(exc).__name__}: "
                f"{str(exc)[:300]} -- {case.as_curl_command()[:300]}"
            )

    try:
        run()
    except Unsatisfiable:  # no input off the schema exists (an operation without parameters)
        result.count("operations without inputs off the schema")
    except Exception as exc:  # the generator itself could not make cases
        result.fail(f"{operation.label} ({mode.value}): {type(exc).__name__}: {exc}")
    return len(seen)


def schemathesis_trial(size: int, work: Path, seed: int = 3) -> TrialResult:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.core.result import Ok

    result = TrialResult("schemathesis", size, 100)
    app, ledger = _server_app(work)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = CHECKS
    operations = []
    for parsed in schema.get_all_operations():
        if isinstance(parsed, Ok):
            operations.append(parsed.ok())
        else:
            result.fail(f"an operation schemathesis cannot read: {parsed.err()}")
    result.counts["operations in the OpenAPI document"] = len(operations)
    try:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                seen = _fuzz(operation, mode, size, checks, result)
                result.notes.append(f"{operation.label} {mode.value}: {seen} distinct cases")
    finally:
        ledger.storage.close()
    result.counts.setdefault("server errors (5xx)", 0)
    result.counts.setdefault("responses failing a check", 0)
    return result
