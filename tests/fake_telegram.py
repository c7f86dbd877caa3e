"""A local Bot API server, so the real python-telegram-bot can be tested end to end.

It speaks the part of https://core.telegram.org/bots/api that Guichet uses,
over HTTP on 127.0.0.1, with Telegram's own answers for what goes wrong (401
for a bad token, 403 for a blocked chat, 429 with ``retry_after``, 400 for
HTML it cannot parse, text over 4096 characters or callback data over 64
bytes), so a test fails the way production would. Given a ``RateLimit``, it
also enforces Telegram's pace as Telegram does, answering 429 with
``retry_after`` to a message sent too soon. Every call is recorded;
updates are queued by the test and confirmed, as on Telegram, only by a
later getUpdates with a higher offset.

PTB posts form bodies (multipart when a file is attached) in which every
non-string field is JSON-encoded; ``_decode`` undoes that.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.core.limits import RateLimit

TOKEN = "4242:guichet-test-token"
BOT_USER: dict[str, Any] = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Guichet",
    "username": "guichet_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_LIMIT = 4096, 1024, 64
STRING_FIELDS = {
    "text",
    "caption",
    "callback_query_id",
    "parse_mode",
    "secret_token",
    "url",
    "language_code",
    "description",
    "short_description",
    "name",
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"</?([a-z-]+)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
_MENTION = re.compile(r"(?<!\S)@[A-Za-z0-9_]{5,32}")


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> str:
    """The text Telegram would show, or ValueError where Telegram answers
    "can't parse entities" (a stray ``<`` or ``&``, an unknown tag)."""
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            tag = _TAG.match(source, index)
            if tag is None or tag.group(1) not in ALLOWED_TAGS:
                raise ValueError(f"unsupported start tag at byte offset {index}")
            index = tag.end()
        elif char == "&":
            entity = _ENTITY.match(source, index)
            if entity is None:
                raise ValueError(f"unsupported HTML entity at byte offset {index}")
            out.append(html.unescape(entity.group(0)))
            index = entity.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str
    last_name: str = ""
    language_code: str = "fr"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def group_chat(chat_id: int, title: str = "Maires de Dordogne") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)
    """When it arrived, for the tests of pacing."""


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _decode(name: str, value: str) -> Any:
    if name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class FakeTelegram:
    """The server and its state; tests read ``calls`` and the helpers below."""

    calls: list[Call] = field(default_factory=list)
    polls: list[int | None] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    unstarted: set[int] = field(default_factory=set)
    """Users who never opened a private chat with the bot: Telegram refuses to let
    a bot write first (403) until they send it something there."""
    flood: dict[int, list[int]] = field(default_factory=dict)
    menus: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    issued_queries: set[str] = field(default_factory=set)
    answered_queries: list[str] = field(default_factory=list)
    base_url: str = ""
    failing: int = 0
    """The next calls naming a chat answer 502 Bad Gateway, as during an outage."""
    down: bool = False
    """Every call answers 502 Bad Gateway, getUpdates included: Telegram is away."""
    send_delay: float = 0.0
    """Seconds a send takes to be answered, as over a real network."""
    rate: RateLimit | None = None
    """Enforced on every call that names a chat, when set."""
    bot_admin_in: set[int] = field(default_factory=set)
    """Groups where the bot is an administrator (may manage invite links)."""
    invite_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    banned: dict[int, set[int]] = field(default_factory=dict)
    holding: bool = False
    """Calls that send or edit are received, then left unanswered until ``release``:
    a bot killed meanwhile never learns whether they went (they did not)."""
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    too_many: int = 0
    """Calls refused with a 429 because they went over ``rate``."""
    _recent: deque[float] = field(default_factory=deque)
    _last_in_chat: dict[int, float] = field(default_factory=dict)
    _group_recent: dict[int, deque[float]] = field(default_factory=dict)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _closing: bool = False

    # -- server ---------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def close(self) -> None:
        self._closing = True
        self._released.set()
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    async def set_down(self, down: bool) -> None:
        """Telegram goes away (every call, a long poll in progress too, answers 502)
        or comes back."""
        self.down = down
        await self._notify()

    def release(self) -> None:
        """Answer the held calls and hold no more."""
        self.holding = False
        self._released.set()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], object], within: float = 10) -> None:
        """Until ``predicate()`` holds; it is re-checked after every call and update."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def handled(self, update_id: int, within: float = 10) -> None:
        """Until the bot asked for updates after ``update_id``: it has handled it,
        answered it and stored its offset, since it polls again only then."""
        await self.wait_for(
            lambda: any(o is not None and o > update_id for o in self.polls), within
        )

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, FileField):
                    files[name] = (value.filename, value.file.read())
                else:
                    params[name] = _decode(name, str(value))
        params.update({k: _decode(k, v) for k, v in request.query.items()})
        call = Call(method, params, files)
        self.calls.append(call)
        if self.send_delay and method.startswith(("send", "edit")):
            await asyncio.sleep(self.send_delay)
        if self.holding and method.startswith(("send", "edit")):
            call.status = 0  # held: no answer yet
            await self._notify()
            await self._released.wait()
            if request.transport is None or request.transport.is_closing():
                call.status = -1  # the bot went away meanwhile: never processed
                raise web.HTTPServiceUnavailable()
            call.status = 200
        handler = getattr(self, "api_" + method, None)
        try:
            if self.down:
                raise ApiError(502, "Bad Gateway")
            if handler is None:
                raise ApiError(404, "Not Found")
            call.result = await handler(params, files)
        except ApiError as error:
            call.status = error.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            await self._notify()
            return web.json_response(body, status=error.status)
        await self._notify()
        return web.json_response({"ok": True, "result": call.result})

    # -- updates the tests push ------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> int:
        self.pending.append(update)
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)  # held until done, or the loop may drop it
        task.add_done_callback(self._tasks.discard)
        return int(update["update_id"])

    def message_update(
        self,
        user: TgUser,
        text: str,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message from ``user``, with the entities Telegram would mark in it."""
        if chat is None or chat.get("type") == "private":
            self.unstarted.discard(user.id)
        entities = []
        for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention")):
            for match in pattern.finditer(text):
                entities.append(
                    {
                        "type": kind,
                        "offset": utf16(text[: match.start()]),
                        "length": utf16(match.group(0)),
                    }
                )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat or user.private_chat(),
            "from": user.to_json(),
            "text": text,
        }
        if entities:
            message["entities"] = sorted(entities, key=lambda e: e["offset"])
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"update_id": next(self._update_ids), "message": message}

    def say(
        self,
        user: TgUser,
        text: str,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> int:
        """Queue a message from ``user`` for the next getUpdates; its update id."""
        return self._push(self.message_update(user, text, chat, reply_to))

    def edit(self, user: TgUser, text: str) -> int:
        """``user`` edits, in their private chat, a message they sent: ``text`` is
        its new version (Telegram sends the whole message again, marked edited)."""
        update = self.message_update(user, text)
        message = update.pop("message")
        message["edit_date"] = message["date"] + 5
        update["edited_message"] = message
        return self._push(update)

    def send_media(self, user: TgUser, kind: str, caption: str | None = None) -> int:
        """``user`` sends, in their private chat, a message without text: ``kind`` is
        the Bot API field it carries (photo, sticker, voice, document, location,
        contact), with a caption where Telegram allows one."""
        update = self.message_update(user, "")
        message = update["message"]
        del message["text"]
        file = {"file_id": f"f{message['message_id']}", "file_unique_id": "u"}
        message[kind] = {
            "photo": [dict(file, width=90, height=90)],
            "sticker": dict(
                file, type="regular", width=512, height=512, is_animated=False, is_video=False
            ),
            "voice": dict(file, duration=3),
            "document": dict(file, file_name="devis.pdf"),
            "location": {"latitude": 44.9, "longitude": 1.3},
            "contact": {"phone_number": "+33600000000", "first_name": "Jean"},
        }[kind]
        if caption is not None:
            message["caption"] = caption
        return self._push(update)

    def press(self, user: TgUser, message: dict[str, Any], data: str) -> int:
        """``user`` presses a button of ``message`` (one the bot sent) carrying ``data``."""
        query_id = f"q{next(self._message_ids)}"
        self.issued_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": "ci-1",
            "data": data,
        }
        return self._push({"update_id": next(self._update_ids), "callback_query": query})

    # -- what the tests read -------------------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (or edited last), oldest first."""
        return [
            m
            for (chat, _), m in self.messages.items()
            if m.get("from", {}).get("id") == BOT_USER["id"]
            and (chat_id is None or chat == chat_id)
        ]

    def last(self, chat_id: int) -> dict[str, Any]:
        return self.sent(chat_id)[-1]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    # -- the Bot API -----------------------------------------------------------------
    async def api_getMe(self, params: dict[str, Any], files: Any) -> Any:
        return BOT_USER

    async def api_deleteWebhook(self, params: dict[str, Any], files: Any) -> Any:
        return True

    async def api_setWebhook(self, params: dict[str, Any], files: Any) -> Any:
        return True

    async def api_getWebhookInfo(self, params: dict[str, Any], files: Any) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def api_setMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        commands = params["commands"]
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope", {"type": "default"})["type"]
        self.menus[(scope, params.get("language_code", ""))] = commands
        return True

    async def api_getUpdates(self, params: dict[str, Any], files: Any) -> Any:
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        self.polls.append(offset)
        await self._notify()

        def ready() -> bool:
            return bool(self.pending) or self._closing or self.down

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), params.get("timeout", 0))
            except TimeoutError:
                pass
        if self.down:
            raise ApiError(502, "Bad Gateway")
        return self.pending[: params.get("limit", 100)]

    def _check_chat(self, chat_id: Any) -> int:
        chat = int(chat_id)
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat in self.unstarted:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if self.failing:
            self.failing -= 1
            raise ApiError(502, "Bad Gateway")
        delays = self.flood.get(chat)
        if delays:
            delay = delays.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {delay}", retry_after=delay)
        if self.rate is not None:
            self._pace(chat, self.rate, time.monotonic())
        return chat

    def _pace(self, chat: int, rate: RateLimit, now: float) -> None:
        """Count the call against the limits, or refuse it as Telegram would: a
        sliding window of one second overall, of a minute in a group."""
        recent = self._recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        wait = 0.0
        if len(recent) >= rate.per_second:
            wait = recent[0] + 1.0 - now
        if rate.chat_interval and chat in self._last_in_chat:
            wait = max(wait, self._last_in_chat[chat] + rate.chat_interval - now)
        group = self._group_recent.setdefault(chat, deque()) if chat < 0 else None
        if group is not None and rate.group_per_minute is not None:
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= rate.group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        if wait > 0:
            self.too_many += 1
            delay = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {delay}", retry_after=delay)
        recent.append(now)
        self._last_in_chat[chat] = now
        if group is not None:
            group.append(now)

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > CALLBACK_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup if isinstance(markup, dict) else None

    @staticmethod
    def _parsed(params: dict[str, Any], name: str, limit: int) -> str:
        raw = params.get(name, "")
        try:
            text = parse_html(raw) if params.get("parse_mode") == "HTML" else raw
        except ValueError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        if utf16(text) > limit:
            raise ApiError(
                400, f"Bad Request: message {'caption ' if name == 'caption' else ''}is too long"
            )
        return text

    def _store(self, chat: int, markup: dict[str, Any] | None, **content: Any) -> dict[str, Any]:
        chat_json = (
            {"id": chat, "type": "private", "first_name": "?"} if chat > 0 else group_chat(chat)
        )
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_json,
            "from": BOT_USER,
            **content,
        }
        if markup:
            message["reply_markup"] = markup
        self.messages[(chat, message["message_id"])] = message
        return message

    async def api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        text = self._parsed(params, "text", TEXT_LIMIT)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._store(chat, self._check_markup(params), text=text)

    async def api_sendPhoto(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        _, content = files["photo"]
        caption = self._parsed(params, "caption", CAPTION_LIMIT)
        photo = [
            {
                "file_id": f"photo-{len(content)}",
                "file_unique_id": "p",
                "width": 1,
                "height": 1,
                "file_size": len(content),
            }
        ]
        extra = {"caption": caption} if caption else {}
        return self._store(chat, self._check_markup(params), photo=photo, **extra)

    async def api_sendDocument(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        name, content = files["document"]
        document = {
            "file_id": f"doc-{len(content)}",
            "file_unique_id": "d",
            "file_name": name,
            "file_size": len(content),
        }
        return self._store(chat, self._check_markup(params), document=document)

    async def api_editMessageText(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        message = self.messages.get((chat, int(params["message_id"])))
        if message is None or "text" not in message:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._parsed(params, "text", TEXT_LIMIT)
        markup = self._check_markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    async def api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> Any:
        query_id = params["callback_query_id"]
        if query_id not in self.issued_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        self.answered_queries.append(query_id)
        return True

    # -- groups: invite links and members (co-construction groups) -----------------------
    # Telegram lets only an administrator bot manage links, and sends ``chat_member``
    # updates only to administrators; tests make the bot one with ``bot_admin_in``.

    async def api_createChatInviteLink(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        if chat not in self.bot_admin_in:
            raise ApiError(400, "Bad Request: not enough rights to manage chat invite links")
        limit = params.get("member_limit")
        if limit is not None and not 1 <= int(limit) <= 99999:
            raise ApiError(400, "Bad Request: MEMBER_LIMIT_INVALID")
        if len(params.get("name", "")) > 32:
            raise ApiError(400, "Bad Request: invite link name is too long")
        link = {
            "invite_link": f"https://t.me/+fake{next(self._message_ids)}",
            "creator": BOT_USER,
            "creates_join_request": False,
            "is_primary": False,
            "is_revoked": False,
            **({"name": params["name"]} if params.get("name") else {}),
            **({"member_limit": int(limit)} if limit is not None else {}),
        }
        self.invite_links[link["invite_link"]] = {**link, "chat": chat, "used": 0}
        return link

    async def api_revokeChatInviteLink(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        found = self.invite_links.get(params["invite_link"])
        if found is None or found["chat"] != chat:
            raise ApiError(400, "Bad Request: INVITE_HASH_EXPIRED")
        found["is_revoked"] = True
        return {k: v for k, v in found.items() if k not in ("chat", "used")}

    async def api_banChatMember(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        if chat not in self.bot_admin_in:
            raise ApiError(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        self.members.setdefault(chat, set()).discard(int(params["user_id"]))
        self.banned.setdefault(chat, set()).add(int(params["user_id"]))
        return True

    async def api_unbanChatMember(self, params: dict[str, Any], files: Any) -> Any:
        chat = self._check_chat(params["chat_id"])
        self.banned.setdefault(chat, set()).discard(int(params["user_id"]))
        return True

    def join(self, user: TgUser, link: str) -> int:
        """``user`` opens an invite link: Telegram admits them while the link allows,
        and tells the (administrator) bot with a ``chat_member`` update."""
        found = self.invite_links[link]
        if found["is_revoked"] or found.get("member_limit", 10**9) <= found["used"]:
            raise ApiError(400, "INVITE_HASH_EXPIRED")
        chat = int(found["chat"])
        found["used"] += 1
        self.members.setdefault(chat, set()).add(user.id)
        invite = {k: v for k, v in found.items() if k not in ("chat", "used")}
        member = {
            "chat": group_chat(chat),
            "from": user.to_json(),
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": user.to_json()},
            "new_chat_member": {"status": "member", "user": user.to_json()},
            "invite_link": invite,
        }
        return self._push({"update_id": next(self._update_ids), "chat_member": member})
