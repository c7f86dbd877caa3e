"""Build ``storage/data/collectivites.csv.gz`` from @etalab/decoupage-administratif.

Guichet must resolve "st julien de lampon" or "24370" without a network, so the
reference data of French collectivités ships inside the package.  The npm
package holds ~12 MB of JSON; we keep only what a lookup and a membership need
and write it as one small gzipped CSV that the loader (``storage/refdata.py``)
can stream straight into SQLite.

Usage::

    python scripts/build_refdata.py [PACKAGE_DATA_DIR]

Without an argument the script runs ``npm pack @etalab/decoupage-administratif@6``
in a temporary directory and reads the ``data/`` folder of the tarball.  Only the
standard library is used.

Output format
-------------
UTF-8 CSV (``csv`` module defaults, ``\\n`` line ends), no header, gzip with
mtime 0 so that the same input always gives the same bytes.  The first column
says what the row is; rows are sorted by that kind (in the order below), then
by code, then by name.  Empty fields are empty strings.

===================  ====================================================================
first column         following columns
===================  ====================================================================
``meta``             key, value  (``source``, ``version``, ``vintage``, ``licence``)
``region``           code, name
``departement``      code, name, region code
``commune``          INSEE code, name, département code, population, EPCI SIREN,
                     postcodes (space-separated)
``deleguee``         INSEE code, name, parent INSEE code, département code, postcodes
``associee``         same columns as ``deleguee``
``arrondissement``   same columns as ``deleguee`` (arrondissement municipal of
                     Paris, Lyon, Marseille; parent is the commune)
``epci``             SIREN, name, type (CC, CA, CU, METRO, MET69), population
===================  ====================================================================

A commune's region is its département's region (checked while building), and an
EPCI's members are the communes whose EPCI column holds its SIREN, so neither is
repeated.  A commune déléguée may carry the same INSEE code as its chef-lieu, which
is why délégués are rows of their own kind and never share a key with communes.
Populations are the ``population`` of communes (population municipale) and the
``populationMunicipale`` of EPCI, as shipped in the package.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_SPEC = f"{PACKAGE}@6"
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "storage" / "data" / "collectivites.csv.gz"

KIND_ORDER = [
    "meta",
    "region",
    "departement",
    "commune",
    "deleguee",
    "associee",
    "arrondissement",
    "epci",
]
SUB_KINDS = {
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
    "arrondissement-municipal": "arrondissement",
}
EPCI_TYPES = {"CC", "CA", "CU", "METRO", "MET69"}

# Package major version -> vintage (millésime), from the table in the package README.
VINTAGES = {"6": "2026", "5": "2025", "4": "2024", "3": "2023", "2": "2022", "1": "2021"}


def fetch_package(workdir: Path) -> Path:
    """Download the package tarball with npm and return its ``package`` folder."""
    subprocess.run(
        ["npm", "pack", PACKAGE_SPEC, "--silent"],
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarballs = sorted(workdir.glob("*.tgz"))
    if not tarballs:
        raise SystemExit("npm pack produced no tarball")
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def package_version(data_dir: Path) -> str:
    manifest = data_dir.parent / "package.json"
    if manifest.exists():
        return str(load(manifest)["version"])
    return "unknown"


def build_rows(data_dir: Path) -> list[list[str]]:
    """Every output row, unsorted."""
    communes = load(data_dir / "communes.json")
    epcis = load(data_dir / "epci.json")
    departements = load(data_dir / "departements.json")
    regions = load(data_dir / "regions.json")
    version = package_version(data_dir)

    rows: list[list[str]] = [
        ["meta", "source", PACKAGE],
        ["meta", "version", version],
        ["meta", "vintage", VINTAGES.get(version.split(".")[0], "unknown")],
        ["meta", "licence", "Licence Ouverte 2.0"],
    ]
    rows += [["region", r["code"], r["nom"]] for r in regions]
    dept_region = {d["code"]: d["region"] for d in departements}
    rows += [["departement", d["code"], d["nom"], d["region"]] for d in departements]

    epci_of: dict[str, str] = {}
    for epci in epcis:
        if epci["type"] not in EPCI_TYPES:
            raise SystemExit(f"unknown EPCI type {epci['type']!r} for {epci['code']}")
        rows.append(
            ["epci", epci["code"], epci["nom"], epci["type"], str(epci["populationMunicipale"])]
        )
        for member in epci["membres"]:
            if epci_of.setdefault(member["code"], epci["code"]) != epci["code"]:
                raise SystemExit(f"commune {member['code']} belongs to two EPCI")

    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    unknown_members = set(epci_of) - current
    if unknown_members:
        raise SystemExit(f"EPCI members that are not current communes: {sorted(unknown_members)}")

    for c in communes:
        postcodes = " ".join(sorted(set(c.get("codesPostaux", []))))
        if c["type"] == "commune-actuelle":
            if dept_region.get(c["departement"]) != c["region"]:
                raise SystemExit(f"region of {c['code']} differs from its département's")
            population = c.get("population")
            rows.append(
                [
                    "commune",
                    c["code"],
                    c["nom"],
                    c["departement"],
                    "" if population is None else str(population),
                    epci_of.get(c["code"], ""),
                    postcodes,
                ]
            )
        elif c["type"] in SUB_KINDS:
            parent = c["commune"] if c["type"] == "arrondissement-municipal" else c["chefLieu"]
            if parent not in current:
                raise SystemExit(f"{c['type']} {c['code']} points at unknown commune {parent}")
            rows.append(
                [SUB_KINDS[c["type"]], c["code"], c["nom"], parent, c["departement"], postcodes]
            )
        else:
            raise SystemExit(f"unknown commune type {c['type']!r}")
    return rows


def write(rows: list[list[str]], output: Path) -> bytes:
    """Write sorted rows as deterministic gzip; return the bytes written."""
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    rows.sort(key=lambda r: (order[r[0]], r[1], r[2]))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(rows)
    raw = io.BytesIO()
    # filename="" and mtime=0 keep the header free of anything that changes per run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    data = raw.getvalue()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return data


def notice(version: str, vintage: str) -> str:
    return f"""\
Reference data of French collectivités (collectivites.csv.gz)
=============================================================

Derived from the npm package {PACKAGE} version {version}
(data vintage / millésime {vintage}), published by Etalab (DINUM),
data under Licence Ouverte 2.0 / Open Licence 2.0:
https://www.etalab.gouv.fr/licence-ouverte-open-licence

Original sources, as credited by that package:
- INSEE, Code officiel géographique (communes, communes déléguées and
  associées, arrondissements municipaux, départements, régions) and
  populations légales;
- DGCL (Direction générale des collectivités locales), liste et composition
  des EPCI à fiscalité propre (intercommunalités, formerly BANATIC);
- La Poste, base officielle des codes postaux.

Changes made: fields selected and reshaped into one CSV file by
scripts/build_refdata.py (see its docstring for the format); no value was
edited.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, help="the package's data/ folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or fetch_package(Path(tmp)) / "data"
        rows = build_rows(data_dir)
    meta = {r[1]: r[2] for r in rows if r[0] == "meta"}
    data = write(rows, args.output)
    (args.output.parent / "NOTICE").write_text(
        notice(meta["version"], meta["vintage"]), encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    print(f"wrote {args.output} ({len(data)} bytes): {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
