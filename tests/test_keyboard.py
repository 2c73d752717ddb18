"""The shared keyboard type and callback codec: Telegram's 64-byte limit and forged data."""

import pytest

from bot.core.keyboard import MAX_CALLBACK_BYTES, Button, Keyboard, callback, parse
from bot.delivery.outbox import Lane, message
from bot.people.language import chosen
from handlers.common import markup, shown_keyboard


def test_callback_round_trips_ids_and_verbs() -> None:
    data = callback("ci", 42, "symptom", 3)
    assert data == "ci:42:symptom:3"
    read = parse(data, "ci")
    assert read is not None
    assert (read.number(0), read.text(1), read.number(2), read.number(3)) == (
        42,
        "symptom",
        3,
        None,
    )


def test_callback_over_64_bytes_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callback("nt", "x" * MAX_CALLBACK_BYTES)
    # Chinese text counts in bytes, not characters.
    with pytest.raises(ValueError):
        callback("nt", "班" * 21)


def test_a_separator_or_empty_part_is_refused() -> None:
    with pytest.raises(ValueError):
        callback("ci", "a:b")
    with pytest.raises(ValueError):
        callback("ci", "")


@pytest.mark.parametrize("forged", [None, "", "al", "ci:abc:ok", "ci:1e3:x", "ci:٣:x", "x" * 65])
def test_forged_data_reads_as_nothing_rather_than_raising(forged: str | None) -> None:
    read = parse(forged, "al")
    assert read is None or read.number(0) is None


def test_other_area_is_not_this_handlers() -> None:
    assert parse("al:1:ack", "ci") is None


def test_keyboard_markup_is_the_bot_api_shape_and_empty_is_none() -> None:
    kb = Keyboard.of(
        [Button("是", callback("ci", 1, "yes"))], [], [Button("帮助", url="https://x")]
    )
    assert kb.markup() == {
        "inline_keyboard": [
            [{"text": "是", "callback_data": "ci:1:yes"}],
            [{"text": "帮助", "url": "https://x"}],
        ]
    }
    assert Keyboard().markup() is None
    assert not Keyboard.of([])


def test_outbox_message_carries_the_keyboard() -> None:
    row = message("k", Lane.ALERT, 7, "hi", keyboard=Keyboard.column([Button("a", "x:1")]))
    assert row.method == "sendMessage"
    assert row.payload == {
        "text": "hi",
        "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x:1"}]]},
    }
    assert message("k", Lane.BULK, 7, "hi").payload == {"text": "hi"}


def test_a_used_button_goes_and_its_emptied_row_with_it() -> None:
    kb = Keyboard.of(
        [Button("发热", callback("al", 1, "call"))],
        [Button("症状", callback("al", 2, "call")), Button("帮助", url="https://x")],
    )
    assert kb.without("al:1:call") == Keyboard.of(kb.rows[1])
    help_only = Keyboard.of([Button("帮助", url="https://x")])
    assert kb.without("al:1:call").without("al:2:call") == help_only
    assert kb.without("nothing") == kb
    assert not Keyboard.of([Button("x", "al:1:call")]).without("al:1:call")


def test_a_shown_keyboard_reads_back_as_the_keyboard_that_made_it() -> None:
    kb = Keyboard.of(
        [Button("中文", callback("lang", "zh-CN")), Button("English", callback("lang", "en"))],
        [Button("帮助", url="https://x")],
    )
    assert shown_keyboard(markup(kb)) == kb
    assert shown_keyboard(None) == Keyboard()


@pytest.mark.parametrize(
    ("data", "language"),
    [
        ("lang:zh-CN", "zh-CN"),
        ("lang:en", "en"),
        ("lang:fr", None),
        ("lang:en:x", None),
        ("lang:", None),
        ("ci:en", None),
        (None, None),
    ],
)
def test_a_language_button_names_only_a_language_we_speak(
    data: str | None, language: str | None
) -> None:
    assert chosen(data) == language
