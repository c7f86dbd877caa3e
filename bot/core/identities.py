"""What a platform identity looks like, checked wherever one is typed.

Staff and operators type identities (``/equipe ajouter telegram:123``,
``guichet staff add matrix:@a:b``); both must refuse the same malformed ones.
"""

from __future__ import annotations

import re

IDENTITY = re.compile(
    r"^(telegram:\d{1,20}|matrix:@[^:\s]{1,255}:[^\s]{1,255}|(console|memory):[^\s:]{1,64})$"
)


def valid_identity(raw: str) -> bool:
    return bool(IDENTITY.match(raw))
