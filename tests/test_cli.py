"""``guichet demo`` with piped input, as a new user would try it, and ``guichet staff``."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.ops.cli import main
from tests.conftest import run_demo


def test_demo_piped_onboarding_then_staff(tmp_path: Path, refdata_db: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(refdata_db, db)
    out = run_demo(
        tmp_path,
        [
            "/aide",
            "/start",
            "1",
            "st julien 24",
            "1",
            "1",
            "1",
            "/as staff",
            "/moderation",
            "/equipe",
        ],
        "--verify",
        "staff",
        db=db,
    )
    assert "maire> /aide" in out
    assert "  1. Saint-Julien-de-Lampon (Dordogne, 24) — 24370" in out
    assert "en attente de validation" in out
    assert "── staff ⟵ Guichet ──" in out  # the staff's notice, through the outbox
    assert "Demande de rattachement 1 sur 1" in out
    assert "console:staff" in out and "administrateur" in out


def test_demo_fresh_file_each_time_and_phase_choice(tmp_path: Path) -> None:
    out = run_demo(tmp_path, ["/calendar"], "--phase", "selection")
    assert "4. Sélection des projets" in out and "OUVERTE" in out
    # The banner in words, as French writes them (it read "démo (selection, vérification open)").
    assert (
        "Guichet — démo\u00a0: phase «\u202fsélection des projets\u202f» ouverte, "
        "adhésions approuvées d'office." in out
    )
    assert "Base\u00a0: " in out


def test_demo_keeps_its_file_with_db(tmp_path: Path, refdata_db: Path) -> None:
    db = tmp_path / "kept.db"
    shutil.copy(refdata_db, db)
    run_demo(tmp_path, ["/start 24432", "2", "1", "1"], db=db)
    out = run_demo(tmp_path, ["/profile"], db=db)
    assert "Saint-Julien-de-Lampon (24) — an elected official — approved" in out


def test_staff_cli_names_the_first_admin(tmp_path: Path, refdata_db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "g.db"
    shutil.copy(refdata_db, db)
    assert main(["staff", "add", "telegram:12345", "--db", str(db)]) == 0
    assert (
        main(["staff", "add", "matrix:@jane:agent.tchap.gouv.fr", "--staff", "--db", str(db)]) == 0
    )
    assert main(["staff", "add", "not an identity", "--db", str(db)]) == 2
    assert main(["staff", "list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "admin\ttelegram:12345" in listing
    assert "staff\tmatrix:@jane:agent.tchap.gouv.fr" in listing
    assert main(["staff", "remove", "telegram:12345", "--db", str(db)]) == 0


def test_run_without_backend_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GUICHET_TELEGRAM_TOKEN", raising=False)
    config = tmp_path / "guichet.toml"
    config.write_text('[guichet]\ndatabase = "g.db"\n')
    assert main(["run", "--config", str(config)]) == 2
    assert "no backend configured" in capsys.readouterr().err
    config.write_text("[telegram]\n")
    assert main(["run", "--config", str(config)]) == 2
    assert "GUICHET_TELEGRAM_TOKEN" in capsys.readouterr().err
