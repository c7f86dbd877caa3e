"""What a Matrix user id says about a person, without any network or nio.

Kept apart from the backend so ``bot.core.evidence`` (and so the handlers) can read
a Tchap id without importing nio, and so these rules are unit-tested alone.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

TCHAP_SUFFIX = "tchap.gouv.fr"

# A DNS name as it can appear in a Tchap localpart: lower-case labels that do
# not start or end with '-', at least two of them, the last one alphabetic.
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")


def server_of(user_id: str) -> str:
    """``@a:b.example:8448`` → ``b.example:8448`` (the server keeps its port)."""
    return user_id.partition(":")[2].lower()


def localpart_of(user_id: str) -> str:
    return user_id.partition(":")[0].removeprefix("@")


def server_allowed(server: str, allowed: tuple[str, ...], own_server: str) -> bool:
    """Whether a homeserver may invite the bot.

    An empty list means the bot's own homeserver only, so a fresh deployment
    is never opened to the federation by omission. Entries are shell patterns,
    so ``*.tchap.gouv.fr`` admits every Tchap family at once.
    """
    server = server.lower()
    patterns = allowed or (own_server,)
    return any(fnmatchcase(server, pattern.lower()) for pattern in patterns)


def tchap_family(server: str) -> str | None:
    """``agent.collectivites.tchap.gouv.fr`` → ``collectivites``; None off Tchap.

    Tchap runs one homeserver per family of administrations; the family tells
    the staff which kind of employer vouched for the account.
    """
    server = server.lower().split(":", 1)[0]
    if server == TCHAP_SUFFIX:
        return ""
    if not server.endswith("." + TCHAP_SUFFIX):
        return None
    labels = server.removesuffix("." + TCHAP_SUFFIX).split(".")
    while labels and labels[0] in ("matrix", "agent"):
        labels.pop(0)
    return ".".join(labels)


def email_domain(localpart: str) -> str | None:
    """The domain of the e-mail a Tchap localpart was made from, best guess.

    Tchap builds the localpart by lower-casing the address and replacing its
    '@' by '-', so ``jean-pierre.dupont-mairie-exemple.fr`` is ambiguous: the
    '@' can be any '-' followed by a valid domain. Addresses at collectivités
    are nominative (``prenom.nom@``), so the first split whose left side holds
    a '.' wins; failing that, the longest domain. Staff still check by hand:
    this only saves them reading the id.
    """
    candidates = []
    for index, char in enumerate(localpart):
        if char == "-" and 0 < index and _DOMAIN.match(localpart[index + 1 :]):
            candidates.append((localpart[:index], localpart[index + 1 :]))
    if not candidates:
        return None
    for local, domain in candidates:
        if "." in local:
            return domain
    return candidates[0][1]


def tchap_facts(user_id: str) -> tuple[str, str | None] | None:
    """(family, e-mail domain) a Tchap id tells, for the staff's membership queue;
    None off Tchap. ``bot.core.evidence`` words them in the reader's language."""
    family = tchap_family(server_of(user_id))
    if family is None:
        return None
    return family, email_domain(localpart_of(user_id).lower())
