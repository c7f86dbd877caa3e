"""French as a person writes it (bot/core/french.py)."""

from __future__ import annotations

import pytest

from bot.core.french import NBSP, NNBSP, Named, contract, typeset, typography_faults


@pytest.mark.parametrize(
    ("name", "of", "to"),
    [
        ("Le Bugue", "du Bugue", "au Bugue"),
        ("Les Eyzies", "des Eyzies", "aux Eyzies"),
        ("La Roque-Gageac", "de La Roque-Gageac", "à La Roque-Gageac"),
        ("L'Isle-Jourdain", "de L'Isle-Jourdain", "à L'Isle-Jourdain"),
        ("Sarlat-la-Canéda", "de Sarlat-la-Canéda", "à Sarlat-la-Canéda"),
        ("Eymet", "d'Eymet", "à Eymet"),
        ("Île-d'Yeu", "d'Île-d'Yeu", "à Île-d'Yeu"),
        ("Hautefort", "de Hautefort", "à Hautefort"),
        ("Lembras", "de Lembras", "à Lembras"),  # "Le" inside a word is no article
        ("Leyme", "de Leyme", "à Leyme"),
        ("Le Bugue (Dordogne, 24)", "du Bugue (Dordogne, 24)", "au Bugue (Dordogne, 24)"),
        ("CC du Pays de Fayence", "de la CC du Pays de Fayence", "à la CC du Pays de Fayence"),
        (
            "Métropole du Grand Paris",
            "de la Métropole du Grand Paris",
            "à la Métropole du Grand Paris",
        ),
    ],
)
def test_contractions(name: str, of: str, to: str) -> None:
    assert contract("de", name) == of
    assert contract("a", name) == to
    assert "{x:de} / {x:a} / {x}".format(x=Named(name)) == f"{of} / {to} / {name}"


def test_an_unknown_preposition_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="preposition"):
        contract("pour", "Le Bugue")


@pytest.mark.parametrize(
    ("plain", "typeset_"),
    [
        ("Thèmes : {themes}", f"Thèmes{NBSP}: {{themes}}"),
        ("Retirer ? Oui !", f"Retirer{NNBSP}? Oui{NNBSP}!"),
        ("Fermé ; rien n'a changé.", f"Fermé{NNBSP}; rien n'a changé."),
        ("Modifier « {title} »", f"Modifier «{NNBSP}{{title}}{NNBSP}»"),
        ("Soutiens de {name}:", f"Soutiens de {{name}}{NBSP}:"),
        ("Vraiment ?!", f"Vraiment{NNBSP}?!"),
        (
            "par ex. telegram:123 ou https://x.fr/a?b=1",
            "par ex. telegram:123 ou https://x.fr/a?b=1",
        ),
        ("entre 9 h et 19 h, 10:30", "entre 9 h et 19 h, 10:30"),
    ],
)
def test_typeset(plain: str, typeset_: str) -> None:
    assert typeset(plain) == typeset_
    assert typeset(typeset_) == typeset_  # idempotent
    assert typography_faults(typeset_) == []


def test_faults_are_named() -> None:
    assert typography_faults("Oui ?") == [f"spacing: 'Oui ?' should be {'Oui' + NNBSP + '?'!r}"]
    assert typography_faults("Dites “oui”") == [
        "quotation mark '“': French uses « »",
        "quotation mark '”': French uses « »",
    ]
