"""Notice management follows the author's current scope: a teacher moved to another class no
longer lists, reads the receipts of, reminds or withdraws the old class's notice."""

from __future__ import annotations

from bot.notices import sending
from bot.notices.audience import Audience
from bot.notices.receipts import RECENT_LIMIT
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import class_id, viewer_of


async def test_moved_teacher_no_longer_manages_the_old_class_notice(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await harness.onboard("S001", user_id=USER_IDS["S001"])
    queued = await sending.queue_notice(
        harness.svc,
        Audience("class", class_id=await class_id(harness, "初二(3)班")),
        "明天上午九点线上班会",
        needs_confirmation=True,
        author=await viewer_of(harness, "T01"),
    )
    await harness.delivered()
    mark = harness.api.mark()
    await teacher.send_text("/notices")
    listed = await teacher.wait_for_message(since=mark)
    assert "线上班会" in listed["text"]

    moved = STAFF_CSV.replace(
        "T01,王老师,城关一中,teacher,初二(3)班", "T01,王老师,城关一中,teacher,初二(4)班"
    )
    await harness.seed(staff_csv=moved)
    mark = harness.api.mark()
    await teacher.send_text("/notices")
    listed = await teacher.wait_for_message(since=mark)
    assert listed["text"] == harness.svc.catalog.t("zh-CN", "notices.list_empty")
    refused = harness.svc.catalog.t("zh-CN", "notices.not_found")
    for verb in ("rep", "rem", "wd", "xlsx"):
        message = teacher.last_message
        assert message is not None
        query = await teacher.press(message["message_id"], f"nt:{queued.notice_id}:{verb}")
        answer = await teacher.answered(query)
        assert answer["text"] == refused, verb
    row = await harness.svc.db.fetchone(
        "SELECT withdrawn_at, reminders FROM notices WHERE id = ?", (queued.notice_id,)
    )
    assert row is not None and tuple(row) == (None, 0)


async def test_notices_lists_the_latest_in_scope_behind_newer_ones_out_of_it(
    harness: Harness,
) -> None:
    """The newest notices the teacher wrote lie outside their classes now; /notices still lists
    the older one they still manage instead of coming back empty."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    to_fourth = STAFF_CSV.replace(
        "T01,王老师,城关一中,teacher,初二(3)班", "T01,王老师,城关一中,teacher,初二(4)班"
    )
    await harness.seed(staff_csv=to_fourth)
    await sending.queue_notice(
        harness.svc,
        Audience("class", class_id=await class_id(harness, "初二(4)班")),
        "四班家长会改到周五",
        author=await viewer_of(harness, "T01"),
    )
    await harness.seed(staff_csv=STAFF_CSV)
    third = Audience("class", class_id=await class_id(harness, "初二(3)班"))
    for n in range(RECENT_LIMIT):
        await sending.queue_notice(
            harness.svc, third, f"三班第{n}号通知", author=await viewer_of(harness, "T01")
        )
    await harness.seed(staff_csv=to_fourth)
    await harness.delivered()

    mark = harness.api.mark()
    await teacher.send_text("/notices")
    listed = await teacher.wait_for_message(since=mark)
    assert "四班家长会" in listed["text"]
    assert "三班第" not in listed["text"]
