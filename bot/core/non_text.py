"""The answer to a message the bot cannot read: a photo, a sticker, a voice
message, a file, a location, a contact, an emote.

Staying silent left people in the middle of ``/besoin`` wondering whether
their photo had been taken as the need; a caption alone would have become
its title while the photo vanished. Both backends answer such a message with
this line, outside any flow, so the step waiting for an answer still waits.
"""

from __future__ import annotations

from bot.core.i18n import N_

ONLY_TEXT = N_(
    "I can only read text: photos, stickers, voice messages, files, locations and contacts "
    "reach me without their content, a caption included. Please type your answer; what "
    "you were doing still waits for it."
)
