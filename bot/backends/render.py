"""Plain-text rendering shared by the backends that have no buttons."""

from __future__ import annotations

from bot.core.messages import Reply


def numbered(reply: Reply) -> str:
    """Text followed by the choices as a numbered list: typing the number picks one."""
    lines = [reply.text] if reply.text else []
    if reply.image is not None:
        lines.append(f"[image: {reply.image.alt}]")
    for index, choice in enumerate(reply.choices, start=1):
        lines.append(f"  {index}. {choice.label}")
    return "\n".join(lines)
