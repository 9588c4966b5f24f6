"""The push answer the server writes itself is what its response model would have written."""

from __future__ import annotations

import json

from fastapi.encoders import jsonable_encoder

from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_server.app import PushAnswer, _answer_bytes
from recap_server.ledger import HELD, REFUSED, STORED, Outcome, Proofs, Pushed


def test_the_push_answer_matches_the_response_model() -> None:
    key = SigningKey.generate()
    outcomes = [
        Outcome("a" * 64, STORED),
        Outcome("b" * 64, HELD),
        Outcome("c" * 64, REFUSED, "equivocation", "signer ab… already signed record 3 as cd…"),
        Outcome("", REFUSED, "malformed", None),
    ]
    receipt = sign(
        key,
        {
            "type": "receipt",
            "server": key.key_id,
            "stored": ["a" * 64],
            "held": ["b" * 64],
            "refused": [{"hash": "c" * 64, "reason": "equivocation"}],
        },
    )
    head = sign(key, {"type": "tree_head", "size": 3})
    proofs = Proofs(2, [b"\x01" * 32, b"\x02" * 32], {"b" * 64: [b"\x03" * 32]}, None)
    pushed = Pushed(outcomes, receipt, head, proofs)
    answer = {
        "results": [o.to_json() for o in outcomes],
        "receipt": receipt.to_json(),
        "head": head.to_json(),
        "proofs": proofs.to_json(),
    }
    expected = jsonable_encoder(PushAnswer.model_validate(answer))
    assert json.loads(_answer_bytes(pushed)) == expected
