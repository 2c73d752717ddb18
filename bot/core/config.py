"""Settings: config.toml read with tomllib into frozen, validated dataclasses.

It stays one module over the size the code base aims for (issue 16) because it is one schema: the
dataclasses are config.toml section by section, and the generic reader (_build, _convert) and
the cross-field checks (_check_semantics) walk exactly those types; a setting is added in one
place, with its check beside it. The token and webhook secret are read from the environment here
too, so every setting has one home.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tomllib
import types
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.symptoms import RED_FLAGS, SYMPTOMS

LANGUAGES = ("zh-CN", "en")
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ConfigError(Exception):
    """A config problem, worded for the person who edits the file."""


@dataclass(frozen=True)
class General:
    timezone: str = "Asia/Shanghai"
    language: str = "zh-CN"
    database: str = "data/classcare.db"
    log_level: str = "INFO"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Telegram:
    base_url: str = ""
    base_file_url: str = ""
    bot_username: str = ""
    poll_timeout_seconds: int = 10
    request_timeout_seconds: float = 20.0
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    max_queued_updates_per_chat: int = 20


@dataclass(frozen=True)
class Storage:
    synchronous: str = "FULL"
    busy_timeout_ms: int = 5000


@dataclass(frozen=True)
class Delivery:
    rate_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    group_per_minute: int = 20
    paid_broadcast: bool = False
    paid_rate_per_second: float = 1000.0
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    starvation_seconds: float = 5.0


@dataclass(frozen=True)
class Invites:
    ttl_days: int = 14
    max_failures_per_hour: int = 5


@dataclass(frozen=True)
class Slot:
    name: str
    time: time
    # What students and staff read (晚检 / Evening check-in); empty = the catalog's words.
    label_zh_cn: str = ""
    label_en: str = ""

    def labels(self) -> dict[str, str]:
        """The slot's own labels by language, for those that are set."""
        return {
            language: label
            for language, label in (("zh-CN", self.label_zh_cn), ("en", self.label_en))
            if label.strip()
        }


def _default_slots() -> tuple[Slot, ...]:
    return (Slot("morning", time(7, 30)), Slot("noon", time(12, 30)))


@dataclass(frozen=True)
class Checkins:
    slots: tuple[Slot, ...] = field(default_factory=_default_slots)
    reminder_minutes: tuple[int, ...] = (30, 60)
    window_minutes: int = 180
    screen_weekday: str = "wednesday"


def _default_questions_zh() -> tuple[str, ...]:
    return (
        "最近 3 天没有发烧（37.3°C 及以上）",
        "最近 3 天没有咳嗽、咽痛、乏力等不适",
        "家里一起住的人最近都身体健康",
    )


def _default_questions_en() -> tuple[str, ...]:
    return (
        "No fever (37.3 °C or more) in the last 3 days",
        "No cough, sore throat, tiredness or other symptoms in the last 3 days",
        "Everyone I live with has been well lately",
    )


@dataclass(frozen=True)
class Returns:
    """The return declaration (返校健康申报): yes/no questions, each answered "yes, all well"."""

    questions_zh_cn: tuple[str, ...] = field(default_factory=_default_questions_zh)
    questions_en: tuple[str, ...] = field(default_factory=_default_questions_en)
    # A fever or symptom in the check-ins of this many days before declaring flags the person.
    window_days: int = 3
    # The day before a return, bureau admins and liaisons get the schools not ready yet.
    warn_time: time = time(17, 0)


@dataclass(frozen=True)
class SchoolPlan:
    """One school's own plan (一校一策); what is left unset (empty) is the county default."""

    name: str
    slots: tuple[Slot, ...] = ()
    reminder_minutes: tuple[int, ...] = ()
    window_minutes: int = 0
    screen_weekday: str = ""
    return_message_zh_cn: str = ""
    return_message_en: str = ""

    def checkins(self, county: Checkins) -> Checkins:
        """The school's timetable: its own settings over the county's."""
        return Checkins(
            slots=self.slots or county.slots,
            reminder_minutes=self.reminder_minutes or county.reminder_minutes,
            window_minutes=self.window_minutes or county.window_minutes,
            screen_weekday=self.screen_weekday or county.screen_weekday,
        )


@dataclass(frozen=True)
class Isolation:
    return_message_zh_cn: str = ""
    return_message_en: str = ""
    auto_release: bool = False


@dataclass(frozen=True)
class Alerts:
    fever_warning_c: float = 37.3
    fever_urgent_c: float = 38.0
    rising_info_c: float = 37.0
    low_mood_max: int = 2
    mood_run: int = 3
    baseline_drop: float = 1.5
    baseline_min_checks: int = 4
    missed_run: int = 2
    screen_subscale_warning: int = 3
    screen_total_urgent: int = 9
    copied_days: int = 3
    ack_urgent_minutes: int = 10
    ack_warning_minutes: int = 60
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 0)
    red_flag_symptoms: tuple[str, ...] = RED_FLAGS


@dataclass(frozen=True)
class Hotline:
    number: str
    name_zh_cn: str
    name_en: str


def _default_hotlines() -> tuple[Hotline, ...]:
    return (
        Hotline("12356", "全国心理援助热线", "National mental-health hotline"),
        Hotline("12355", "青少年服务台", "Youth helpline"),
        Hotline("120", "急救电话", "Emergency (ambulance)"),
    )


@dataclass(frozen=True)
class Crisis:
    hotlines: tuple[Hotline, ...] = field(default_factory=_default_hotlines)
    # A concern (distress, not clearly a crisis) offers the student /talk to a counselor.
    concern_offer_talk: bool = True


@dataclass(frozen=True)
class Digest:
    school_report_time: time = time(16, 0)


@dataclass(frozen=True)
class Retention:
    days_after_isolation: int = 30
    purge_time: time = time(3, 0)


@dataclass(frozen=True)
class Notices:
    remind_interval_minutes: int = 60


@dataclass(frozen=True)
class Contact:
    # A reply to a relayed message goes back only this long after it was relayed.
    reply_route_days: int = 7


ANSWERERS = ("student", "guardian", "either")


@dataclass(frozen=True)
class AnswererRule:
    """Who answers the check-ins of a school's younger grades ("" = every school)."""

    answerer: str
    below_grade: int
    school: str = ""


def _default_answerer_rules() -> tuple[AnswererRule, ...]:
    # Grades 1-3 and kindergarten rarely have a phone of their own.
    return (AnswererRule("guardian", below_grade=4),)


@dataclass(frozen=True)
class Guardians:
    default_answerer: str = "student"
    answerer_rules: tuple[AnswererRule, ...] = field(default_factory=_default_answerer_rules)
    nudge_at_reminder: int = 2
    consent_waits: bool = False
    consent_text_zh_cn: str = ""
    consent_text_en: str = ""


@dataclass(frozen=True)
class Dashboard:
    """The staff dashboard (a Telegram Mini App) served by the bot's own process."""

    enabled: bool = False
    # The HTTPS address Telegram opens (a reverse proxy in front of listen:port).
    public_url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8090
    # How old a Mini App's initData may be when it is exchanged for a session.
    init_data_max_age_seconds: int = 3600
    session_minutes: int = 60
    login_link_minutes: int = 5


@dataclass(frozen=True)
class Config:
    general: General = field(default_factory=General)
    telegram: Telegram = field(default_factory=Telegram)
    storage: Storage = field(default_factory=Storage)
    delivery: Delivery = field(default_factory=Delivery)
    invites: Invites = field(default_factory=Invites)
    checkins: Checkins = field(default_factory=Checkins)
    isolation: Isolation = field(default_factory=Isolation)
    alerts: Alerts = field(default_factory=Alerts)
    crisis: Crisis = field(default_factory=Crisis)
    digest: Digest = field(default_factory=Digest)
    retention: Retention = field(default_factory=Retention)
    notices: Notices = field(default_factory=Notices)
    contact: Contact = field(default_factory=Contact)
    returns: Returns = field(default_factory=Returns)
    schools: tuple[SchoolPlan, ...] = ()
    guardians: Guardians = field(default_factory=Guardians)
    dashboard: Dashboard = field(default_factory=Dashboard)
    source: str = "<defaults>"

    def plan(self, school: str | None) -> SchoolPlan | None:
        """The school's own plan, if it has one."""
        return next((p for p in self.schools if p.name == school), None)

    def checkins_for(self, school: str | None) -> Checkins:
        """The check-in timetable of a school: its own plan, else the county's."""
        plan = self.plan(school)
        return self.checkins if plan is None else plan.checkins(self.checkins)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; every problem is a ConfigError naming file and key."""
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the config file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: the file must be UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    config = _build(Config, data, where, "")
    _check_semantics(config, where)
    return dataclasses.replace(config, source=where)


def _build(cls: type[Any], data: Any, where: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: [{prefix or 'top level'}] must be a table")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    for key in data:
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown key '{_join(prefix, key)}' (known here: {known})")
    values = {
        name: _convert(hints[name], data[name], where, _join(prefix, name))
        for name in names
        if name in data
    }
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: [{prefix}] is missing a required key ({exc})") from exc


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _convert(hint: Any, value: Any, where: str, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, key)  # type: ignore[arg-type]
    if origin is tuple:
        item_type = get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: '{key}' must be a list, got {_shown(value)}")
        return tuple(
            _convert(item_type, item, where, f"{key}[{i}]") for i, item in enumerate(value)
        )
    if origin in (Union, types.UnionType):
        raise ConfigError(f"{where}: '{key}' has an unsupported type")
    if hint is time:
        return _parse_time(value, where, key)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false, got {_shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: '{key}' must be a whole number, got {_shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: '{key}' must be a number, got {_shown(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: '{key}' must be a text in quotes, got {_shown(value)}")
        return value
    raise ConfigError(f"{where}: '{key}' has an unsupported type")


def _parse_time(value: Any, where: str, key: str) -> time:
    expected = f'{where}: \'{key}\' must be a time of day as "HH:MM" (e.g. "07:30")'
    if not isinstance(value, str):
        raise ConfigError(f"{expected}, got {_shown(value)}")
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ConfigError(f"{expected}, got {_shown(value)}") from exc


def _shown(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _check_dashboard(dashboard: Dashboard, where: str) -> None:
    if not dashboard.enabled:
        return
    url = urlsplit(dashboard.public_url)
    # Telegram opens Mini Apps over HTTPS only; plain HTTP is for a browser on this machine.
    local = url.hostname in ("127.0.0.1", "localhost", "::1")
    if not url.hostname or not (url.scheme == "https" or (url.scheme == "http" and local)):
        raise ConfigError(
            f"{where}: 'dashboard.public_url' must be the dashboard's https:// address when "
            f"'dashboard.enabled' is true, got {dashboard.public_url!r}"
        )
    if not 0 <= dashboard.port <= 65535:
        raise ConfigError(f"{where}: 'dashboard.port' must be a TCP port")
    for name in ("init_data_max_age_seconds", "session_minutes", "login_link_minutes"):
        if getattr(dashboard, name) < 1:
            raise ConfigError(f"{where}: 'dashboard.{name}' must be at least 1")


def _check_semantics(config: Config, where: str) -> None:
    try:
        ZoneInfo(config.general.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where}: 'general.timezone' must be an IANA time zone such as \"Asia/Shanghai\", "
            f"got {config.general.timezone!r}"
        ) from exc
    if config.general.language not in LANGUAGES:
        raise ConfigError(
            f"{where}: 'general.language' must be one of {', '.join(LANGUAGES)}, "
            f"got {config.general.language!r}"
        )
    if config.general.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{where}: 'general.log_level' must be DEBUG, INFO, WARNING or ERROR")
    if config.telegram.max_queued_updates_per_chat < 1:
        raise ConfigError(f"{where}: 'telegram.max_queued_updates_per_chat' must be at least 1")
    if config.storage.synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(f"{where}: 'storage.synchronous' must be FULL, NORMAL or EXTRA")
    if config.contact.reply_route_days < 1:
        raise ConfigError(f"{where}: 'contact.reply_route_days' must be at least 1")
    _check_dashboard(config.dashboard, where)
    _check_checkins(config.checkins, where, "checkins")
    returns = config.returns
    if not returns.questions_zh_cn or len(returns.questions_zh_cn) != len(returns.questions_en):
        raise ConfigError(
            f"{where}: 'returns.questions_zh_cn' and 'returns.questions_en' must list the same "
            f"questions in both languages (got {len(returns.questions_zh_cn)} and "
            f"{len(returns.questions_en)})"
        )
    if not 1 <= returns.window_days <= 30:
        raise ConfigError(f"{where}: 'returns.window_days' must be between 1 and 30")
    seen: set[str] = set()
    for index, plan in enumerate(config.schools):
        key = f"schools[{index}]"
        if not plan.name.strip():
            raise ConfigError(f"{where}: '{key}.name' must name a school as in the roster")
        if plan.name in seen:
            raise ConfigError(f"{where}: '{key}.name' {plan.name!r} has a plan already")
        seen.add(plan.name)
        if plan.window_minutes < 0:
            raise ConfigError(f"{where}: '{key}.window_minutes' must be at least 10 (or unset)")
        _check_checkins(plan.checkins(config.checkins), where, key)
    unknown = [s for s in config.alerts.red_flag_symptoms if s not in SYMPTOMS]
    if unknown:
        raise ConfigError(
            f"{where}: 'alerts.red_flag_symptoms' has unknown symptoms {unknown}; "
            f"known: {', '.join(SYMPTOMS)}"
        )
    delivery = config.delivery
    if not 0 < delivery.rate_per_second <= 1000 or not 0 < delivery.paid_rate_per_second <= 1000:
        raise ConfigError(f"{where}: 'delivery' rates must be between 0 and 1000 per second")
    if delivery.max_attempts < 1:
        raise ConfigError(f"{where}: 'delivery.max_attempts' must be at least 1")
    for name in ("base_url", "base_file_url"):
        url = getattr(config.telegram, name)
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: 'telegram.{name}' must start with http:// or https://")
    if config.invites.ttl_days < 1 or config.retention.days_after_isolation < 1:
        raise ConfigError(f"{where}: day counts in [invites] and [retention] must be at least 1")
    guardians = config.guardians
    chosen = [guardians.default_answerer, *(r.answerer for r in guardians.answerer_rules)]
    if any(a not in ANSWERERS for a in chosen):
        raise ConfigError(
            f"{where}: answerers in [guardians] must be one of {', '.join(ANSWERERS)},"
            f" got {chosen}"
        )
    if guardians.nudge_at_reminder < 0:
        raise ConfigError(
            f"{where}: 'guardians.nudge_at_reminder' must be 0 (never) or a reminder's number"
        )


def _check_checkins(checkins: Checkins, where: str, key: str) -> None:
    """A timetable's rules, for the county's [checkins] or a school's plan ([[schools]])."""
    if not checkins.slots:
        raise ConfigError(f"{where}: '{key}.slots' needs at least one slot")
    names = [slot.name for slot in checkins.slots]
    if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
        raise ConfigError(f"{where}: '{key}.slots' names must be distinct words, got {names}")
    for slot in checkins.slots:
        if bool(slot.label_zh_cn.strip()) != bool(slot.label_en.strip()):
            raise ConfigError(
                f"{where}: '{key}.slots' {slot.name} needs both label_zh_cn and label_en "
                f"(or neither, for the built-in morning and noon)"
            )
    times = [slot.time for slot in checkins.slots]
    if times != sorted(times) or len(set(times)) != len(times):
        raise ConfigError(f"{where}: '{key}.slots' must be in time order, one per time")
    if checkins.window_minutes < 10:
        raise ConfigError(f"{where}: '{key}.window_minutes' must be at least 10")
    _check_windows_apart(checkins, where, key)
    if any(m <= 0 or m >= checkins.window_minutes for m in checkins.reminder_minutes):
        raise ConfigError(
            f"{where}: '{key}.reminder_minutes' must lie between 0 and window_minutes "
            f"({checkins.window_minutes}), got {list(checkins.reminder_minutes)}"
        )
    if checkins.screen_weekday not in WEEKDAYS:
        raise ConfigError(
            f"{where}: '{key}.screen_weekday' must be one of {', '.join(WEEKDAYS)}, "
            f"got {checkins.screen_weekday!r}"
        )


def _check_windows_apart(checkins: Checkins, where: str, key: str) -> None:
    """Each slot's window must close by the time the next slot opens, the next day's first
    slot included: with two open at once, typed text goes to the newer round and an answer the
    older one waits for (a note, a temperature) is lost."""
    slots = checkins.slots
    for index, slot in enumerate(slots):
        following = slots[(index + 1) % len(slots)]
        gap = (_minutes(following.time) - _minutes(slot.time)) % (24 * 60) or 24 * 60
        if checkins.window_minutes > gap:
            later = (
                following.name if index + 1 < len(slots) else f"the next day's {following.name}"
            )
            raise ConfigError(
                f"{where}: '{key}.window_minutes' ({checkins.window_minutes}) must be at most "
                f"the time between two slots, so one window closes before the next opens; "
                f"'{key}.slots' {slot.name} ({slot.time:%H:%M}) and {later} "
                f"({following.time:%H:%M}) are {gap} minutes apart"
            )


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def bot_token(environ: dict[str, str] | None = None) -> str:
    """The bot token, only ever from the environment."""
    env = os.environ if environ is None else environ
    token = env.get("BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            "BOT_TOKEN is not set: export the token BotFather gave you, "
            "e.g. `export BOT_TOKEN=123456:ABC...`"
        )
    return token


def webhook_secret(environ: dict[str, str] | None = None) -> str:
    """The webhook secret, only ever from the environment; never echoed in an error."""
    env = os.environ if environ is None else environ
    secret = env.get("WEBHOOK_SECRET", "")
    if not secret:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: webhook mode ('telegram.webhook_url') needs it, or anyone "
            "who finds the address can post updates as any user; export 1-256 characters of "
            "A-Za-z0-9_-, e.g. `export WEBHOOK_SECRET=$(openssl rand -hex 32)`"
        )
    if WEBHOOK_SECRET.fullmatch(secret) is None:
        raise ConfigError(
            f"WEBHOOK_SECRET is not valid: Telegram accepts 1-256 characters of A-Za-z0-9_- "
            f"(the value set has {len(secret)} characters)"
        )
    return secret


def webhook_path(secret: str) -> str:
    """The URL path the bot listens on: unguessable without the secret, and not the secret
    itself (paths end up in proxy logs)."""
    return hashlib.sha256(f"classcare webhook path {secret}".encode()).hexdigest()[:40]
