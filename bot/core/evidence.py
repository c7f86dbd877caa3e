"""What an identity tells the staff who check a membership request by hand.

In 2021 a person's collectivité was checked from their e-mail domain. A
Tchap id carries that domain, so the queue shows it next to the identity;
other identities prove nothing more than themselves. The request stores the
identities alone, as data; what they prove is worded when a staff member
reads the queue, in that person's language. Handlers call this, so it must
stay free of any backend library.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.i18n import Translator
from bot.core.matrix_ids import tchap_facts

_SEPARATOR = ", "


def stored(identities: Sequence[str]) -> str:
    """The identities as a membership request keeps them."""
    return _SEPARATOR.join(identities)


def describe(t: Translator, evidence: str) -> str:
    """Each stored identity with what it proves, e.g. ``matrix:@a-mairie.fr:agent.
    collectivites.tchap.gouv.fr (Tchap, collectivites family, e-mail domain mairie.fr)``."""
    if not evidence:
        return "—"
    return _SEPARATOR.join(_one(t, identity) for identity in evidence.split(_SEPARATOR))


def _one(t: Translator, identity: str) -> str:
    backend, _, address = identity.partition(":")
    # An identity has no spaces: text that does was worded when stored, by an
    # earlier version, and is shown as it is.
    facts = tchap_facts(address) if backend == "matrix" and " " not in identity else None
    if facts is None:
        return identity
    family, domain = facts
    server = t._("Tchap, {family} family", family=family) if family else "Tchap"
    if domain:
        return t._(
            "{identity} ({server}, e-mail domain {domain})",
            identity=identity,
            server=server,
            domain=domain,
        )
    return f"{identity} ({server})"
