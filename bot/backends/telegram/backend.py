"""Telegram, through python-telegram-bot v22.

PTB's ``Application`` brings the HTTP client, the handler dispatch and the
webhook server; this module turns updates into neutral events and decides
what a group may see. Answers leave through the outbox like every message
(paced there, so PTB's rate limiter is not used). Rendering, sending and the
polling loop (whose offset lives in SQLite) are in the modules beside it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import BotCommandScopeAllGroupChats, Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.backends import base
from bot.backends.base import Connectivity, Host, Where, next_delay
from bot.backends.telegram.polling import ALLOWED_UPDATES, Stopped, poll, sleep, until
from bot.backends.telegram.render import DEEP_LINK_PAYLOAD, deep_link, menu
from bot.backends.telegram.send import edit, parse_chat_id, retry_seconds, send
from bot.backends.telegram.workspace import TelegramWorkspace, member_handler
from bot.core.config import ConfigError, TelegramConfig
from bot.core.context import command_name
from bot.core.messages import Incoming, Kind, Reply, from_text
from bot.core.non_text import EDIT_KEPT, ONLY_TEXT
from bot.core.unrecorded import Unrecorded

if TYPE_CHECKING:
    from bot.core.router import Command

log = logging.getLogger(__name__)

TgApplication = Application[ExtBot[Any], Any, Any, Any, Any, Any]

POLL_TIMEOUT = 30
MENU_AUDIENCES = ("everyone", "member")
WEBHOOK_LISTEN = "127.0.0.1"
WEBHOOK_PORT = 8080
"""TLS ends at a reverse proxy on the same host, which forwards ``webhook_url``
here: Telegram only calls https URLs, and PTB serves plain HTTP."""


def _bot_command(message: Message) -> tuple[str, str, tuple[str, ...]] | None:
    """(name, addressee, args) of the first command Telegram marked, wherever it
    is: in a group it may follow a mention (``@guichet_bot /aide``).

    Offsets count UTF-16 units, so the text is cut in its encoded form.
    """
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    for entity in entities:
        if entity.type != MessageEntity.BOT_COMMAND:
            continue
        encoded = text.encode("utf-16-le")
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        head = encoded[start:end].decode("utf-16-le")
        rest = encoded[end:].decode("utf-16-le")
        name, _, addressee = head[1:].partition("@")
        return name.lower(), addressee, tuple(rest.split())
    return None


def _addressed_to(message: Message, bot_user: User, addressee: str) -> bool:
    """A group command is ours when it names this bot (``/aide@bot``), or names
    no bot but mentions this one or replies to one of its messages."""
    username = (bot_user.username or "").lower()
    if addressee:
        return addressee.lower() == username
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None:
        if replied.from_user.id == bot_user.id:
            return True
    mentions = message.parse_entities([MessageEntity.MENTION]).values()
    if any(value[1:].lower() == username for value in mentions):
        return True
    return any(
        entity.user is not None and entity.user.id == bot_user.id
        for entity in message.entities
        if entity.type == MessageEntity.TEXT_MENTION
    )


class TelegramBackend:
    """The Telegram side of Guichet.

    ``commands`` are the router's: they fill the "/" menu and tell which
    commands a group may run. Without them the bot still works, with no menu
    and every known command sent to a private chat.
    """

    name = "telegram"
    command_prefix = "/"

    def __init__(
        self,
        config: TelegramConfig,
        commands: Sequence[Command] = (),
        *,
        poll_timeout: int = POLL_TIMEOUT,
        webhook_listen: tuple[str, int] = (WEBHOOK_LISTEN, WEBHOOK_PORT),
    ) -> None:
        self.config = config
        self.commands = tuple(commands)
        self.poll_timeout = poll_timeout
        self.webhook_listen = webhook_listen
        self.connectivity = Connectivity(self.name)
        self._application: TgApplication | None = None
        self._host: Host | None = None
        self.workspace = TelegramWorkspace(self)
        self.unrecorded: set[str] = set()  # event ids the app could not record

    @property
    def host(self) -> Host:
        assert self._host is not None, "run() gives the backend its host"
        return self._host

    # -- lifecycle ------------------------------------------------------------------
    async def run(self, host: Host, stop: asyncio.Event) -> None:
        """Receive until ``stop``; the HTTP client stays open for the outbox's last
        sends until ``close``."""
        self._host = host
        application = self._build()
        self._application = application
        if not await self._initialize(application, stop):
            return
        # A bot cannot open a private chat: people asked in a group to continue
        # there are given this link (bot.core.shared_rooms).
        host.set_direct_link(self.name, deep_link(application.bot.username))
        await self._publish_commands(application.bot)
        if self.config.webhook_url:
            await self._serve_webhook(application, stop)
        else:
            await poll(
                application, host, self.connectivity, stop, self.poll_timeout, self.unrecorded
            )

    async def close(self) -> None:
        application, self._application = self._application, None
        self.connectivity.stopped()
        if application is not None:
            await application.shutdown()
            await application.bot.shutdown()  # its HTTP clients, if initialize() failed midway

    def _build(self) -> TgApplication:
        token = self.config.token.strip()
        if not token:
            raise ConfigError(
                "Telegram: no bot token. Set GUICHET_TELEGRAM_TOKEN to the token @BotFather gave."
            )
        if self.config.webhook_url:
            _check_webhook(self.config)
        builder = ApplicationBuilder().token(token).job_queue(None)
        if self.config.base_url:
            builder = builder.base_url(self.config.base_url)
        if not self.config.webhook_url:
            builder = builder.updater(None)
        application: TgApplication = builder.build()
        application.add_handler(CallbackQueryHandler(self._on_callback))
        application.add_handler(member_handler(self.host))
        application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_message)
        )
        application.add_handler(
            MessageHandler(
                filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, self._on_edited
            )
        )
        # Anything else said privately (a photo, with or without its caption, a
        # sticker, a voice message…) is answered, never silently dropped.
        application.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~filters.TEXT,
                self._on_non_text,
            )
        )
        application.add_error_handler(self._on_error)
        return application

    async def _initialize(self, application: TgApplication, stop: asyncio.Event) -> bool:
        """getMe, retried while Telegram is unreachable; False if stopped meanwhile.

        A rejected token is a configuration error that no retry will fix.
        """
        delay = base.RECONNECT_FIRST
        while True:
            try:
                await until(stop, application.initialize())
                self.connectivity.up()
                return True
            except Stopped:
                return False
            except InvalidToken:
                where = f" (or {self.config.base_url} is not a Bot API server)"
                raise ConfigError(
                    "Telegram rejected the bot token in GUICHET_TELEGRAM_TOKEN"
                    f"{where if self.config.base_url else ''}: check it with @BotFather."
                ) from None
            except TelegramError as exc:
                if delay == base.RECONNECT_FIRST:
                    log.warning(
                        "Telegram unreachable at start (%s); retrying until it answers", exc
                    )
                self.connectivity.down(str(exc))
            if not await sleep(stop, delay):
                return False
            delay = next_delay(delay)

    async def _publish_commands(self, bot: ExtBot[Any]) -> None:
        """The "/" menu in French (default) and English, a shorter one in groups.

        Without the router's commands the menu is left as it is, not wiped.
        """
        shown = [c for c in self.commands if c.audience in MENU_AUDIENCES]
        # Only what is declared ``group_ok`` answers in a group: any other command
        # starts a personal conversation, which a group would both expose and be
        # unable to continue (plain text is ignored there), so it moves to a private chat.
        for_groups = [c for c in shown if c.group_ok]
        if not shown:
            return
        for locale, language_code in (("fr", None), ("en", "en")):
            t = self.host.translator(locale)
            for commands, scope in ((shown, None), (for_groups, BotCommandScopeAllGroupChats())):
                entries = menu(
                    (command_name(self.commands, c.key, "", locale), t._(c.summary))
                    for c in commands
                )
                if not entries:
                    continue
                try:
                    await bot.set_my_commands(entries, scope=scope, language_code=language_code)
                except TelegramError as exc:
                    log.warning("could not set the Telegram command menu: %s", exc)

    async def _serve_webhook(self, application: TgApplication, stop: asyncio.Event) -> None:
        updater = application.updater
        assert updater is not None
        await application.start()
        try:
            await updater.start_webhook(
                listen=self.webhook_listen[0],
                port=self.webhook_listen[1],
                url_path=urlsplit(self.config.webhook_url).path.lstrip("/"),
                webhook_url=self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            try:
                await stop.wait()
            finally:
                await updater.stop()
        finally:
            await application.stop()

    # -- incoming -------------------------------------------------------------------
    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        user = message.from_user if message else None
        text = message.text if message else None
        if message is None or user is None or user.is_bot or text is None:
            return
        identity = f"telegram:{user.id}"
        event_id = f"telegram:{update.update_id}"
        name_hint, language_hint = user.full_name, user.language_code or ""
        if message.chat.type == ChatType.PRIVATE:
            incoming = from_text(
                identity,
                event_id,
                text,
                display_name=name_hint,
                language_hint=language_hint,
                address=str(message.chat_id),
            )
            await self._handle(incoming, Where(str(message.chat_id)))
            return
        # In a group: only commands addressed to this bot, never plain text. The
        # address stays empty, so notifications never follow a person into a group.
        command = _bot_command(message)
        if command is None or not _addressed_to(message, context.bot.bot, command[1]):
            return
        name, _, args = command
        known = next((c for c in self.commands if name in (c.fr, c.en)), None)
        if known is not None and not known.group_ok:
            await self._to_private_chat(message.chat_id, identity, user, known, args)
            return
        incoming = Incoming(
            identity,
            event_id,
            Kind.COMMAND,
            command=name,
            args=args,
            display_name=name_hint,
            language_hint=language_hint,
            room=str(message.chat_id),
            shared=True,
        )
        await self._handle(incoming, Where(str(message.chat_id)))

    async def _handle(self, incoming: Incoming, where: Where) -> None:
        try:
            await self.host.handle(incoming, where)
        except Unrecorded as unrecorded:  # the polling loop leaves the update unconfirmed
            self.unrecorded.add(incoming.event_id)
            await base.say_unrecorded(self, incoming.identity, where, unrecorded.replies)

    async def _on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edit of a message already used: the version first sent was kept."""
        message = update.edited_message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot:
            return
        await self._tell(user, message.chat_id, EDIT_KEPT)

    async def _tell(self, user: User, chat: int, text: str) -> None:
        """Answer in a private chat through the outbox, in the person's language."""
        identity = f"telegram:{user.id}"
        locale = await self.host.locale_of(identity, user.language_code or "")
        await self.host.tell(
            identity,
            Where(str(chat)),
            Reply(self.host.translator(locale)._(text)),
            display_name=user.full_name,
            language_hint=user.language_code or "",
            address=str(chat) if chat > 0 else "",
        )

    async def _on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that only text is read; the pending step is left as it was."""
        message = update.message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot:
            return
        if message.new_chat_members or message.left_chat_member or message.pinned_message:
            return  # service messages: nobody is waiting for an answer
        await self._tell(user, message.chat_id, ONLY_TEXT)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # stops the button's spinner, whatever happens next
        except TelegramError as exc:
            log.debug("could not answer callback query: %s", exc)
        if query.data is None:
            return
        user = query.from_user
        pressed = query.message
        chat = pressed.chat.id if pressed is not None else user.id
        private = pressed is None or pressed.chat.type == ChatType.PRIVATE
        incoming = Incoming(
            f"telegram:{user.id}",
            f"telegram:{update.update_id}",
            Kind.CHOICE,
            data=query.data,
            display_name=user.full_name,
            language_hint=user.language_code or "",
            address=str(chat) if private else "",
            shared=not private,
        )
        editable = str(pressed.message_id) if isinstance(pressed, Message) else ""
        await self._handle(incoming, Where(str(chat), editable=editable))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update could not be handled", exc_info=context.error)

    async def _to_private_chat(
        self, chat: int, identity: str, user: User, command: Command, args: tuple[str, ...]
    ) -> None:
        """Answer a personal command typed in a group with a link to a private chat;
        ``/start CODE`` keeps its code through the link's start payload."""
        locale = await self.host.locale_of(identity, user.language_code or "") or "fr"
        t = self.host.translator(locale)
        assert self._application is not None
        username = self._application.bot.username
        if command.key == "start":
            payload = args[0] if args and DEEP_LINK_PAYLOAD.match(args[0]) else ""
            text = t._(
                "Let's continue in a private chat, so that your answers stay between us: {link}",
                link=deep_link(username, payload),
            )
        else:
            text = t._(
                "Let's continue in a private chat, so that your answers stay between us: "
                "open {link} and type {command} there.",
                link=deep_link(username),
                command=command_name(self.commands, command.key, "/", locale),
            )
        await self.host.tell(
            identity,
            Where(str(chat)),
            Reply(text),
            display_name=user.full_name,
            language_hint=user.language_code or "",
        )

    # -- outbox ---------------------------------------------------------------------
    async def deliver(
        self,
        identity: str,
        address: str,
        reply: Reply,
        *,
        key: str = "",
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Send one message; a 429 holds only its chat (Telegram's answer names no
        wider scope), an unreachable Telegram the whole backend until it answers.

        The Bot API takes no idempotency key: ``key`` cannot stop a resend after
        a crash from showing twice.
        """
        application = self._application
        if application is None:
            raise base.Unreachable("not started")
        chat = parse_chat_id(address or identity.split(":", 1)[1])
        try:
            message_id = (context or {}).get("edit", "")
            if reply.edit and message_id.isdigit():
                if await edit(application.bot, chat, int(message_id), reply):
                    return
            await send(application.bot, chat, reply)
        except Forbidden as exc:
            raise base.Blocked(exc.message) from exc
        except RetryAfter as exc:
            raise base.RetryAfter(retry_seconds(exc), exc.message, whole_lane=False) from exc
        except BadRequest as exc:  # before NetworkError: PTB makes it one
            raise base.Rejected(exc.message) from exc
        except NetworkError as exc:  # 5xx, refused connections, timeouts
            raise base.Unreachable(exc.message) from exc
        except TelegramError as exc:
            raise base.DeliveryError(exc.message) from exc


def _check_webhook(config: TelegramConfig) -> None:
    """Refuse, before any network call, a webhook that would be unsafe or could not start."""
    if importlib.util.find_spec("tornado") is None:
        raise ConfigError(
            "[telegram] webhook_url needs PTB's webhook server: pip install "
            "'python-telegram-bot[webhooks]', or remove webhook_url to use long polling"
        )
    if urlsplit(config.webhook_url).scheme != "https":
        raise ConfigError("[telegram] webhook_url must be an https:// URL: Telegram calls no other")
    if not config.webhook_secret:
        raise ConfigError(
            "[telegram] webhook_url is set but GUICHET_TELEGRAM_WEBHOOK_SECRET is not: "
            "without it anyone could post forged updates"
        )
    secret = config.webhook_secret
    if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
        raise ConfigError(
            "GUICHET_TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters among "
            "A-Z, a-z, 0-9, _ and -"
        )
