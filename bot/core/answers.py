"""What a person meant by a typed answer to a list of choices or a yes/no question.

Choices print as a numbered list, but people on a phone answer as they would a
person: "1." or "n°3" for the third, "agent" or "ecoles" for the choice of that
name, "oui" to a question.  Each of these used to fall through to the flow as
free text and be refused or, worse, taken for something else ("oui" counted as
no).  Pure functions, so the router and every flow read answers the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["fold", "number", "pick", "yes_no"]

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
# "3", "3.", "3)", "n°3", "N° 3", "no 3", "num 3", "numéro 3", "#3", "number 3", "(3)";
# nothing after the number but punctuation, so "3 rue de la Paix" stays text.
_NUMBERED = re.compile(
    r"^\s*(?:(?:n\s*°|n[or]?\.?|num(?:ero|éro|ber)?\.?|#|choix|choice|option)\s*)?"
    r"\(?\s*(\d{1,3})\s*[.)°]?\s*$",
    re.IGNORECASE,
)
_YES = frozenset({"oui", "o", "yes", "y", "ok", "okay", "d accord", "daccord", "bien sur", "si"})
_NO = frozenset({"non", "n", "no", "nope", "pas question"})


def fold(text: str) -> str:
    """Lower case, no accents, every run of punctuation one space: how labels
    and answers are compared, since people type without accents on a phone."""
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text).split())


def number(text: str) -> int | None:
    """The number a person typed to pick a choice, however written; None for text."""
    found = _NUMBERED.match(text)
    return int(found.group(1)) if found else None


def pick(text: str, labels: Sequence[str]) -> int | None:
    """The 1-based position of the choice ``text`` names, or None.

    A number picks its position (None when out of range: the caller asks
    again).  Otherwise a label: the one equal to the answer, accents and case
    aside; failing that, the only one that starts with it ("ecoles" for
    "Écoles et collèges"); failing that, the only one holding it as whole
    words ("publique" for "Santé publique").  Two candidates: None, since
    guessing between them would act on the wrong one.
    """
    typed = number(text)
    if typed is not None:
        return typed if 1 <= typed <= len(labels) else None
    answer = fold(text)
    if not answer:
        return None
    folded = [fold(label) for label in labels]
    tests = (
        lambda label: label == answer,
        lambda label: label.startswith(answer + " "),
        lambda label: f" {answer} " in f" {label} ",
    )
    for test in tests:
        found = [i for i, label in enumerate(folded) if test(label)]
        if len(found) == 1:
            return found[0] + 1
        if len(found) > 1:
            return None
    return None


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, in French or English; None for anything else."""
    answer = fold(text)
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    return None
