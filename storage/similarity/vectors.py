"""Texts as TF-IDF vectors: stemmed words and character n-grams, side by side.

Two views of the same text, because each misses what the other sees. Stemmed
words (and pairs of words) match plurals and verb forms ("signaler",
"signalements") and weigh rare topic words over common ones; character
n-grams within words match typos and words the stemmer cuts differently
("cimetiere", "cimetière", "cimettière"). Each view is normalised, weighted by
the square root of its share and the two are stacked, so a dot product of two
rows is ``share × word cosine + (1 − share) × character cosine``.

scikit-learn's TfidfVectorizer does the counting (a well-kept implementation
with sublinear term frequency and smoothed IDF); it is imported here, inside
the functions, and this module is only imported when an index is first built,
so the bot does not pay its ~40 MB until someone needs a suggestion.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.similarity.text import for_characters, stems, topics

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class Weights:
    """The knobs, tuned on half of the labelled set (bench/similar.py)."""

    word_share: float = 0.8
    char_min: int = 3
    char_max: int = 5


def _word_analyzer(text: str) -> list[str]:
    words = stems(text)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return words + pairs + topics(words)


class Vectoriser:
    """Fitted on a corpus (its vocabulary and IDF), then turns any text into a row."""

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        self._words: Any = None
        self._chars: Any = None

    @property
    def fitted(self) -> bool:
        return self._words is not None

    def fit(self, texts: Sequence[str]) -> csr_matrix:
        """Learn vocabulary and IDF from ``texts``; return their rows."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        w = self.weights
        self._words = TfidfVectorizer(analyzer=_word_analyzer, sublinear_tf=True)
        self._chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(w.char_min, w.char_max),
            preprocessor=for_characters,
            sublinear_tf=True,
            dtype=_float32(),
        )
        corpus = list(texts)
        return self._stack(_fit(self._words, corpus), _fit(self._chars, corpus))

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        if not self.fitted:
            raise RuntimeError("fit the vectoriser first")
        texts = list(texts)
        return self._stack(self._words.transform(texts), self._chars.transform(texts))

    def _stack(self, words: Any, chars: Any) -> csr_matrix:
        from scipy.sparse import hstack

        share = self.weights.word_share
        stacked = hstack([words * share**0.5, chars * (1 - share) ** 0.5], format="csr")
        return stacked.astype("float32")


def _fit(vectorizer: Any, corpus: list[str]) -> Any:
    """Fit and transform; a corpus with no word yet (empty, or stop words only) still fits."""
    try:
        if corpus:
            return vectorizer.fit_transform(corpus)
    except ValueError:  # "empty vocabulary": nothing but stop words so far
        pass
    vectorizer.fit(["guichet"])  # one word, so that transform works until the next fit
    return vectorizer.transform(corpus) if corpus else _empty(len(vectorizer.vocabulary_))


def _empty(columns: int) -> Any:
    from scipy.sparse import csr_matrix

    return csr_matrix((0, columns), dtype=_float32())


def _float32() -> Any:
    import numpy

    return numpy.float32
