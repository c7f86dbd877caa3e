"""Find the collectivité a person means, however they type it.

Mayors and agents type on a phone: no accents, "St" for Saint, a hyphen or
not, the département in brackets, sometimes only a postcode or a code read off
a letterhead.  ``lookup`` turns any of these into a short list of collectivités,
best first, so the conversation can either confirm the single obvious one or
ask the person to choose.  Every name is searched through the ``places`` table
(see migration 0002), which also holds communes déléguées, associées and
arrondissements municipaux: these are not collectivités one can join, so a match
on them leads to the commune they belong to, and ``Match`` says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from storage.db import Database

__all__ = [
    "PAGE_SIZE",
    "Collectivite",
    "Match",
    "Page",
    "epci_members",
    "get",
    "lookup",
    "lookup_page",
    "normalise",
    "search_key",
]

# How many matches a person is shown at once, on a phone screen.
PAGE_SIZE = 8
# Nobody's collectivité is called anything this long; the cap keeps a pasted
# essay from costing anything (the longest shipped name has 59 characters).
MAX_QUERY_CHARS = 200

# Ligatures NFKD leaves alone but people type as two letters ("Coeur", "Cœur").
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ORDINAL = re.compile(r"^(\d+)(?:er|re|ere|e|eme|nd|nde)$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "mt": "mont"}

_ARTICLES = ("le", "la", "les", "l")
# After an EPCI type the name goes on with "du", "de la", "d'"...
_EPCI_ARTICLES = ("de la", "de l", "du", "des", "de", "d", *_ARTICLES)
# How shipped EPCI names start ("CC du Pays de Fayence", "Métropole du Grand Paris").
_EPCI_NAME_TYPES = ("cc", "ca", "cu", "metropole")
# How people write the type of an EPCI, longest first so "communaute de communes"
# wins over "communaute".
_EPCI_QUERY_TYPES = tuple(
    sorted(
        (
            "communaute de communes",
            "communaute de commune",
            "communaute des communes",
            "communaute d agglomeration",
            "communaute d agglo",
            "communaute agglomeration",
            "communaute urbaine",
            "communaute",
            "com com",
            "comcom",
            "com d agglo",
            "cdc",
            "cc",
            "ca",
            "cu",
            "agglomeration",
            "agglo",
            "metropole",
            "epci",
            "interco",
            "intercommunalite",
        ),
        key=len,
        reverse=True,
    )
)
# Words too common to narrow a word search; dropped unless nothing else is left.
_STOPWORDS = frozenset(
    {"le", "la", "les", "l", "de", "du", "des", "d", "en", "sur", "sous", "et", "aux", "au", "a"}
)
_DEPT_CODE = re.compile(r"^(?:\d{2}|2[ab]|9[78]\d)$")
_POSTCODE = re.compile(r"^\d{5}$")
_INSEE = re.compile(r"^(?:\d{5}|2[ab]\d{3})$")
_SIREN = re.compile(r"^\d{9}$")


@dataclass(frozen=True)
class Collectivite:
    """A commune (INSEE code) or an EPCI (SIREN): what a membership points at."""

    code: str
    kind: str  # 'commune' | 'epci'
    name: str
    departement: str | None
    departement_name: str | None
    region: str | None
    population: int | None
    epci: str | None
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """One lookup result and the name or code that led to it.

    ``via_kind`` is the kind of place whose name or code matched ('commune',
    'commune-deleguee', 'commune-associee', 'arrondissement-municipal', 'epci')
    or 'postcode', so a reply can say "Arbignieu is now part of Arboys en
    Bugey".  ``exact`` is true when the whole query named this place (or its
    code), as opposed to a prefix or some of its words: a single exact match
    needs no choice.
    """

    collectivite: Collectivite
    via_name: str
    via_kind: str
    exact: bool = False


@dataclass(frozen=True)
class Page:
    """One page of a lookup: ``offset`` is the rank of its first match, ``more``
    says whether anything follows, so the list can offer "more results"."""

    matches: list[Match]
    offset: int
    more: bool


def normalise(text: str) -> str:
    """Reduce a name to what survives every way of typing it.

    Lower case, no accents, ligatures spelt out, every run of punctuation
    (hyphens, both apostrophes, dots, brackets) turned into one space,
    "St"/"Ste"/"Mt" spelt out and "15e"/"1er" reduced to their number.  Both the
    shipped names and the queries go through it, so they meet halfway.
    """
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = []
    for word in _NON_WORD.sub(" ", text).split():
        ordinal = _ORDINAL.match(word)
        if ordinal:
            word = ordinal.group(1)
        words.append(_ABBREVIATIONS.get(word, word))
    return " ".join(words)


def _strip_prefix(norm: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if norm.startswith(prefix + " ") and len(norm) > len(prefix) + 1:
            return norm[len(prefix) + 1 :]
    return norm


def search_key(norm: str, kind: str) -> str:
    """The part of a normalised name people are sure to type.

    "L'Île-d'Yeu" is often typed "ile d'yeu" and "CC du Pays de Fayence" just
    "pays de fayence", so the key drops a leading article and, for an EPCI, the
    type abbreviation and the article after it.
    """
    if kind == "epci":
        stripped = _strip_prefix(norm, _EPCI_NAME_TYPES)
        if stripped != norm:
            return _strip_prefix(stripped, _EPCI_ARTICLES)
    return _strip_prefix(norm, _ARTICLES)


@dataclass(frozen=True)
class _Reading:
    """One way to understand a query: which name, in which département..."""

    norm: str
    key: str
    departement: str | None = None
    postcode: str | None = None
    epci_only: bool = False


# Within a tier: current names before historical ones (a déléguée is a former
# commune), then the larger population.  The inner query ranks bare places and
# keeps the few best, so that "saint" (thousands of places) joins only those.
_RANKED = """
SELECT pl.name AS via_name, pl.kind AS via_kind,
       c.code, c.kind, c.name, c.departement, d.name AS departement_name,
       c.region, c.population, c.epci, c.postcodes
  FROM (SELECT p.id, p.kind IN ('commune-deleguee', 'commune-associee') AS historic,
               p.population, p.target
          FROM {source}
         WHERE {where}
         ORDER BY historic, p.population DESC, p.target
         LIMIT ?) AS top
  JOIN places pl ON pl.id = top.id
  JOIN collectivites c ON c.code = pl.target
  LEFT JOIN departements d ON d.code = c.departement
 ORDER BY top.historic, top.population DESC, top.target
"""
_PLACES = "places p"
_PLACES_FTS = "places_fts f JOIN places p ON p.id = f.rowid"
_SELECT_COLLECTIVITE = """
SELECT c.code, c.kind, c.name, c.departement, d.name AS departement_name,
       c.region, c.population, c.epci, c.postcodes
  FROM collectivites c
  LEFT JOIN departements d ON d.code = c.departement
"""
# Kinds, best first, when several places of one collectivité match equally:
# the commune's own name says more than its déléguée's of the same name.
_KIND_ORDER = {
    "commune": 0,
    "epci": 0,
    "arrondissement-municipal": 1,
    "commune-deleguee": 2,
    "commune-associee": 3,
    "postcode": 4,
}


def _collectivite(row: Any) -> Collectivite:
    return Collectivite(
        code=row["code"],
        kind=row["kind"],
        name=row["name"],
        departement=row["departement"],
        departement_name=row["departement_name"],
        region=row["region"],
        population=row["population"],
        epci=row["epci"],
        postcodes=tuple(row["postcodes"].split()),
    )


class _Results:
    """Matches in the order found, one per collectivité, up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.matches: list[Match] = []
        self._seen: set[str] = set()

    @property
    def full(self) -> bool:
        return len(self.matches) >= self.limit

    def add_tier(self, rows: list[Any], *, exact: bool) -> int:
        """Add one tier of rows (already sorted by population); return how many were new.

        Within a tier a collectivité may appear through several places (Paris
        and its 20 arrondissements); the best kind of place wins.
        """
        best: dict[str, Any] = {}
        order: list[str] = []
        for row in rows:
            code = row["code"]
            if code in self._seen:
                continue
            if code not in best:
                order.append(code)
                best[code] = row
            elif _KIND_ORDER[row["via_kind"]] < _KIND_ORDER[best[code]["via_kind"]]:
                best[code] = row
        added = 0
        for code in order:
            if len(self.matches) >= self.limit:
                break
            row = best[code]
            self._seen.add(code)
            self.matches.append(Match(_collectivite(row), row["via_name"], row["via_kind"], exact))
            added += 1
        return added


async def get(db: Database, code: str) -> Collectivite | None:
    """The collectivité with this INSEE code or SIREN, if it exists."""
    row = await db.fetchone(_SELECT_COLLECTIVITE + " WHERE c.code = ?", (code.strip().upper(),))
    return None if row is None else _collectivite(row)


async def epci_members(db: Database, siren: str) -> list[Collectivite]:
    """The communes of an EPCI, in alphabetical order as people read them."""
    rows = await db.fetchall(
        _SELECT_COLLECTIVITE + " WHERE c.epci = ? AND c.kind = 'commune'", (siren.strip(),)
    )
    members = [_collectivite(row) for row in rows]
    members.sort(key=lambda c: (normalise(c.name), c.code))
    return members


async def lookup_page(db: Database, query: str, offset: int = 0, size: int = PAGE_SIZE) -> Page:
    """Matches ``offset`` to ``offset + size`` of ``lookup``, and whether more follow.

    A postcode may hold 60 communes and a common name hundreds of places: the
    list used to stop at eight and say nothing of the rest, so a third of the
    communes could not be found by their postcode.  Each page reruns the
    search with a larger limit; the order is the same whatever the limit (every
    tier is sorted on fixed keys), so pages neither skip nor repeat a match.
    """
    offset = max(offset, 0)
    found = await lookup(db, query, limit=offset + size + 1)
    return Page(found[offset : offset + size], offset, len(found) > offset + size)


async def lookup(db: Database, query: str, limit: int = PAGE_SIZE) -> list[Match]:
    """Collectivités the query may mean, best first, at most ``limit``.

    Order: a code (SIREN, INSEE code, postcode) or a whole name matched exactly,
    then names that start with the query, then names that contain its words;
    ties go to the larger population, since a person from a big place is
    likelier than one from its namesake hamlet; current names go before
    those of communes déléguées.  A département ("saint julien 24", "(2A)",
    "dordogne") or a postcode ("24370 carlux") next to the name narrows the
    search when anything is left after narrowing; otherwise it is read as part
    of the name ("Paris 15").  Queries longer than any name return nothing at
    once, so pasted text costs nothing.
    """
    if limit <= 0 or len(query) > MAX_QUERY_CHARS:
        return []
    norm = normalise(query)
    if not norm:
        return []
    results = _Results(limit)

    compact = norm.replace(" ", "")
    if re.fullmatch(r"[0-9ab]+", compact) and (
        _SIREN.match(compact) or _INSEE.match(compact) or _POSTCODE.match(compact)
    ):
        await _by_code(db, compact, results)
        return results.matches

    plain = _Reading(norm, search_key(norm, "commune"))
    readings = await _narrowed_readings(db, plain)
    # A whole name typed exactly beats any reading of its last word as a
    # département ("Villeneuve-sur-Lot" is not "Villeneuve-sur" in the Lot).
    await _exact(db, plain, results)
    found_narrowed = False
    for reading in readings:
        if results.full:
            break
        before = len(results.matches)
        await _exact(db, reading, results)
        await _partial(db, reading, results)
        found_narrowed = found_narrowed or len(results.matches) > before
    if not found_narrowed:
        await _partial(db, plain, results)
    return results.matches


async def _by_code(db: Database, code: str, results: _Results) -> None:
    """A SIREN, an INSEE code or a postcode; a five-digit number may be both of the last two.

    People know their postcode far better than their INSEE code, so when a
    number is both, every commune of the postcode comes first and the commune
    with that INSEE code only after them: it used to take one of the eight
    places, hiding a commune of the postcode behind one from elsewhere
    (``71460`` offered Saint-Maurice-de-Satonnay, postcode 71260).
    """
    by_code: list[Any] = []
    if _SIREN.match(code) or _INSEE.match(code):
        by_code = await _ranked(db, _PLACES, "p.code = ?", [code.upper()], 50)
    if _POSTCODE.match(code):
        rows = await db.fetchall(
            """
            SELECT ? AS via_name, 'postcode' AS via_kind,
                   c.code, c.kind, c.name, c.departement, d.name AS departement_name,
                   c.region, c.population, c.epci, c.postcodes
              FROM postcodes pc
              JOIN collectivites c ON c.code = pc.code
              LEFT JOIN departements d ON d.code = c.departement
             WHERE pc.postcode = ?
             ORDER BY c.population DESC, c.code
            """,
            (code, code),
        )
        results.add_tier(rows, exact=True)
    results.add_tier(by_code, exact=True)


async def _narrowed_readings(db: Database, plain: _Reading) -> list[_Reading]:
    """Readings with a département or postcode around the name and/or a leading EPCI type.

    The postcode may come first, as on an envelope ("24370 Carlux"); a
    département code may come first or last, a département name only last.
    """
    words = plain.norm.split()
    narrowed: list[tuple[str, str | None, str | None]] = []  # (name, département, postcode)
    if len(words) > 1:
        first, last = words[0], words[-1]
        if _POSTCODE.match(last):
            narrowed.append((" ".join(words[:-1]), None, last))
        elif _POSTCODE.match(first):
            narrowed.append((" ".join(words[1:]), None, first))
        elif _DEPT_CODE.match(last):
            narrowed.append((" ".join(words[:-1]), last.upper(), None))
        elif _DEPT_CODE.match(first):
            narrowed.append((" ".join(words[1:]), first.upper(), None))
        else:
            tails = [" ".join(words[-n:]) for n in range(1, min(len(words) - 1, 5) + 1)]
            rows = await db.fetchall(
                f"SELECT code, norm FROM departements WHERE norm IN ({','.join('?' * len(tails))})"
                " ORDER BY length(norm) DESC",
                tails,
            )
            if rows:
                name = plain.norm[: -len(rows[0]["norm"])].strip()
                narrowed.append((name, rows[0]["code"], None))

    readings = []
    for name, departement, postcode in [*narrowed, (plain.norm, None, None)]:
        epci_name = _strip_prefix(name, _EPCI_QUERY_TYPES)
        if epci_name != name:
            key = _strip_prefix(epci_name, _EPCI_ARTICLES)
            readings.append(_Reading(epci_name, key, departement, postcode, epci_only=True))
        if departement or postcode:
            readings.append(_Reading(name, search_key(name, "commune"), departement, postcode))
    return readings


def _filters(reading: _Reading) -> tuple[str, list[Any]]:
    sql, params = "", []
    if reading.departement:
        sql += " AND p.departement = ?"
        params.append(reading.departement)
    if reading.postcode:
        sql += " AND p.target IN (SELECT code FROM postcodes WHERE postcode = ?)"
        params.append(reading.postcode)
    if reading.epci_only:
        sql += " AND p.kind = 'epci'"
    return sql, params


async def _ranked(
    db: Database, source: str, where: str, params: list[Any], limit: int
) -> list[Any]:
    return await db.fetchall(_RANKED.format(source=source, where=where), [*params, limit])


def _fetch_size(results: _Results) -> int:
    # Several places can lead to one collectivité (Paris has 20 arrondissements).
    return results.limit * 4 + 20


async def _exact(db: Database, reading: _Reading, results: _Results) -> None:
    where, params = _filters(reading)
    # A whole name as typed, then without its article ("ile d'yeu" for "L'Île-d'Yeu").
    for column, value in (("norm", reading.norm), ("key", reading.key)):
        if results.full:
            return
        rows = await _ranked(
            db, _PLACES, f"p.{column} = ?{where}", [value, *params], _fetch_size(results)
        )
        results.add_tier(rows, exact=True)


async def _partial(db: Database, reading: _Reading, results: _Results) -> None:
    where, params = _filters(reading)
    if not results.full:
        # Names that start with what was typed; "le ma" should find Le Mans, so a
        # query that kept its article is compared with whole names.
        column, value = (
            ("key", reading.key) if reading.key == reading.norm else ("norm", reading.norm)
        )
        rows = await _ranked(
            db,
            _PLACES,
            f"p.{column} > ? AND p.{column} < ?{where}",
            [value, value + "\x7f", *params],
            _fetch_size(results),
        )
        results.add_tier(rows, exact=False)
    fts = _fts_query(reading.key)
    if fts and not results.full:
        rows = await _ranked(
            db, _PLACES_FTS, f"places_fts MATCH ?{where}", [fts, *params], _fetch_size(results)
        )
        results.add_tier(rows, exact=False)


def _fts_query(key: str) -> str:
    """Every significant word must appear; the last one may be unfinished."""
    words = key.split()
    significant = [w for w in words if w not in _STOPWORDS] or words
    if not significant:
        return ""
    terms = [f'"{w}"' for w in significant[:-1]]
    terms.append(f'"{significant[-1]}"*')
    return " ".join(terms)
