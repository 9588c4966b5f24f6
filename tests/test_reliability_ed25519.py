"""Trial 5 at small size: Wycheproof vectors, bit flips, small-order keys and replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.common import TrialResult
from reliability.ed25519 import VECTORS, ed25519_trial, small_order_encodings, wycheproof


def test_ed25519_trial(tmp_path: Path) -> None:
    result = ed25519_trial(300, tmp_path)
    assert result.failures == []
    assert result.counts["bit flips refused"] == 300
    assert result.counts["small-order keys refused"] == len(small_order_encodings()) >= 10
    assert result.counts["replays refused"] == (
        result.counts["replays into another election"]
        + result.counts["replays onto another polling station"]
    )


@pytest.mark.skipif(not VECTORS.exists(), reason=f"Wycheproof vectors absent ({VECTORS})")
def test_every_wycheproof_vector_gives_its_expected_result() -> None:
    result = TrialResult("wycheproof", 0, "all")
    assert wycheproof(result)
    assert result.failures == []
    assert result.counts["Wycheproof vectors"] == 151
    assert result.counts["Wycheproof invalid refused"] == 63
