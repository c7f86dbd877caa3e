"""The labelled needs of tests/data/similar_needs.txt, read for bench/similar.py and the tests.

The file's grammar is in its header. Each need gets an id in file order; a
near-duplicate (a line starting with ``+``) records the id of the need above
it. A ``.json`` file is read too, for sets kept elsewhere::

    {"proposals": [{"key": "P01", "title": "…", "summary": "…"}, …],
     "needs": [{"id": 1, "commune": "…", "title": "…", "body": "…",
                "proposal": "P01" or null, "duplicate_of": 1 or null,
                "also": ["P07"]}, …]}

(``id`` defaults to the position from 1; ``duplicate_of`` names an earlier need's
id.) Halves: needs alternate between "tune" and "check" within each proposal, a
near-duplicate following its original, so both halves hold every proposal and
whole duplicate pairs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT = Path(__file__).parent / "data" / "similar_needs.txt"
_ALSO = re.compile(r"\s*\[(P\d+)\]\s*$")


@dataclass(frozen=True)
class Proposal:
    key: str
    title: str
    summary: str

    @property
    def text(self) -> str:
        return f"{self.title}. {self.summary}"


@dataclass(frozen=True)
class Need:
    id: int
    commune: str
    title: str
    body: str
    proposal: str | None  # None: fits no proposal
    duplicate_of: int | None = None
    also: tuple[str, ...] = ()
    half: str = "tune"

    @property
    def text(self) -> str:
        return f"{self.title}. {self.body}"


@dataclass
class LabelledSet:
    proposals: dict[str, Proposal] = field(default_factory=dict)
    needs: list[Need] = field(default_factory=list)

    def half(self, name: str | None) -> list[Need]:
        return [n for n in self.needs if name is None or n.half == name]

    def duplicate_pairs(self, needs: list[Need]) -> set[frozenset[int]]:
        ids = {n.id for n in needs}
        return {
            frozenset((n.id, n.duplicate_of))
            for n in needs
            if n.duplicate_of is not None and n.duplicate_of in ids
        }


def load(path: Path = DEFAULT) -> LabelledSet:
    if path.suffix == ".json":
        return _load_json(path)
    labelled = LabelledSet()
    current: str | None = None
    counters: dict[str | None, int] = {}
    last: Need | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("=="):
            key, title, *summary = (part.strip() for part in line[2:].split("|"))
            current = None if key == "--" else key
            if current is not None:
                labelled.proposals[current] = Proposal(current, title, " ".join(summary))
            continue
        duplicate = line.startswith("+")
        parts = [part.strip() for part in line.lstrip("+").split("|")]
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 'commune | title | body'")
        commune, title, body = parts
        also = tuple(_ALSO.findall(body))
        body = _ALSO.sub("", body)
        if duplicate:
            if last is None:
                raise ValueError(f"{path}:{number}: a duplicate needs a need above it")
            half = last.half
        else:
            counters[current] = counters.get(current, 0) + 1
            half = "tune" if counters[current] % 2 else "check"
        need = Need(
            id=len(labelled.needs) + 1,
            commune=commune,
            title=title,
            body=body,
            proposal=current,
            duplicate_of=last.id if duplicate and last else None,
            also=also,
            half=half,
        )
        labelled.needs.append(need)
        if not duplicate:
            last = need
    return labelled


def _load_json(path: Path) -> LabelledSet:
    raw = json.loads(path.read_text(encoding="utf-8"))
    labelled = LabelledSet()
    for item in raw["proposals"]:
        key = str(item["key"])
        labelled.proposals[key] = Proposal(key, str(item["title"]), str(item.get("summary", "")))
    counters: dict[str | None, int] = {}
    halves: dict[int, str] = {}
    for position, item in enumerate(raw["needs"], 1):
        proposal = item.get("proposal")
        twin = item.get("duplicate_of")
        need_id = int(item.get("id", position))
        if twin is not None and int(twin) in halves:
            half = halves[int(twin)]
        else:
            counters[proposal] = counters.get(proposal, 0) + 1
            half = "tune" if counters[proposal] % 2 else "check"
        halves[need_id] = half
        labelled.needs.append(
            Need(
                id=need_id,
                commune=str(item["commune"]),
                title=str(item["title"]),
                body=str(item.get("body", "")),
                proposal=None if proposal is None else str(proposal),
                duplicate_of=None if twin is None else int(twin),
                also=tuple(item.get("also", ())),
                half=half,
            )
        )
    return labelled
