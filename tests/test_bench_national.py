"""``bench/national.py`` runs end to end at a tiny size: every stage, through the chat,
from a first start on an empty database (the full size is for bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_national_run_at_a_tiny_size(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/national.py", "--communes", "20", "--db", str(tmp_path / "n.db")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for stage in (
        "| onboarding | ",
        "| needs (a fifth of the persons) | ",
        "| support phase announced to everyone | ",
        "| broadcast to everyone (/diffuser) | ",
        "| results (/selection, 17 selected) | ",
        "| /export csv + xlsx | ",
        "| end | ",
    ):
        assert stage in out, out
    assert "60 persons" in out and "0 outbox rows left" in out
