"""French as a person writes it: prepositions before names, typographic spaces.

A commune's name may carry its article (Le Bugue, Les Eyzies-de-Tayac, La
Roque-Gageac, L'Isle-Jourdain), and French contracts it with the preposition
before it: "le maire du Bugue", "agent des Eyzies", "au Bugue", "aux Eyzies";
"de La Roque-Gageac" and "de L'Isle-Jourdain" keep the capitalised article;
"d'Eymet" elides.  A catalog cannot do this with ``de {place}``, so the
translator's formatter (``bot.core.i18n``) reads a format spec: a French
translation writes ``{place:de}`` or ``{place:a}`` where the English has "of
{place}" or "in {place}", and the English is untouched.  ``Named`` does the
same for a name formatted outside the catalogs.

The typographic half: French puts a narrow no-break space (U+202F) before ``;
! ?`` and inside « », a no-break space (U+00A0) before ``:``, so that a line
never starts with a lone colon or question mark on a phone screen.
``typeset`` applies these rules to a catalog entry, ``typography_faults``
finds what is left to fix (the catalog test runs it over every entry).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NBSP", "NNBSP", "PREPOSITIONS", "Named", "contract", "typeset", "typography_faults"]

PREPOSITIONS = ("de", "a", "à")

NBSP = "\u00a0"
NNBSP = "\u202f"

_APOSTROPHES = ("'", "’")
# Groupements whose type is feminine: "de la CC du Périgord noir", "à la Métropole de Lyon".
_FEMININE_TYPES = ("cc ", "ca ", "cu ", "communaute ", "metropole ")
_MASCULINE_TYPES = ("syndicat ", "sivom ", "sivu ", "pays ", "pole ", "petr ")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def contract(preposition: str, name: str) -> str:
    """``de`` or ``a`` (à) joined to ``name`` as French writes it.

    Only a capitalised article at the start is an article of the name ("Le
    Bugue"); "Lembras" or "Leyme" are not.  "h" is left alone: whether it
    elides (d'Hautefort?) depends on the word, and "de Hautefort" reads
    correctly either way, where a wrong elision would not.
    """
    if preposition not in PREPOSITIONS:
        raise ValueError(f"unknown preposition {preposition!r}")
    of = preposition == "de"
    folded = _fold(name)
    if name.startswith("Le "):
        return ("du " if of else "au ") + name[3:]
    if name.startswith("Les "):
        return ("des " if of else "aux ") + name[4:]
    if name.startswith("La ") or name[:2] in ("L'", "L’"):
        return ("de " if of else "à ") + name
    if folded.startswith(_FEMININE_TYPES):
        return ("de la " if of else "à la ") + name
    if folded.startswith(_MASCULINE_TYPES):
        return ("du " if of else "au ") + name
    if of and folded[:1] in tuple("aeiouy"):
        return "d'" + name
    return ("de " if of else "à ") + name


class Named(str):
    """A text parameter that French translations may contract with a preposition.

    ``"{place:de}".format(place=Named("Le Bugue"))`` gives "du Bugue"; without
    a spec it is the plain string, so English and every other use are unchanged.
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec in PREPOSITIONS:
            return contract(spec, str(self))
        return format(str(self), spec)


# A colon, semicolon, question or exclamation mark is punctuation when what
# follows is a space, the end, a newline or closing punctuation; "telegram:123",
# "https://" and "10:30" are not, and keep their colon tight.
_PUNCT_AFTER = r"(?=$|[\s)»”\"'.,…])"
_COLON = re.compile(r"[ \u00a0\u202f]?:" + _PUNCT_AFTER)
_HIGH = re.compile(r"[ \u00a0\u202f]?([;!?]+)" + _PUNCT_AFTER)
_OPEN_QUOTE = re.compile("«[ \u00a0\u202f]?")
_CLOSE_QUOTE = re.compile("[ \u00a0\u202f]?»")


def typeset(text: str) -> str:
    """French spacing applied to ``text``: no-break before ':', narrow no-break
    before ';', '!', '?' and inside « ».  Idempotent, so it can run on a catalog
    that is already partly right."""
    text = _COLON.sub(lambda m: (NBSP if m.start() > 0 else "") + ":", text)
    text = _HIGH.sub(lambda m: (NNBSP if m.start() > 0 else "") + m.group(1), text)
    text = _OPEN_QUOTE.sub("«" + NNBSP, text)
    return _CLOSE_QUOTE.sub(NNBSP + "»", text)


def typography_faults(text: str) -> list[str]:
    """What breaks French typography in ``text``, in words, for a test to list."""
    faults = []
    if text != typeset(text):
        for line in text.splitlines():
            if line != typeset(line):
                faults.append(f"spacing: {line!r} should be {typeset(line)!r}")
    for quote in ('"', "“", "”"):
        if quote in text:
            faults.append(f"quotation mark {quote!r}: French uses « »")
    return faults
