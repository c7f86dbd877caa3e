"""bot.core.matrix_ids: servers, invite policy and what a Tchap id tells the staff."""

from __future__ import annotations

import pytest

from bot.core.matrix_ids import (
    email_domain,
    localpart_of,
    server_allowed,
    server_of,
    tchap_facts,
    tchap_family,
)


def test_server_and_localpart() -> None:
    assert server_of("@a.b:example.org") == "example.org"
    assert server_of("@bot:localhost:8448") == "localhost:8448"
    assert localpart_of("@a.b:example.org") == "a.b"


@pytest.mark.parametrize(
    ("server", "allowed", "expected"),
    [
        ("guichet.test", (), True),  # empty list: our own homeserver only
        ("matrix.org", (), False),
        ("agent.collectivites.tchap.gouv.fr", ("*.tchap.gouv.fr",), True),
        ("Agent.Collectivites.Tchap.Gouv.Fr", ("*.tchap.gouv.fr",), True),
        ("tchap.gouv.fr.evil.example", ("*.tchap.gouv.fr",), False),
        ("guichet.test", ("*.tchap.gouv.fr",), False),  # a list replaces the default
        ("matrix.org", ("matrix.org", "guichet.test"), True),
    ],
)
def test_server_allowed(server: str, allowed: tuple[str, ...], expected: bool) -> None:
    assert server_allowed(server, allowed, own_server="guichet.test") is expected


@pytest.mark.parametrize(
    ("server", "family"),
    [
        ("agent.collectivites.tchap.gouv.fr", "collectivites"),
        ("matrix.agent.collectivites.tchap.gouv.fr", "collectivites"),
        ("agent.dinum.tchap.gouv.fr", "dinum"),
        ("agent.externe.tchap.gouv.fr:443", "externe"),
        ("tchap.gouv.fr", ""),
        ("matrix.org", None),
        ("nottchap.gouv.fr", None),
    ],
)
def test_tchap_family(server: str, family: str | None) -> None:
    assert tchap_family(server) == family


@pytest.mark.parametrize(
    ("localpart", "domain"),
    [
        ("prenom.nom-mairie-exemple.fr", "mairie-exemple.fr"),
        ("jean-pierre.dupont-mairie-exemple.fr", "mairie-exemple.fr"),
        ("marie.durand-ville-saint-julien-de-lampon.fr", "ville-saint-julien-de-lampon.fr"),
        ("secretariat-cc-fayence.fr", "cc-fayence.fr"),
        ("dgs-mairie.fr", "mairie.fr"),
        ("jean.dupont-interieur.gouv.fr", "interieur.gouv.fr"),
        ("no-domain-here", None),
        ("plain", None),
    ],
)
def test_email_domain(localpart: str, domain: str | None) -> None:
    assert email_domain(localpart) == domain


def test_tchap_facts() -> None:
    assert tchap_facts("@prenom.nom-mairie-exemple.fr:agent.collectivites.tchap.gouv.fr") == (
        "collectivites",
        "mairie-exemple.fr",
    )
    assert tchap_facts("@Prenom.Nom-Mairie.fr:agent.collectivites.tchap.gouv.fr") == (
        "collectivites",
        "mairie.fr",
    )
    assert tchap_facts("@weird:agent.dinum.tchap.gouv.fr") == ("dinum", None)
    assert tchap_facts("@alice:matrix.org") is None
    assert tchap_facts("not an id") is None
