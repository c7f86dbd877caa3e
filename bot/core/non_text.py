"""The answer to a message the bot cannot read: a photo, a sticker, a voice
message, a file, a location, a contact, an emote.

Staying silent left people in the middle of ``/besoin`` wondering whether
their photo had been taken as the need; a caption alone would have become
its title while the photo vanished. Both backends answer such a message with
this line, outside any flow, so the step waiting for an answer still waits.
An edit or a deletion of a message already used says the same: which version
was kept.
"""

from __future__ import annotations

from bot.core.i18n import N_

ONLY_TEXT = N_(
    "I can only read text: photos, stickers, voice messages, files, locations and contacts "
    "reach me without their content, a caption included. Please type your answer; what "
    "you were doing still waits for it."
)

EDIT_KEPT = N_(
    "I had already used your message as you first sent it: I kept that version, and your "
    "edit changes nothing. If the correction matters, send it again as a new message."
)
REDACTION_KEPT = N_(
    "I had already used the message you deleted: deleting it does not undo it. Type {help} "
    "to see how to change or withdraw what you sent."
)
