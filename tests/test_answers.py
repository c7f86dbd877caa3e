"""Typed answers read as a person means them (bot/core/answers.py)."""

from __future__ import annotations

import pytest

from bot.core.answers import fold, number, pick, yes_no

LANGUAGES = ["Français", "English"]
ROLES = ["Élu·e (peut engager le soutien)", "Agent", "Pas cette collectivité : chercher à nouveau"]
THEMES = ["Écoles et collèges", "Santé publique", "Données", "Services publics", "Autre"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3", 3),
        ("3.", 3),
        (" 3 ) ", 3),
        ("n°3", 3),
        ("N° 3", 3),
        ("no 3", 3),
        ("numéro 3", 3),
        ("#3", 3),
        ("(3)", 3),
        ("3 rue de la Paix", None),
        ("trois", None),
        ("", None),
        ("12345", None),  # a postcode, not a choice
    ],
)
def test_number_as_people_type_it(typed: str, expected: int | None) -> None:
    assert number(typed) == expected


def test_a_number_out_of_range_picks_nothing() -> None:
    assert pick("9", LANGUAGES) is None
    assert pick("0", LANGUAGES) is None
    assert pick("2.", LANGUAGES) == 2


@pytest.mark.parametrize(
    ("typed", "labels", "expected"),
    [
        ("français", LANGUAGES, 1),
        ("FRANCAIS", LANGUAGES, 1),
        ("english", LANGUAGES, 2),
        ("agent", ROLES, 2),
        ("élu·e", ROLES, 1),
        ("elu", ROLES, 1),
        ("ecoles", THEMES, 1),
        ("écoles", THEMES, 1),
        ("sante", THEMES, 2),
        ("données", THEMES, 3),
        ("autre", THEMES, 5),
        ("publique", THEMES, 2),  # a whole word of one label only
        ("publics", THEMES, 4),
        ("services", THEMES, 4),
        ("espagnol", LANGUAGES, None),
        ("e", LANGUAGES, None),  # no guessing from a letter
    ],
)
def test_a_typed_label_selects_its_choice(typed: str, labels: list[str], expected: int) -> None:
    assert pick(typed, labels) == expected


def test_an_answer_that_fits_two_labels_picks_neither() -> None:
    assert pick("commune", ["Commune de Sarlat", "Commune de Vitrac"]) is None
    assert pick("saint", ["Saint-Julien", "Saint-Cybranet"]) is None


@pytest.mark.parametrize("typed", ["oui", "Oui", "OUI !", "o", "yes", "Y", "ok", "d'accord"])
def test_yes(typed: str) -> None:
    assert yes_no(typed) is True


@pytest.mark.parametrize("typed", ["non", "Non.", "n", "no", "NO"])
def test_no(typed: str) -> None:
    assert yes_no(typed) is False


@pytest.mark.parametrize("typed", ["peut-être", "1", "", "ouiii"])
def test_neither(typed: str) -> None:
    assert yes_no(typed) is None


def test_fold() -> None:
    assert fold("  L'Île-d'Yeu ") == "l ile d yeu"
    assert fold("Cœur") == "coeur"
