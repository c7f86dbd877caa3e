"""bot.core.evidence, and the staff's queue showing what a Tchap id proves.

The router is driven directly with Matrix identities: what is tested is the
evidence stored with a membership request, not the transport.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core import evidence
from bot.core.config import Config
from bot.core.i18n import Translations
from bot.core.messages import from_text
from bot.demo.seed import STAFF_IDENTITY, seed
from storage import memberships

TCHAP = "@prenom.nom-mairie-exemple.fr:agent.collectivites.tchap.gouv.fr"


def test_describe_words_what_an_identity_proves_in_the_readers_language() -> None:
    en, fr = Translations().get("en"), Translations().get("fr")
    stored = evidence.stored([f"matrix:{TCHAP}", "telegram:123"])
    assert stored == f"matrix:{TCHAP}, telegram:123"  # data, in no language
    assert evidence.describe(en, stored) == (
        f"matrix:{TCHAP} (Tchap, collectivites family, e-mail domain mairie-exemple.fr),"
        " telegram:123"
    )
    assert evidence.describe(fr, stored) == (
        f"matrix:{TCHAP} (Tchap, famille collectivites, domaine de messagerie"
        " mairie-exemple.fr), telegram:123"
    )
    assert evidence.describe(fr, "matrix:@alice:matrix.org") == "matrix:@alice:matrix.org"
    assert evidence.describe(fr, "console:maire") == "console:maire"
    assert evidence.describe(fr, "") == "—"
    old = f"matrix:{TCHAP} (Tchap (collectivites), e-mail domain mairie-exemple.fr)"
    assert evidence.describe(fr, old) == old  # worded by an earlier version: shown as is


@pytest.fixture
async def staff_app(tmp_path: Path, refdata_db: Path) -> AsyncIterator[App]:
    path = tmp_path / "g.db"
    shutil.copyfile(refdata_db, path)
    app = await App.create(Config(db_path=str(path), verification="staff"))
    await seed(app.services.db, app.services.clock.now(), "needs")
    try:
        yield app
    finally:
        await app.close()


async def test_the_staff_queue_shows_the_tchap_family_and_email_domain(staff_app: App) -> None:
    identity = f"matrix:{TCHAP}"
    for index, text in enumerate(["!start", "1", "24432", "2", "1"]):
        await staff_app.handle(from_text(identity, f"matrix:$e{index}", text, "!/", address="!r"))
    [request] = await memberships.queue(staff_app.services.db)
    assert request.status == "pending"
    assert request.evidence == identity

    [shown] = await staff_app.handle(from_text(STAFF_IDENTITY, "console:1", "/moderation"))
    assert "Tchap, famille collectivites, domaine de messagerie mairie-exemple.fr" in shown.text
