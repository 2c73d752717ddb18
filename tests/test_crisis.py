"""Crisis screening against the labelled development set, and its edge cases."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench import crisis_train
from bot.safeguarding import model as crisis_model
from bot.safeguarding import screen as crisis
from bot.safeguarding.screen import Category, CrisisHit, screen_text

DATA = Path(__file__).parent / "data" / "crisis_dev.tsv"
MIN_RECALL = 0.90
MAX_FALSE_POSITIVE_RATE = 0.05
NONE_CATEGORIES = {
    "hyperbole",
    "missing",
    "commerce",
    "topic",
    "medicine",
    "negation",
    "farewell_reason",
    "game",
    "everyday",
}


def labelled() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


ROWS = labelled()
SIGNS = [row["text"] for row in ROWS if row["tier"] != "none"]


def test_development_set_is_large_varied_and_well_formed() -> None:
    assert list(ROWS[0]) == ["tier", "category", "style", "lang", "text"]
    assert len(ROWS) >= 800
    assert len({row["text"] for row in ROWS}) == len(ROWS), "duplicate sentences"
    tiers = Counter(row["tier"] for row in ROWS)
    assert set(tiers) == {"urgent", "concern", "none"}
    assert 0.35 <= tiers["urgent"] / len(ROWS) <= 0.50
    assert tiers["concern"] / len(ROWS) >= 0.10
    assert tiers["none"] / len(ROWS) >= 0.40
    urgent = set(get_args(Category)) - {"distress"} | {"peer"}
    for row in ROWS:
        allowed = {"urgent": urgent, "concern": {"distress"}, "none": NONE_CATEGORIES}
        assert row["category"] in allowed[row["tier"]], row
        assert row["style"] in {"plain", "obfuscated", "buried", "checkin", "mixed"}, row
        assert row["lang"] in {"zh", "en", "mixed"}, row
    per_category = Counter(row["category"] for row in ROWS if row["tier"] != "none")
    assert min(per_category.values()) >= 25, per_category
    styles = Counter(row["style"] for row in ROWS if row["tier"] != "none")
    assert min(styles.values()) >= 15, styles


def test_development_set_recall_and_false_positives() -> None:
    others = [row["text"] for row in ROWS if row["tier"] == "none"]
    missed = [text for text in SIGNS if screen_text(text) is None]
    false_alarms = [text for text in others if screen_text(text) is not None]
    recall = 1 - len(missed) / len(SIGNS)
    fpr = len(false_alarms) / len(others)
    figures = (
        f"dev set: {len(ROWS)} messages, recall {recall:.3f} ({len(missed)} of {len(SIGNS)}"
        f" missed), false-positive rate {fpr:.3f} ({len(false_alarms)} of {len(others)})"
    )
    print(figures)
    assert recall >= MIN_RECALL, f"{figures}; missed: {missed}"
    assert fpr <= MAX_FALSE_POSITIVE_RATE, f"{figures}; false alarms: {false_alarms}"


def test_urgent_messages_are_urgent_and_peers_are_reports() -> None:
    urgent = [row for row in ROWS if row["tier"] == "urgent"]
    demoted = [
        row["text"]
        for row in urgent
        if (hit := screen_text(row["text"])) is None or (hit.tier != "urgent")
    ]
    assert len(demoted) / len(urgent) <= 0.05, demoted
    peers = [row["text"] for row in urgent if row["category"] == "peer"]
    not_reports = [text for text in peers if (hit := screen_text(text)) and hit.about != "other"]
    assert len(not_reports) / len(peers) <= 0.10, not_reports


def test_detected_language_matches_the_label() -> None:
    wrong = [
        (row["lang"], row["text"])
        for row in ROWS
        if row["tier"] != "none"
        and row["lang"] != "mixed"
        and (hit := screen_text(row["text"])) is not None
        and hit.language != row["lang"]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我不想死", None),
        ("我没有想自杀", None),
        ("我从来没想过自杀", None),
        ("I don't want to die", None),
        ("I'm not suicidal", None),
        ("I would never kill myself", None),
        ("我不想活了", CrisisHit("passive_wish", "zh")),
        ("有时候觉得死了算了", CrisisHit("passive_wish", "zh")),
        ("我在想要不要跳楼", CrisisHit("plan", "zh")),
        ("i don't want to be alive anymore", CrisisHit("passive_wish", "en")),
        ("im not ok i want to die", CrisisHit("passive_wish", "en")),
        ("nobody would care if i was gone", CrisisHit("burden", "en")),
        ("i dont wanna live anymore", CrisisHit("passive_wish", "en")),
        ("i dont wanna live in this tiny room forever", None),
    ],
)
def test_negation_of_the_wish_but_not_of_living(text: str, expected: CrisisHit | None) -> None:
    assert screen_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "笑死我了",
        "累死了",
        "热死了",
        "死机了",
        "想死你们了",
        "this homework is killing me",
        "dying to see my friends",
        "I could kill for a pizza",
        "the phone died",
        "killing time",
        "my grandpa wanted to die at home",
        "电影里的主角最后自杀了",
        "we had a suicide prevention talk",
        "我们班今天讲了防自杀的心理课",
        "电视剧里的女主跳河了",
    ],
)
def test_idioms_and_other_peoples_deaths_do_not_fire(text: str) -> None:
    assert screen_text(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我朋友想自杀", CrisisHit("ideation", "zh", "other")),
        ("我同桌昨天跟我说，她想死", CrisisHit("passive_wish", "zh", "other")),
        ("我同学说她不想活了", CrisisHit("passive_wish", "zh", "other")),
        ("我妹妹说她想消失", CrisisHit("distress", "zh", "other")),
        ("my friend wants to die", CrisisHit("passive_wish", "en", "other")),
        ("my friend said she wants to kill herself", CrisisHit("ideation", "en", "other")),
        ("my friend told me she cuts herself", CrisisHit("self_harm", "en", "other")),
        ("I told my friend I want to die", CrisisHit("passive_wish", "en", "self")),
        ("同学都不理我想死", CrisisHit("passive_wish", "zh", "self")),
        # Not a report about a peer: a stranger, a story, a negation, an idiom, an accident.
        ("他想死", None),
        ("she wants to die", None),
        ("我朋友不想死", None),
        ("my friend doesn't want to die", None),
        ("我朋友想死你们了", None),
        ("my friend fell and cut herself", None),
        ("our history lesson was about a king who killed himself", None),
        ("my friend showed me a movie where the hero kills himself", None),
        ("朋友推荐的小说里主角自杀了", None),
    ],
)
def test_a_peer_at_risk_is_a_report_about_someone_else(
    text: str, expected: CrisisHit | None
) -> None:
    assert screen_text(text) == expected


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ＫＭＳ", "ideation"),
        ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "passive_wish"),
        ("我想自殺", "ideation"),
        ("活著沒有意義", "burden"),
        ("我又自殘了", "self_harm"),
        ("想 自 杀", "ideation"),
        ("想…死", "passive_wish"),
        ("I Want To DIE", "passive_wish"),
        ("I WANNA DIEEEE", "passive_wish"),
        ("want 2 die", "passive_wish"),
        ("k m s", "ideation"),
        ("su1c1de", "ideation"),
        ("unalive", "ideation"),
        ("想si", "passive_wish"),
        ("i want to kill my\u200bself", "ideation"),
    ],
)
def test_full_width_traditional_spacing_case_and_spelling(text: str, category: str) -> None:
    hit = screen_text(text)
    assert hit is not None and hit.category == category


def test_categories() -> None:
    assert screen_text("I cut myself again") == CrisisHit("self_harm", "en")
    assert screen_text("我把安眠药吃了一瓶") == CrisisHit("overdose", "zh")
    assert screen_text("i took all my sleeping pills") == CrisisHit("overdose", "en")
    assert screen_text("割腕") == CrisisHit("self_harm", "zh")
    assert screen_text("I want to end it all") == CrisisHit("ideation", "en")
    assert screen_text("昨晚又用刀片划手了") == CrisisHit("self_harm", "zh")
    # Someone else's medicine, hoarded by the student: the owner is not the one who acts.
    assert screen_text("我把妈妈的药都偷偷攒起来了") == CrisisHit("plan", "zh")


def test_empty_and_punctuation_only() -> None:
    assert screen_text("") is None
    assert screen_text("。。。!!!???") is None


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    hit = screen_text(text)
    assert hit is None or isinstance(hit, CrisisHit)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("死" * 10_000)
@example("想" * 9_999 + "死")
@given(st.text(min_size=1, max_size=40).map(lambda chunk: (chunk * 10_000)[:10_000]))
def test_never_raises_on_10000_characters(text: str) -> None:
    assert len(text) == 10_000
    hit = screen_text(text)
    assert hit is None or isinstance(hit, CrisisHit)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.text(), sentence=st.sampled_from(SIGNS), after=st.text())
def test_a_crisis_line_is_found_whatever_surrounds_it(
    before: str, sentence: str, after: str
) -> None:
    """Negation, subjects and idioms are read within the clause, so other lines change nothing."""
    if screen_text(sentence) is not None:
        assert screen_text(f"{before}\n{sentence}\n{after}") is not None


@pytest.mark.parametrize(
    "text",
    [
        "啊" * 9_000 + "我不想活了",
        "a " * 20_000 + "i want to die",
        "不" * 10_000 + "\n想死",
        "s" * 10_000 + "u" * 10_000 + "icide " + "want to" * 3_000 + "\nkms",
        ("my " * 5_000) + "\nkill myself",
    ],
)
def test_long_adversarial_input_is_screened_to_the_end(text: str) -> None:
    assert screen_text(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "a " * 20_000,
        "不想" * 5_000,
        "想死你" * 5_000,
        "s*" * 10_000,
        "k m " * 10_000,
        "d1" * 10_000,
        "he wants to die " * 2_000,
    ],
)
def test_long_repetitive_input_finishes(text: str) -> None:
    """Each of these would take minutes if any pattern backtracked catastrophically."""
    screen_text(text)


@pytest.mark.parametrize(
    ("text", "category", "about"),
    [
        ("36.8，没咳嗽，就是觉得活着没意思", "burden", "self"),
        ("今天的饭还行。宿舍窗户能打开，我看了好几次，五楼应该够了", "plan", "self"),
        ("刀片我已经准备好了，今晚", "plan", "self"),
        ("要是我没出生就好了", "passive_wish", "self"),
        ("希望这次病能把我带走算了", "passive_wish", "self"),
        ("我刚刚把一整板布洛芬都吃了", "overdose", "self"),
        ("手臂上的伤口我一直用袖子遮着", "self_harm", "self"),
        ("以后你们就不用担心我了", "finality", "self"),
        ("我的游戏账号密码发给你了，以后归你了", "finality", "self"),
        ("我活着只会给别人添麻烦", "burden", "self"),
        ("好想消失啊", "distress", "self"),
        ("我室友说她想自杀，怎么办", "ideation", "other"),
        ("我哥把自己的东西都送人了，还说以后不用管他了", "finality", "other"),
        ("i've picked a date. saturday", "plan", "self"),
        ("you won't need to worry about me anymore", "finality", "self"),
        ("my roommate has cuts all over her arms", "self_harm", "other"),
        ("a guy in my class said he is going to jump off the roof tonight", "plan", "other"),
        ("my friend sent me a message saying this is goodbye", "finality", "other"),
        ("我 bestie 说她想 kms，是认真的", "ideation", "other"),
        ("i feel so hopeless", "distress", "self"),
    ],
)
def test_each_warning_sign_anywhere_in_the_message(text: str, category: str, about: str) -> None:
    hit = screen_text(text)
    assert hit is not None
    assert (hit.category, hit.about) == (category, about)
    assert hit.tier == ("concern" if category == "distress" else "urgent")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("想zs", "ideation"),
        ("我想紫砂了", "ideation"),
        ("最近一直想自s", "ideation"),
        ("我想鼠了", "ideation"),
        ("好想s啊，真的", "passive_wish"),
        ("唔想活喇，好攰", "passive_wish"),
        ("我真係想死咗佢算", "ideation"),
        ("我準備好繩子了", "plan"),
        ("今晚🔪", "plan"),
        ("又划了🩸🩸", "self_harm"),
        ("thinking about sewerslide again", "ideation"),
        ("ready for game end irl", "ideation"),
        ("i w@nt to d1e", "passive_wish"),
        ("i want to k.i.l.l myself", "ideation"),
        ("got the 🪢 ready", "plan"),
        ("想unalive自己", "ideation"),
    ],
)
def test_slang_initials_cantonese_and_emoji(text: str, category: str) -> None:
    hit = screen_text(text)
    assert hit is not None and hit.category == category


@pytest.mark.parametrize(
    "text",
    [
        "楼下超市跳楼价甩卖零食",
        "妈妈买了一个紫砂壶泡茶",
        "想死你们了，隔离结束第一件事就是找你们吃饭",
        "好想你们啊，想死了",
        "发烧了，吃了两片布洛芬",
        "吃鸡的时候跳楼那个房子最好搜",
        "原神抽卡又歪了，想死",
        "这是我最后一次打卡了，明天就解除隔离啦",
        "我要转学了，我的书都送给同桌了，以后用不着了",
        "生物课讲细胞凋亡，原来细胞会自杀",
        "无聊到爆，想死的心都有了哈哈，快让我出去玩",
        "goodbye everyone, i'm moving to shanghai next week",
        "my essay is about how social media affects teen self harm",
        "took two ibuprofen for my headache",
        "i died like 20 times in elden ring today",
    ],
)
def test_look_alikes_stay_quiet(text: str) -> None:
    assert screen_text(text) is None


def test_the_gravest_sign_of_a_message_is_named() -> None:
    hit = screen_text("我好绝望。昨晚又割了，穿长袖没人看出来")
    assert hit is not None and hit.category == "self_harm"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("我 想 自 殺", "自 殺"),
        ("想…死", "想…死"),
        ("我準備好繩子了", "準備好繩子"),
        ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "ｗａｎｔ ｔｏ ｄｉｅ"),
        ("k m s", "k m s"),
        ("I WANNA DIEEEE", "WANNA DIE"),
        ("su1c1de", "su1c1de"),
        ("i want to kill my\u200bself", "kill my\u200bself"),
        ("36.8，没咳嗽，就是觉得活著沒意思", "活著沒意思"),
        ("今天网课讲了三角函数。有时候真希望睡着了就别再醒过来", "希望睡着了就别再醒"),
    ],
)
def test_span_is_what_the_student_wrote(text: str, span: str) -> None:
    hit = screen_text(text)
    assert hit is not None
    assert hit.span == span
    assert hit.span in text


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("我 想 ～ 自 ※ 殺 了")
@example("ＩＷＡＮＴＴＯＤＩＥ\ufb01")
def test_span_is_always_a_substring_of_the_original(text: str) -> None:
    hit = screen_text(text)
    if hit is not None:
        assert hit.span and hit.span in text
        assert len(hit.span) <= 80


def test_shipped_model_was_trained_on_the_data_in_the_repository() -> None:
    """Anyone who changes a training file or how a clause becomes features must retrain:
    `python -m bench.crisis_train --write`."""
    model = crisis_model.load()
    assert model.version == crisis_train.data_hash(crisis_train.training_files())
    assert model.classes == crisis_model.CLASSES
    assert 0 < model.threshold < 1 and 0 <= model.lexicon_floor < 1
    assert len(model.index) == model.weights.shape[0] > 1000


def test_training_is_deterministic() -> None:
    rows = [row for path in crisis_train.training_files() for row in crisis_train.read(path)]
    sample = rows[::25]
    first = crisis_train.fit(sample, "v", 0.5, 0.1).packed()
    assert first == crisis_train.fit(sample, "v", 0.5, 0.1).packed()
    again = crisis_model.Model.from_json(gzip.decompress(first).decode())
    assert again.to_json() == crisis_model.Model.from_json(again.to_json()).to_json()


@pytest.mark.parametrize(
    ("text", "category", "span"),
    [
        (
            "honestly everyone would be fine if i just wasnt around. "
            "like they wouldnt even notice",
            "passive_wish",
            "honestly everyone would be fine if i just wasnt around",
        ),
        (
            "i keep thinking about how nice it would be to just not wake up tmr",
            "passive_wish",
            "i keep thinking about how nice it would be to just not wake up tmr",
        ),
        (
            "晚饭吃了饺子，体温36.5。我觉得自己活着就是浪费空气",
            "burden",
            "我觉得自己活着就是浪费空气",
        ),
    ],
)
def test_the_model_finds_signs_no_phrase_names(text: str, category: str, span: str) -> None:
    """Written for this test, in none of the training sets, and missed by the lexicon alone."""
    assert crisis.screen_with(text, None) is None
    hit = screen_text(text)
    assert hit is not None
    assert (hit.category, hit.about, hit.span) == (category, "self", span)


def test_the_model_reads_a_long_message_to_the_end() -> None:
    filler = "今天体温36.6，没有咳嗽，上了两节网课，晚上跟妈妈视频聊了一会儿。" * 20
    hit = screen_text(filler + "我觉得自己活着就是浪费空气")
    assert hit is not None and hit.span == "我觉得自己活着就是浪费空气"
    assert screen_text(filler) is None


@pytest.mark.parametrize(
    "text",
    [
        "数学考砸了，我妈肯定会打死我哈哈",
        "今天终于做完了所有作业，好开心",
        "we watched a documentary about mental health in class today",
    ],
)
def test_the_model_stays_quiet_on_ordinary_days(text: str) -> None:
    assert screen_text(text) is None


READINGS = [f"{tenths / 10:.1f}" for tenths in range(350, 421)] + ["36", "37", "38", "39"]
# How a student types the temperature step, and the plainest check-in notes after a reading.
FORMS = ("{}", "{}度", "{}℃", "{} °C", "{}°", "体温{}", "{}C")
NOTES = ("没有不适", "no symptoms", "有点咳嗽", "有点累", "头疼", "嗓子疼", "流鼻涕", "fine")


def test_a_temperature_reading_is_never_a_sign() -> None:
    """Every reading from 35.0 to 42.0, as typed and with a plain note: a model that learned
    which numbers opened urgent notes in its training sets read "37.0" alone as a wish to die."""
    typed = [form.format(value) for value in READINGS for form in FORMS]
    noted = [f"{value} {note}" for value in READINGS for note in NOTES]
    flagged = [(text, hit.category) for text in typed + noted if (hit := screen_text(text))]
    assert flagged == []
