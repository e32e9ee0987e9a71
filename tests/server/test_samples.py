"""The bundled synthetic samples in the database: `load_samples` through the API's own
services, the first start of `parindex serve` loading them, `--empty` and
`PARINDEX_SAMPLES=off` starting empty, and `parindex samples load`.

The fast tests load two small cohorts (Đắk Lắk's 18 departments and the 10 MIC units,
2023) from a folder laid out like `methodology/bundled`; the whole set (445
submissions) is loaded by the slow ones, by a real server and by the command.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import yaml
from litestar.testing import TestClient
from sqlmodel import col, select

from evaluators import CompiledEngine
from evaluators.runner import rank_path
from methodology import SAMPLE_APPRAISER, load_plan
from server.app import create_app
from server.auth import Principal
from server.errors import Conflict, Unprocessable
from server.models import (
    ApiToken,
    Appraisal,
    AuditEntry,
    Submission,
    SubmissionTransition,
    SurveyImport,
    SurveyScore,
    Unit,
    User,
)
from server.services.samples import (
    SAMPLES_USER,
    SampleError,
    database_is_empty,
    load_on_first_start,
    load_samples,
    sample_documents,
    sample_summary,
)
from server.services.submissions import add_appraisals
from server.settings import Settings
from tests.server.helpers import (
    BUNDLED,
    QUERY,
    SAMPLES,
    add_units,
    appraise_as_sample,
    count,
    db,
    parindex,
    post_submission,
    running_server,
    sample,
)

SMALL = ("daklak-so", "mic-units")


@pytest.fixture(scope="module")
def small_root(tmp_path_factory) -> Path:
    """`methodology/bundled` with only the 2023 sets of Đắk Lắk's departments and the MIC
    units in its plan (the same cohort and submission files)."""
    root = tmp_path_factory.mktemp("samples")
    plan = yaml.safe_load((BUNDLED / "samples.yaml").read_text(encoding="utf-8"))
    plan["sets"] = [
        s
        for s in plan["sets"]
        if s["cohort"] in SMALL and all(p["period"] == 2023 for p in s["periods"])
    ]
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    (root / "cohorts").symlink_to(BUNDLED / "cohorts", target_is_directory=True)
    (root / "submissions").symlink_to(BUNDLED / "submissions", target_is_directory=True)
    return root


def test_the_samples_load_through_the_services_and_rank_as_the_files(
    client, make_user, store, small_root
):
    services = client.app.state.services
    summary = load_samples(services, root=small_root)
    assert summary is not None and summary.synthetic
    assert [(c.cohort, c.methodology, c.periods, c.units) for c in summary.cohorts] == [
        ("daklak-so", "daklak-so", ("2023",), 18),
        ("mic-units", "mic-units", ("2023",), 10),
    ]
    assert (summary.units, summary.submissions, summary.periods) == (28, 28, ("2023",))
    assert sample_summary(services) == summary  # what the home page reads back

    with db(client) as session:
        rows = session.exec(select(Submission)).all()
        assert {r.status for r in rows} == {"appraised"}  # every sample has an appraisal
        assert {r.created_by for r in rows} == {summary.users[0]}
        appraisals = session.exec(select(Appraisal)).all()
        assert {a.by_user for a in appraisals} == {summary.users[1]}
        imports = session.exec(select(SurveyImport)).all()
        assert {(i.methodology, i.period) for i in imports} == {
            ("daklak-so", "2023"),
            ("mic-units", "2023"),
        }
        assert session.exec(select(SurveyScore)).first() is not None
        # Every row is the samples users' work, audited as the API audits it.
        entries = session.exec(select(AuditEntry)).all()
        assert {e.user_id for e in entries} == set(summary.users)
        actions = {e.action for e in entries}
        assert {"unit.create", "submission.create", "submission.submit"} <= actions
        assert {"appraisal.create", "survey.import", "samples.load"} <= actions
        users = {u.id: u for u in session.exec(select(User)).all() if u.id in summary.users}
        assert {u.name for u in users.values()} == {SAMPLES_USER, SAMPLE_APPRAISER}
        assert not any(u.active for u in users.values())  # nobody signs in as them
        assert session.exec(select(ApiToken)).first() is None
    appraised = sum(
        len(yaml.safe_load(path.read_text(encoding="utf-8")).get("appraisal") or {})
        for path in SAMPLES.glob("*.yaml")
    )
    assert count(client, Appraisal) >= appraised

    # Rankings and results of the API: as `parindex rank` ranks the bundled files.
    auditor = make_user("auditor")
    r = client.get("/api/rankings", params=QUERY, headers=auditor)
    assert r.status_code == 200, r.text
    ranking = r.json()
    assert ranking["without_submission"] == []
    assert all(u["index"] is not None for u in ranking["units"])
    assert sorted(u["rank"] for u in ranking["units"] if u["rank"] is not None)[0] == 1
    expected = rank_path(
        store, f"{QUERY['methodology']}@{QUERY['ref']}", SAMPLES, CompiledEngine(), period="2023"
    )
    assert {k: ranking[k] for k in ("note", "bands", "units")} == expected.to_json()
    r = client.post(
        "/api/evaluations",
        json={"cohort": {"id": "mic-units", "period": "2023"}},
        headers=auditor,
    )
    assert r.status_code == 201, r.text
    assert len(r.json()) == 10 and all(Decimal(e["total"]) > 0 for e in r.json())

    # A second load adds nothing.
    before = {model: count(client, model) for model in (Unit, Submission, Appraisal, AuditEntry)}
    assert load_samples(services, root=small_root) is None
    assert load_on_first_start(services) is None  # the database is not empty
    assert {model: count(client, model) for model in before} == before


def test_appraisals_in_one_go_store_what_they_store_one_by_one(client, make_user):
    """The samples record a submission's appraisals in one transaction (`add_appraisals`):
    the rows, revisions, moves and audit entries are those of the same appraisals posted
    one by one, as the council does."""
    admin = make_user("admin")
    add_units(client, admin, only={"so-noi-vu", "so-tu-phap"})
    appraiser = make_user("appraiser")
    same = sample("so-noi-vu")
    content = {k: same.get(k) or {} for k in ("values", "not_applicable", "facts")}
    content["documents"] = sample_documents(same)
    one_by_one = post_submission(client, admin, "so-noi-vu")["id"]
    in_one_go = post_submission(client, admin, "so-tu-phap", **content)["id"]
    bodies = [
        {"key": key, "reason": e["reason"]}
        | ({"points": e["points"]} if "points" in e else {"value": e["value"]})
        for key, e in same["appraisal"].items()
    ]
    assert len(bodies) > 2
    appraise_as_sample(client, appraiser, one_by_one, "so-noi-vu")
    with db(client) as session:
        council = session.exec(select(User).where(User.role == "appraiser")).one()
    made = add_appraisals(
        client.app.state.services,
        Principal(council.id, council.name, "appraiser"),
        in_one_go,
        bodies,
    )
    assert [a["key"] for a in made["appraisals"]] == [b["key"] for b in bodies]
    assert made["submission"]["status"] == "appraised"
    assert made["submission"]["revision"] == 2 + len(bodies)
    assert _stored(client, in_one_go) == _stored(client, one_by_one)


def _stored(client, submission_id: int) -> dict:
    """What the database holds of a submission, without what tells two apart (ids, the
    unit, the times)."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in _NAMES}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
            return value[26:]  # the zone, if any, after the date and time
        return value

    sid = str(submission_id)
    with db(client) as session:
        rows = [
            session.get(Submission, submission_id),
            *session.exec(select(Appraisal).where(Appraisal.submission_id == submission_id)).all(),
            *session.exec(
                select(SubmissionTransition)
                .where(SubmissionTransition.submission_id == submission_id)
                .order_by(col(SubmissionTransition.id))
            ).all(),
        ]
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "submission", AuditEntry.entity_id == sid)
            .order_by(col(AuditEntry.id))
        ).all()
        return plain(
            {
                "rows": [r.model_dump(mode="json") for r in rows if r is not None],
                "audit": [
                    {"user": e.user_id, "action": e.action, "before": e.before, "after": e.after}
                    for e in entries
                ],
            }
        )


_NAMES = {"id", "submission_id", "unit_id", "created_at", "updated_at", "submitted_at", "at"}


def test_a_sample_refused_by_the_services_is_the_apis_error(client, small_root, tmp_path):
    """A sample is checked as a request is: a wrong value is the 422 the API would give."""
    root = tmp_path / "bundled"
    (root / "submissions" / "mic-units" / "2023").mkdir(parents=True)
    plan = yaml.safe_load((small_root / "samples.yaml").read_text(encoding="utf-8"))
    plan["sets"] = [s for s in plan["sets"] if s["cohort"] == "mic-units"]
    (root / "samples.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    (root / "cohorts").symlink_to(BUNDLED / "cohorts", target_is_directory=True)
    _seed, sets = load_plan(root)
    for unit in sets[0].units:
        source = BUNDLED / "submissions" / "mic-units" / "2023" / f"{unit.id}.yaml"
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        if unit.id == sets[0].units[3].id:
            data["values"]["no_such_input"] = 1
        (root / "submissions" / "mic-units" / "2023" / f"{unit.id}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    bad = root / "submissions" / "mic-units" / "2023" / f"{sets[0].units[3].id}.yaml"
    with pytest.raises(SampleError) as raised:
        load_samples(client.app.state.services, root=root)
    assert raised.value.file == bad and str(raised.value).startswith(f"{bad}: ")
    assert isinstance(raised.value.error, Unprocessable)
    assert [e["path"] for e in raised.value.error.errors] == ["$.values.no_such_input"]
    assert "$.values.no_such_input: " in str(raised.value)
    assert sample_summary(client.app.state.services) is None  # not recorded as loaded


def test_the_samples_are_never_put_in_a_real_users_name(client, make_user, small_root):
    make_user("ministry_editor", name=SAMPLES_USER)  # someone's own, active account
    with pytest.raises(Conflict, match=f"a user named '{SAMPLES_USER}' exists"):
        load_samples(client.app.state.services, root=small_root)
    assert database_is_empty(client.app.state.services)


def test_with_the_setting_off_a_first_start_stays_empty(settings: Settings):
    assert settings.samples is False  # the API tests' settings
    with TestClient(create_app(settings)) as client:
        services = client.app.state.services
        assert database_is_empty(services)
        assert load_on_first_start(services) is None
        assert database_is_empty(services) and sample_summary(services) is None


def test_the_setting_reads_on_and_off():
    assert Settings().samples is True  # a newcomer's `make run` shows content
    assert Settings.from_env({}).samples is True
    for off in ("off", "OFF", "false", "0", "no"):
        assert Settings.from_env({"PARINDEX_SAMPLES": off}).samples is False
    assert Settings.from_env({"PARINDEX_SAMPLES": "on"}).samples is True
    with pytest.raises(ValueError, match="PARINDEX_SAMPLES: expected on or off, got 'maybe'"):
        Settings.from_env({"PARINDEX_SAMPLES": "maybe"})


@pytest.mark.slow  # the whole set, 445 submissions, through a real server
def test_first_start_of_serve_loads_the_samples_and_a_second_start_adds_nothing(
    tmp_path, template_store
):
    with running_server(tmp_path, template_store, samples=True) as server:
        output = server.output()
        assert "loaded the bundled synthetic samples (8 cohorts, 171 units, 445 submissions" in (
            output
        ), output
        headers = server.admin_headers()
        r = httpx.get(
            f"{server.url}/api/rankings",
            params={"cohort": "provinces", "period": "2023"},
            headers=headers,
            timeout=60,
        )
        assert r.status_code == 200, r.text
        ranking = r.json()
        assert len(ranking["units"]) == 63 and ranking["without_submission"] == []
        assert ranking["units"][0]["rank"] == 1 and Decimal(str(ranking["units"][0]["index"]))
        units = httpx.get(f"{server.url}/api/units", headers=headers, timeout=30).json()
        assert len(units) == 171
        home = httpx.get(f"{server.url}/", timeout=30).text  # the home page says so
        assert "Dữ liệu mẫu — không phải số liệu thật" in home
        assert "171 đơn vị" in home and "445 hồ sơ" in home
    with running_server(tmp_path, samples=True) as again:  # the same data folder
        assert again.output().count("loaded the bundled synthetic samples") == 1  # the first
        units = httpx.get(f"{again.url}/api/units", headers=again.admin_headers(), timeout=30)
        assert len(units.json()) == 171


@pytest.mark.slow  # a real server
def test_serve_empty_starts_with_nothing(tmp_path, template_store):
    with running_server(tmp_path, template_store) as server:  # runs `serve --empty`
        assert "--empty" in server.process.args
        r = httpx.get(f"{server.url}/api/units", headers=server.admin_headers(), timeout=30)
        assert r.status_code == 200 and r.json() == []
        assert "synthetic samples" not in server.output()
        assert "Dữ liệu mẫu" not in httpx.get(f"{server.url}/", timeout=30).text


@pytest.mark.slow  # the whole set, 445 submissions, through `parindex samples load`
def test_samples_load_command_loads_once(tmp_path, template_store):
    data = tmp_path / "var"
    shutil.copytree(template_store, data / "store")
    first = parindex("samples", "load", "--data-dir", str(data), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "loaded 445 synthetic sample submissions of 171 units in 8 cohorts" in first.stdout
    assert "provinces 2021: 63 units" in first.stderr  # progress, one line per set
    second = parindex("samples", "load", "--data-dir", str(data), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout and "nothing done" in second.stdout
    settings = dataclasses.replace(Settings(data_dir=str(data)), samples=False)
    with TestClient(create_app(settings)) as client:
        summary = sample_summary(client.app.state.services)
        assert summary is not None and summary.submissions == 445
        assert count(client, Submission) == 445
