"""Which joined rooms the bot may stay in, under ``allowed_servers``.

Invites are filtered when they arrive, but a room joined earlier stays joined
when the list is later narrowed (a homeserver dropped from the consultation):
the bot leaves such a room at start and when someone from a server no longer
admitted writes in it. Rooms the bot created itself (direct rooms it opened,
co-construction rooms) are left alone: it opened them on purpose, for people
it had admitted, and the staff manages who is in them.
"""

from __future__ import annotations

from nio import RoomCreateEvent, SyncResponse

from bot.core.matrix_ids import server_allowed, server_of


class Admission:
    """Remembers who created each room (nio keeps no creator) and judges servers."""

    def __init__(self, bot_id: str, allowed: tuple[str, ...]) -> None:
        self.bot_id = bot_id
        self.allowed = allowed
        self.own_server = server_of(bot_id)
        self.creators: dict[str, str] = {}

    def learn(self, response: SyncResponse) -> None:
        """Note the creator of each room whose ``m.room.create`` this sync carries."""
        for room_id, info in response.rooms.join.items():
            for event in [*info.state, *info.timeline.events]:
                if isinstance(event, RoomCreateEvent):
                    self.creators[room_id] = event.sender

    def refused(self, room_id: str, sender: str | None = None) -> str | None:
        """The server that is not admitted (the room's, else the sender's), or None.

        The room's server is its id's server part; newer room versions have
        ids without one, and then the creator's server stands for it.
        """
        creator = self.creators.get(room_id, "")
        if creator == self.bot_id:
            return None
        room_server = server_of(room_id) or server_of(creator)
        for server in (room_server, server_of(sender or "")):
            if server and not self.admits(server):
                return server
        return None

    def admits(self, server: str) -> bool:
        return server_allowed(server, self.allowed, self.own_server)
