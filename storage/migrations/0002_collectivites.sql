-- Reference data of French collectivités (loaded by storage/refdata.py from the
-- shipped storage/data/collectivites.csv.gz) and the tables that make a
-- forgiving lookup fast.

-- What a membership can point at: a commune (INSEE code) or an EPCI (SIREN).
-- Rows are upserted, never deleted, when newer data ships: a commune that
-- merged away keeps its row so that old memberships still show a name, but it
-- leaves `places`, so lookups no longer offer it.
CREATE TABLE collectivites (
    code         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('commune', 'epci')),
    name         TEXT NOT NULL,
    departement  TEXT,               -- EPCI: département holding most of its population
    region       TEXT,
    population   INTEGER,
    epci         TEXT,               -- commune: SIREN of its EPCI, if any
    postcodes    TEXT NOT NULL DEFAULT ''  -- space-separated
);
CREATE INDEX collectivites_epci ON collectivites(epci) WHERE epci IS NOT NULL;

CREATE TABLE regions (
    code  TEXT PRIMARY KEY,
    name  TEXT NOT NULL
);

CREATE TABLE departements (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    norm    TEXT NOT NULL,           -- normalise(name), to read "saint julien dordogne"
    region  TEXT NOT NULL
);
CREATE INDEX departements_norm ON departements(norm);

-- Every name a person may type: communes, communes déléguées and associées,
-- arrondissements municipaux, EPCI.  `target` is the collectivité a membership
-- would point at (the parent commune for a déléguée or an arrondissement), and
-- `population` is the target's, so ties rank the way people expect.
CREATE TABLE places (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL,      -- the place's own INSEE code or SIREN
    kind         TEXT NOT NULL CHECK (kind IN ('commune', 'commune-deleguee',
                     'commune-associee', 'arrondissement-municipal', 'epci')),
    name         TEXT NOT NULL,
    norm         TEXT NOT NULL,      -- normalise(name)
    key          TEXT NOT NULL,      -- norm without leading article or EPCI type
    target       TEXT NOT NULL REFERENCES collectivites(code),
    departement  TEXT,
    population   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX places_norm ON places(norm, population);
CREATE INDEX places_key ON places(key, population);
CREATE INDEX places_code ON places(code);

-- Word search over `key`; the text is already normalised, the tokenizer
-- settings only make sure nothing accented slips through.
CREATE VIRTUAL TABLE places_fts USING fts5(
    key,
    content = 'places',
    content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2"
);

CREATE TABLE postcodes (
    postcode  TEXT NOT NULL,
    code      TEXT NOT NULL REFERENCES collectivites(code),
    PRIMARY KEY (postcode, code)
) WITHOUT ROWID;

-- What was loaded: sha256 of the shipped file, source version, vintage, counts.
CREATE TABLE refdata_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT
);
