"""Text similarity of needs and proposals, for French as mayors and secretaries write it.

Pure computation over texts (no database, no bot): ``text`` folds French
(accents, case, elisions, everyday synonyms of ``synonyms``, stems) and tags
the topics of ``concepts`` (tombe, défunt, concession: the cemetery), ``vectors`` turns texts
into TF-IDF vectors (stemmed words plus character n-grams, which absorb typos),
``index`` keeps those vectors for the needs and proposals of a consultation and
answers the three questions the flows ask (which proposals fit this text,
which needs look alike, which ones are the same need twice), ``clusters``
groups the needs nobody grouped yet. ``sync`` fills an index from the database
and keeps it up to date.

scikit-learn is imported only when the first index is built, so a bot whose
staff never use these features does not carry it in memory.
"""
