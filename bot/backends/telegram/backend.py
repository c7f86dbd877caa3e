"""Telegram, through python-telegram-bot v22.

PTB's ``Application`` brings the HTTP client, the rate limiter, the handler
dispatch and the webhook server; this module turns updates into neutral events
and decides what a group may see. Rendering, sending and the polling loop
(whose offset lives in SQLite) are in the ``telegram_*`` modules beside it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Sequence
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
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.backends import base
from bot.backends.base import Dispatch
from bot.backends.telegram.polling import ALLOWED_UPDATES, BACKOFF_MAX, Stopped, poll, sleep, until
from bot.backends.telegram.render import DEEP_LINK_PAYLOAD, deep_link, menu
from bot.backends.telegram.send import INTERACTIVE_RETRIES, edit, parse_chat_id, retry_seconds, send
from bot.backends.telegram.workspace import TelegramWorkspace, member_handler
from bot.core.config import ConfigError, TelegramConfig
from bot.core.context import Services, command_name
from bot.core.i18n import guess_locale
from bot.core.messages import Incoming, Kind, Reply, from_text
from bot.core.non_text import EDIT_KEPT, ONLY_TEXT
from bot.core.unrecorded import Unrecorded
from storage import outbox, persons

if TYPE_CHECKING:
    from bot.core.router import Command

log = logging.getLogger(__name__)

# PTB's limiter logs a traceback for every 429 it does not retry; the outbox
# meets those by design (it holds the lane, see bot.delivery.outbox) and logs one line.
logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

TgApplication = Application[ExtBot[Any], Any, Any, Any, Any, Any]

POLL_TIMEOUT = 30
READY_WAIT = 5.0
"""How long a delivery waits for the backend to connect at start-up before
the outbox gives its rows back for a later try (``NOT_CONNECTED_RETRY``)."""
NOT_CONNECTED_RETRY = 15.0
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
        services: Services,
        commands: Sequence[Command] = (),
        *,
        poll_timeout: int = POLL_TIMEOUT,
        webhook_listen: tuple[str, int] = (WEBHOOK_LISTEN, WEBHOOK_PORT),
    ) -> None:
        self.config = config
        self.services = services
        self.commands = tuple(commands)
        self.poll_timeout = poll_timeout
        self.webhook_listen = webhook_listen
        self._application: TgApplication | None = None
        self._ready = asyncio.Event()
        self._dispatch: Dispatch | None = None
        self.workspace = TelegramWorkspace(self)
        self.unrecorded: set[str] = set()  # event ids the app could not record

    # -- lifecycle ------------------------------------------------------------------
    async def run(self, dispatch: Dispatch, stop: asyncio.Event) -> None:
        application = self._build()
        self._dispatch = dispatch
        try:
            if not await self._initialize(application, stop):
                return
            self._application = application
            # A bot cannot open a private chat: people asked in a group to continue
            # there are given this link (bot.core.shared_rooms).
            self.services.direct_links[self.name] = deep_link(application.bot.username)
            self._ready.set()
            await self._publish_commands(application.bot)
            if self.config.webhook_url:
                await self._serve_webhook(application, stop)
            else:
                await poll(application, self.services, stop, self.poll_timeout, self.unrecorded)
        finally:
            self._ready.clear()
            self._application = None
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
        # PTB's limiter caps answers and outbox sends together at the rate the
        # outbox paces itself to, so answers during a broadcast cannot push the
        # bot over it; the outbox handles its own 429s (no retries here).
        limiter = AIORateLimiter(
            overall_max_rate=self.services.config.limits.telegram_messages_per_second
        )
        builder = ApplicationBuilder().token(token).rate_limiter(limiter).job_queue(None)
        if self.config.base_url:
            builder = builder.base_url(self.config.base_url)
        if not self.config.webhook_url:
            builder = builder.updater(None)
        application: TgApplication = builder.build()
        application.add_handler(CallbackQueryHandler(self._on_callback))
        application.add_handler(member_handler(self.services))
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
        delay = 1.0
        while True:
            try:
                await until(stop, application.initialize())
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
                log.warning("Telegram unreachable (%s); retrying in %.0f s", exc, delay)
            if not await sleep(stop, delay):
                return False
            delay = min(delay * 2, BACKOFF_MAX)

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
            t = self.services.translations.get(locale)
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
            await self._answer(incoming, message.chat_id, None)
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
        await self._answer(incoming, message.chat_id, None)

    async def _on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edit of a message already used: the version first sent was kept."""
        message = update.edited_message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot:
            return
        await self._tell(user, message.chat_id, EDIT_KEPT)

    async def _tell(self, user: User, chat: int, text: str) -> None:
        person = await persons.by_identity(self.services.db, f"telegram:{user.id}")
        hint = (person.locale_hint if person else None) or user.language_code
        t = self.services.translations.get(
            (person.locale if person else None) or guess_locale(hint)
        )
        await self._answer_with([Reply(t._(text))], chat, None, f"telegram:{user.id}")

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
        await self._answer(incoming, chat, pressed if isinstance(pressed, Message) else None)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update could not be handled", exc_info=context.error)

    async def _to_private_chat(
        self, chat: int, identity: str, user: User, command: Command, args: tuple[str, ...]
    ) -> None:
        """Answer a personal command typed in a group with a link to a private chat;
        ``/start CODE`` keeps its code through the link's start payload."""
        person = await persons.by_identity(self.services.db, identity)
        hint = (person.locale_hint if person else None) or user.language_code
        locale = (person.locale if person else None) or guess_locale(hint)
        t = self.services.translations.get(locale)
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
        await self._answer_with([Reply(text)], chat, None, identity)

    async def _answer(self, incoming: Incoming, chat: int, pressed: Message | None) -> None:
        assert self._dispatch is not None
        try:
            replies = await self._dispatch(incoming)
        except Unrecorded as unrecorded:  # the polling loop leaves the update unconfirmed
            self.unrecorded.add(incoming.event_id)
            replies = unrecorded.replies
        await self._answer_with(replies, chat, pressed, incoming.identity)

    async def _answer_with(
        self, replies: list[Reply], chat: int, pressed: Message | None, identity: str
    ) -> None:
        """Send a handler's replies, in order.

        The event is already committed, so an answer that cannot go now must not
        be lost: when Telegram cannot be reached or still asks to wait after
        ``INTERACTIVE_RETRIES``, this reply and the ones after it go to the
        outbox, which retries them with backoff (a reply split in several
        messages may then repeat the parts that went). A refusal (HTML Telegram
        cannot parse, a chat that blocked the bot) would be refused again: it is
        logged.
        """
        assert self._application is not None
        bot = self._application.bot
        for index, reply in enumerate(replies):
            try:
                if reply.edit and pressed is not None and await edit(bot, pressed, reply):
                    pressed = None  # only the first such reply replaces the pressed message
                    continue
                await send(bot, chat, reply, INTERACTIVE_RETRIES)
            except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError in PTB
                log.warning("could not answer in Telegram chat %s: %s", chat, exc)
                return
            except (NetworkError, RetryAfter) as exc:
                await self._answer_later(identity, chat, replies[index:], exc)
                return
            except TelegramError as exc:
                log.warning("could not answer in Telegram chat %s: %s", chat, exc)
                return

    async def _answer_later(
        self, identity: str, chat: int, replies: list[Reply], exc: TelegramError
    ) -> None:
        """Hand unsent answers to the outbox. It reaches a person, in their private
        chat, so an answer in a group that fails is only logged."""
        if str(chat) != identity.split(":", 1)[1]:
            log.warning("answer in Telegram group %s not sent: %s", chat, exc)
            return
        db, now = self.services.db, self.services.clock.now()
        async with db.transaction():
            person = await persons.by_identity(db, identity)
            if person is None:
                log.warning("answer in Telegram chat %s not sent: %s", chat, exc)
                return
            for reply in replies:
                await outbox.enqueue(db, person.id, "answer", reply, now)
        self.services.on_outbox()
        log.warning("Telegram: answer to chat %s not sent (%s): the outbox will retry", chat, exc)

    # -- outbox ---------------------------------------------------------------------
    async def deliver(self, identity: str, address: str, reply: Reply) -> None:
        await base.until_connected(self._ready, READY_WAIT, NOT_CONNECTED_RETRY)
        application = self._application
        if application is None:  # stopped since
            raise base.RetryAfter(NOT_CONNECTED_RETRY, "not connected")
        chat = parse_chat_id(address or identity.split(":", 1)[1])
        try:
            await send(application.bot, chat, reply, None)
        except Forbidden as exc:
            raise base.Blocked(exc.message) from exc
        except RetryAfter as exc:
            raise base.RetryAfter(retry_seconds(exc)) from exc
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
