"""Third-party findings through the service on both engines: assigned, fed back late and rectified
late; swept to 逾期未反馈 at a fixed time; an illegal action refused naming the allowed ones; a
rejected appeal returning to where it was; and the same life through the command and the API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from kaoping.app import create_app
from kaoping.cli.main import app
from kaoping.db.cases import SqlCaseUnitOfWork
from kaoping.db.tables import finding_transition
from kaoping.domain.cases import IllegalTransitionError
from kaoping.domain.errors import NotFoundError
from kaoping.domain.findings import FindingAction, FindingStatus
from kaoping.domain.ids import FindingId, PersonId
from kaoping.services.findings import (
    FindingAlreadyRecordedError,
    act_on_finding,
    finding_history,
    get_finding_file,
    record_finding_for,
    sweep_overdue,
)
from kaoping.settings import Settings, get_settings
from tests.integration.test_cases_db import add_problem, seed_world

TZ = ZoneInfo("Asia/Shanghai")
A, S = FindingAction, FindingStatus
ACTOR = PersonId(1)


# --- factories -------------------------------------------------------------------------------------


@pytest.fixture
def world(clean_engine: Engine) -> tuple[Engine, dict[str, int]]:
    with clean_engine.begin() as conn:
        ids = seed_world(conn)
    return clean_engine, ids


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def new_finding(engine: Engine, ids: dict[str, int], found: str = "2025-03-03T09:00") -> FindingId:
    with engine.begin() as conn:
        problem_id = add_problem(conn, ids, at(found))
    return record_finding_for(SqlCaseUnitOfWork(engine), problem_id, at(found)).id


def act(engine: Engine, finding_id: FindingId, action: FindingAction, when: str, **kw: object):  # type: ignore[no-untyped-def]
    return act_on_finding(SqlCaseUnitOfWork(engine), finding_id, action, actor=ACTOR, at=at(when), **kw)


def assigned(engine: Engine, ids: dict[str, int], due: str) -> FindingId:
    finding_id = new_finding(engine, ids)
    act(engine, finding_id, A.ASSIGN, "2025-03-03T10:00", deadline=at(due))
    return finding_id


def steps(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(finding_transition)).scalar_one())


# --- the service -----------------------------------------------------------------------------------


def test_a_finding_fed_back_after_its_deadline_is_rectified_late_once_reviewed(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    finding_id = assigned(engine, ids, "2025-03-05T18:00")
    fed_back = act(engine, finding_id, A.FEED_BACK, "2025-03-05T18:30", attachments=["整改后.jpg"])
    reviewed = act(engine, finding_id, A.PASS_REVIEW, "2025-03-06T09:00")
    record = get_finding_file(SqlCaseUnitOfWork(engine), finding_id)
    assert (fed_back.to_status, reviewed.to_status) == (S.FEEDBACK_LATE, S.RECTIFIED_LATE)
    assert record.finding.status is S.RECTIFIED_LATE
    assert (record.finding.fed_back_at, record.finding.reviewed_at) == (
        at("2025-03-05T18:30"), at("2025-03-06T09:00"),
    )  # fmt: skip
    assert [t.action for t in record.history] == [A.ASSIGN, A.FEED_BACK, A.PASS_REVIEW]
    assert record.history[0].deadline == at("2025-03-05T18:00")
    assert record.history[1].attachments == ("整改后.jpg",)
    assert finding_history(SqlCaseUnitOfWork(engine), finding_id) == record.history


def test_the_sweep_marks_only_findings_past_their_deadline_plus_grace_as_the_system(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    late = assigned(engine, ids, "2025-03-05T18:00")
    within_grace = assigned(engine, ids, "2025-03-06T08:00")
    not_due = assigned(engine, ids, "2025-03-07T18:00")
    marked = sweep_overdue(SqlCaseUnitOfWork(engine), at("2025-03-06T09:00"), timedelta(hours=2))
    assert [(t.finding_id, t.to_status, t.actor) for t in marked] == [(late, S.OVERDUE_NO_FEEDBACK, None)]
    uow = SqlCaseUnitOfWork(engine)
    statuses = [get_finding_file(uow, f).finding.status for f in (late, within_grace, not_due)]
    assert statuses == [S.OVERDUE_NO_FEEDBACK, S.ASSIGNED, S.ASSIGNED]
    assert get_finding_file(uow, late).finding.marked_overdue_at == at("2025-03-06T09:00")
    assert sweep_overdue(uow, at("2025-03-06T09:00"), timedelta(hours=2)) == []  # a second run: nothing


def test_an_illegal_action_is_refused_naming_the_allowed_ones_and_stores_nothing(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    finding_id = new_finding(engine, ids)
    before = steps(engine)
    with pytest.raises(IllegalTransitionError, match="不能执行「复核通过」; 可执行: 交办、申诉"):
        act(engine, finding_id, A.PASS_REVIEW, "2025-03-03T10:00")
    assert steps(engine) == before
    assert get_finding_file(SqlCaseUnitOfWork(engine), finding_id).finding.status is S.FOUND


def test_a_rejected_appeal_returns_the_finding_to_the_status_it_was_appealed_from(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    finding_id = assigned(engine, ids, "2025-03-05T18:00")
    act(engine, finding_id, A.APPEAL, "2025-03-04T09:00", reason="该处不属本单位养护范围")
    rejected = act(engine, finding_id, A.REJECT_APPEAL, "2025-03-04T15:00", reason="养护范围图显示属本单位")
    item = get_finding_file(SqlCaseUnitOfWork(engine), finding_id).finding
    assert (rejected.from_status, rejected.to_status) == (S.APPEALED, S.ASSIGNED)
    assert (item.status, item.appealed_from, item.rectify_deadline_at) == (
        S.ASSIGNED, None, at("2025-03-05T18:00"),
    )  # fmt: skip


def test_a_second_finding_for_a_problem_and_a_finding_for_no_problem_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    finding_id = new_finding(engine, ids)
    problem_id = get_finding_file(SqlCaseUnitOfWork(engine), finding_id).finding.problem_id
    with pytest.raises(FindingAlreadyRecordedError, match="不能重复登记"):
        record_finding_for(SqlCaseUnitOfWork(engine), problem_id, at("2025-03-03T09:00"))
    with pytest.raises(NotFoundError, match="问题"):
        record_finding_for(SqlCaseUnitOfWork(engine), problem_id + 1000, at("2025-03-03T09:00"))


# --- the command and the API -----------------------------------------------------------------------


def run(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    get_settings.cache_clear()  # settings are read once per process; this run has its own URL
    try:
        return CliRunner().invoke(app, list(args), env={"KAOPING_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_the_commands_assign_sweep_feed_back_show_and_refuse_in_chinese(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    fid = str(new_finding(engine, ids))
    assigning = run(engine, "finding", "act", fid, "交办", "--actor", "1", "--at", "2025-03-03T10:00",
                    "--deadline", "2025-03-05T18:00")  # fmt: skip
    assert assigning.exit_code == 0, assigning.output
    assert "已发现(待交办) → 已交办(整改中)" in assigning.output
    swept = run(engine, "finding", "sweep", "--at", "2025-03-06T09:00", "--grace-hours", "1", "--json")
    assert [t["to_status"] for t in json.loads(swept.output)["marked"]] == ["overdue_no_feedback"]
    refused = run(engine, "finding", "act", fid, "pass_review", "--actor", "1", "--at", "2025-03-06T10:00")
    assert refused.exit_code == 1
    assert "可执行: 整改反馈" in refused.output
    fed = run(engine, "finding", "act", fid, "feed_back", "--actor", "1", "--at", "2025-03-06T10:00",
              "--attach", "整改后.jpg", "--json")  # fmt: skip
    assert json.loads(fed.output)["to_status"] == "feedback_late", fed.output
    shown = json.loads(run(engine, "finding", "show", fid, "--json").output)
    assert (shown["status"], shown["marked_overdue_at"]) == ("feedback_late", "2025-03-06T01:00:00+00:00")
    assert [(h["action"], h["actor"]) for h in shown["history"]] == [
        ("assign", 1), ("mark_overdue", None), ("feed_back", 1),
    ]  # fmt: skip


def test_the_api_acts_on_a_finding_and_answers_409_naming_the_allowed_actions(world) -> None:  # type: ignore[no-untyped-def]
    engine, ids = world
    finding_id = new_finding(engine, ids)
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url))) as client:
        body = {"action": "assign", "actor": 1, "at": "2025-03-03T10:00:00+08:00"}
        refused = client.post(f"/api/v1/findings/{finding_id}/actions", json=body)
        assert refused.status_code == 422, refused.text  # 交办 without a deadline
        body["deadline"] = "2025-03-05T18:00:00+08:00"
        answer = client.post(f"/api/v1/findings/{finding_id}/actions", json=body)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["history"][0]["action_label"]) == ("assigned", "交办")
        illegal = client.post(f"/api/v1/findings/{finding_id}/actions", json=body)
        assert illegal.status_code == 409
        assert "可执行: 整改反馈、标记逾期未反馈、申诉" in illegal.json()["detail"]
        assert client.get(f"/api/v1/findings/{finding_id}").json()["rectify_deadline_at"] is not None
        assert client.get("/api/v1/findings/99999").status_code == 404
