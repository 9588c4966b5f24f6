"""Trial 10 at small size: schemathesis against the server's OpenAPI document; and the checks
it relies on do catch a server error and an answer off the schema."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

from reliability.common import TrialResult
from reliability.schemafuzz import CHECKS, _fuzz, schemathesis_trial


def test_schemathesis_trial(tmp_path: Path) -> None:
    result = schemathesis_trial(5, tmp_path)
    assert result.failures == []
    assert result.counts["server errors (5xx)"] == 0
    assert result.counts["operations in the OpenAPI document"] == 22
    per_operation = {k: v for k, v in result.counts.items() if k.startswith("cases GET ")}
    per_operation |= {k: v for k, v in result.counts.items() if k.startswith("cases POST ")}
    per_operation |= {k: v for k, v in result.counts.items() if k.startswith("cases PUT ")}
    assert len(per_operation) == 22 and all(v >= 1 for v in per_operation.values())


class Answer(BaseModel):
    n: int


def test_the_checks_catch_a_server_error_and_an_answer_off_the_schema() -> None:
    import schemathesis
    from schemathesis import GenerationMode

    app = FastAPI()

    @app.get("/boom", response_model=None)
    def boom(n: int) -> None:
        raise RuntimeError("a defect")

    @app.get("/off", response_model=Answer, responses={200: {"model": Answer}})
    def off(n: int) -> object:
        from fastapi.responses import JSONResponse

        return JSONResponse({"n": "not a number"})

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for operation in schema.get_all_operations():
        result = TrialResult("t", 3, 3)
        _fuzz(operation.ok(), GenerationMode.POSITIVE, 3, CHECKS, result)
        assert result.counts["responses failing a check"] >= 1, operation.ok().label
