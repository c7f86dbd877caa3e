"""What an identity tells the staff who check a membership request by hand.

In 2021 a person's collectivité was checked from their e-mail domain. A
Tchap id carries that domain, so the queue shows it next to the identity;
other identities prove nothing more than themselves. Handlers call this, so
it must stay free of any backend library.
"""

from __future__ import annotations

from bot.backends.matrix_ids import tchap_evidence


def describe(identity: str) -> str:
    """``matrix:@a-mairie.fr:agent.collectivites.tchap.gouv.fr (Tchap …)``, or the identity."""
    backend, _, address = identity.partition(":")
    if backend == "matrix":
        evidence = tchap_evidence(address)
        if evidence:
            return f"{identity} ({evidence})"
    return identity
