"""The team page and the inbox's saved filters (Flask test client), as the API would answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pathways.base import clock
from pathways.core import services
from pathways.store.models import HumanTask, SavedFilter, Substitution
from pathways.tasks import accounts, work
from tests.e2e.api_fixtures import PASSWORD, _template_db, api_app  # noqa: F401 - fixtures
from tests.e2e.test_api_tasks import THREE, start
from tests.e2e.test_web_session import csrf, sign_in


@pytest.fixture
def web(api_app):  # noqa: F811 - fixture
    pathways = services(api_app)
    accounts.create_user(pathways.store, pathways.roles, "zofia.ops", "mops-bartoszyce", ["ops.social_worker"],
                         PASSWORD, "Zofia", check_policy=False)
    return api_app.test_client()


def _claimed_by_anna(app, count=2):  # type: ignore[no-untyped-def]
    pathways = services(app)
    tasks = []
    with pathways.store.unit_of_work(write=False) as uow:
        from pathways.store.models import User
        anna = uow.session.scalars(select(User).where(User.username == "anna.ops")).one()
        _ = anna.roles, anna.agency
    for i in range(count):
        case = start(app, f"BEN-W{i}", [*THREE, "partnership"])
        with pathways.store.unit_of_work(write=False) as uow:
            task = uow.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case)).one()
        work.claim(pathways.engine, anna, task)
        tasks.append(task)
    return tasks


def _claimer(app, task):  # type: ignore[no-untyped-def]
    with services(app).store.unit_of_work(write=False) as uow:
        from pathways.store.models import User
        return uow.session.scalar(select(User.username).join(HumanTask, HumanTask.claimed_by == User.id)
                                  .where(HumanTask.id == task))


def test_a_supervisor_sees_the_plan_then_applies_it(web, api_app):  # noqa: F811
    tasks = _claimed_by_anna(api_app)
    sign_in(web, "teresa.sup")
    token = csrf(web, "/team")
    plan = web.post("/team/reassign", data={"source": "anna.ops", "target": "zofia.ops", "csrf_token": token})
    page = plan.get_data(as_text=True)
    assert plan.status_code == 200 and all(f"/tasks/{t}" in page for t in tasks)
    assert 'name="apply" value="1"' in page and _claimer(api_app, tasks[0]) == "anna.ops"
    done = web.post("/team/reassign", data={"source": "anna.ops", "target": "zofia.ops", "apply": "1",
                                            "csrf_token": token})
    assert done.status_code == 200 and 'name="apply"' not in done.get_data(as_text=True)
    assert [_claimer(api_app, t) for t in tasks] == ["zofia.ops", "zofia.ops"]


def test_a_case_worker_gets_no_handover_form_and_is_refused(web, api_app):  # noqa: F811
    _claimed_by_anna(api_app, 1)
    sign_in(web, "piotr.ops")
    page = web.get("/team").get_data(as_text=True)
    assert "/team/reassign" not in page
    refused = web.post("/team/reassign", data={"source": "anna.ops", "to_queue": "1", "apply": "1",
                                               "csrf_token": csrf(web, "/team")})
    assert refused.status_code == 403


def test_naming_and_ending_a_substitute(web, api_app):  # noqa: F811
    sign_in(web, "anna.ops")
    token = csrf(web, "/team")
    now = clock.now().astimezone().strftime("%Y-%m-%dT%H:%M")
    later = (clock.now().astimezone().replace(year=clock.now().year + 1)).strftime("%Y-%m-%dT%H:%M")
    other_agency = web.post("/team/substitutes", data={"substitute": "marek.ngo", "starts_at": now,
                                                       "ends_at": later, "csrf_token": token})
    assert other_agency.status_code == 302
    with services(api_app).store.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(Substitution)).all() == []
    web.post("/team/substitutes", data={"substitute": "zofia.ops", "starts_at": now, "ends_at": later[:4] + now[4:],
                                        "csrf_token": token})
    page = web.get("/team").get_data(as_text=True)
    assert "zofia.ops" in page and "/end" in page
    with services(api_app).store.unit_of_work(write=False) as uow:
        [made] = uow.session.scalars(select(Substitution)).all()
    assert web.post(f"/team/substitutes/{made.id}/end", data={"csrf_token": token}).status_code == 302
    sign_in(web, "marek.ngo")
    assert web.post(f"/team/substitutes/{made.id}/end", data={"csrf_token": csrf(web, "/team")}).status_code == 404


def test_saving_sharing_and_claiming_through_a_filter(web, api_app):  # noqa: F811
    start(api_app, "BEN-F1")
    sign_in(web, "anna.ops")
    saved = web.post("/inbox/filters", data={"name": "Moje przyjęcia", "role": "ops.social_worker",
                                             "view": "unclaimed", "shared": "1", "csrf_token": csrf(web, "/inbox")})
    assert saved.status_code == 302 and "saved=" in saved.headers["Location"]
    with services(api_app).store.unit_of_work(write=False) as uow:
        [row] = uow.session.scalars(select(SavedFilter)).all()
    sign_in(web, "zofia.ops")
    page = web.get("/inbox").get_data(as_text=True)
    assert "Moje przyjęcia" in page
    filtered = web.get(f"/inbox?role=ops.social_worker&view=unclaimed&saved={row.id}").get_data(as_text=True)
    assert f"/inbox/filters/{row.id}/claim" in filtered and f"/inbox/filters/{row.id}/delete" not in filtered
    assert web.post(f"/inbox/filters/{row.id}/delete", data={"csrf_token": csrf(web, "/inbox")}).status_code == 403
    claimed = web.post(f"/inbox/filters/{row.id}/claim", data={"csrf_token": csrf(web, "/inbox")})
    assert claimed.status_code == 302
    assert web.get("/inbox?view=unclaimed&role=ops.social_worker").get_data(as_text=True).count('scope="row"') == 0
    sign_in(web, "marek.ngo")
    assert "Moje przyjęcia" not in web.get("/inbox").get_data(as_text=True)
    assert web.post(f"/inbox/filters/{row.id}/claim", data={"csrf_token": csrf(web, "/inbox")}).status_code == 404


def test_the_dashboard_lists_disabled_accounts_claims(web, api_app):  # noqa: F811
    _claimed_by_anna(api_app, 1)
    accounts.set_active(services(api_app).store, "anna.ops", False, by="test")
    sign_in(web, "teresa.sup")
    page = web.get("/supervisor").get_data(as_text=True)
    assert 'id="disabled-title"' in page and "(anna.ops): 1" in page


def test_the_timeline_names_both_after_work_on_behalf(web, api_app):  # noqa: F811
    from datetime import timedelta

    from pathways.tasks import substitutes

    [task] = _claimed_by_anna(api_app, 1)
    pathways = services(api_app)
    with pathways.store.unit_of_work(write=False) as uow:
        from pathways.store.models import User
        anna, zofia = (uow.session.scalars(select(User).where(User.username == n)).one()
                       for n in ("anna.ops", "zofia.ops"))
        _ = anna.roles, zofia.roles, zofia.agency
        case_id = uow.session.get(HumanTask, task).case_id  # type: ignore[union-attr]
    substitutes.name_substitute(pathways.store, anna, "anna.ops", "zofia.ops", clock.now(),
                                clock.now() + timedelta(days=1))
    work.complete(pathways.engine, zofia, task, {"intake_date": "2026-11-02"})
    sign_in(web, "zofia.ops")
    page = web.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Wykonano w zastępstwie anna.ops" in page
