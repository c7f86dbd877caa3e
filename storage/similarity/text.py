"""French text folded so that the ways people write one word meet.

Order matters: accents are taken off *before* stemming, so "réalisation" and
"realisation" give the same stem (the Snowball stemmer cuts accented and bare
words differently); synonyms are folded before stemming too, because the
table lists words as written, not stems. Stop words are dropped: they carry no
topic and only add noise to the character n-grams' neighbours.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from storage.similarity.concepts import phrases as topic_phrases
from storage.similarity.synonyms import phrase_table

_NON_WORD = re.compile(r"[^a-z0-9]+")
# l'école, d'accès, qu'on: the elided article is glued to the word by an apostrophe
_ELISION = re.compile(r"\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’](?=\w)")

# Function words, and the words any need is written with ("nous souhaiterions
# un outil pour…"), which say nothing of its topic. Accentless, as folded.
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur leurs
    lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses
    son sur ta te tes toi ton tu un une vos votre vous y ete etre avoir ai as avons avez ont
    est sont fait faire afin ainsi alors aussi autre autres car chaque comme dont donc plus
    moins tres tout tous toute toutes sans sous si sont cela ceci celle celui ceux deja encore
    entre etc ici la-bas lors puis quand quel quelle quels quelles sera seront serait soit
    peu peut peuvent pouvoir pourrait pourrions devoir doit doivent faut il y a
    besoin besoins souhait souhaite souhaitons souhaiterions souhaiterait voudrions voudrait
    aimerions aimerait avoir disposer permettre permettant mettre place mise
    bonjour merci cordialement madame monsieur svp stp
    commune communes notre nos collectivite collectivites
    """.split()
)

_STEMMER = snowballstemmer.stemmer("french")


def fold(text: str) -> str:
    """Lowercase, accents off, elisions split, anything but letters and digits a space."""
    lowered = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    bare = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    bare = _ELISION.sub(" ", bare)
    return " ".join(_NON_WORD.sub(" ", bare).split())


@lru_cache(maxsize=1)
def _synonym_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    table = dict(phrase_table())
    alternatives = "|".join(re.escape(phrase) for phrase, _ in phrase_table())
    return re.compile(rf"\b(?:{alternatives})\b"), table


def canonical(folded: str) -> str:
    """The folded text with each synonym phrase replaced by its family's word."""
    pattern, table = _synonym_pattern()
    return pattern.sub(lambda match: table[match.group(0)], folded)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def stems(text: str) -> list[str]:
    """The topic words of a text, folded, synonyms merged and stemmed."""
    words = canonical(fold(text)).split()
    return [stem(word) for word in words if word not in STOP_WORDS and len(word) > 1]


def for_characters(text: str) -> str:
    """The text the character n-grams read: folded and synonyms merged, stop words out.

    Words stay whole (not stemmed) so a typo inside a word still shares most of
    its n-grams with the right spelling.
    """
    words = canonical(fold(text)).split()
    return " ".join(word for word in words if word not in STOP_WORDS)


_LONGEST_TOPIC_PHRASE = 4


@lru_cache(maxsize=1)
def _topic_table() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for phrase, topic in topic_phrases():
        key = tuple(stems(phrase))
        if key and len(key) <= _LONGEST_TOPIC_PHRASE:
            table.setdefault(key, topic)
    return table


def topics(words: list[str]) -> list[str]:
    """Topic tags (``concepts``) of a list of stems, longest phrase first at each place."""
    table = _topic_table()
    found = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_TOPIC_PHRASE, len(words) - i), 0, -1):
            topic = table.get(tuple(words[i : i + n]))
            if topic is not None:
                found.append(f"#{topic}")
                i += n
                break
        else:
            i += 1
    return found
