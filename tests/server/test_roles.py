"""Every role against every write endpoint: allowed, or refused with nothing changed.

The rules are the table of `server/auth.py`. A case is *allowed* for a role when the
request gets past authorization: a 2xx, or a domain 4xx (409 stale base, 422 invalid, …)
that is neither 401 nor 403. A refused request answers 401 (anonymous) or 403 (signed in)
and changes nothing: the store's branches and tags and the row count of every table are
exactly as before.

Province scope: `daklak-so` carries `owner: {province: dak-lak}` in its manifest; the
national methodologies (`vi-du`, `mic-units`, …) carry no owner.

To cover more endpoints (submissions, units, evaluations, …), append `Case`s to
`SUBMISSION_WRITE_CASES` below (or a new list added to `WRITE_CASES`): each builds its
request from a `World` (an admin's headers to prepare data, and the app's services).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from server.models import metadata
from tests.server.helpers import audit_body, sensitivity_body

# --- who ------------------------------------------------------------------------------

# Role key → the user `make_user` creates (None: no token at all).
PRINCIPALS: dict[str, dict[str, Any] | None] = {
    "anonymous": None,
    "admin": {"role": "admin"},
    "ministry_editor": {"role": "ministry_editor"},
    "province_editor:dak-lak": {"role": "province_editor", "province": "dak-lak"},
    "province_editor:ha-noi": {"role": "province_editor", "province": "ha-noi"},
    "unit_submitter": {"role": "unit_submitter", "unit_id": "so-noi-vu"},
    "appraiser": {"role": "appraiser"},
    "auditor": {"role": "auditor"},
}

ADMIN = frozenset({"admin"})
NATIONAL_EDITORS = ADMIN | {"ministry_editor"}
DAK_LAK_EDITORS = ADMIN | {"province_editor:dak-lak"}


# --- what -----------------------------------------------------------------------------


@dataclass
class World:
    """What a case needs to build its request: the client and an admin to read with."""

    client: Any
    admin: dict[str, str]

    def head(self, slug: str) -> str:
        """The commit an editor of ``slug`` starts from: the store's head."""
        head = self.client.app.state.services.store.head()
        assert head and slug in self.client.app.state.services.store.methodologies(head)
        return head

    def front_matter(self, slug: str, node_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/methodologies/{slug}/nodes/{node_id}", headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()["front_matter"]


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: Any = None
    params: dict[str, str] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[World], Request]
    allowed: frozenset[str]  # role keys of PRINCIPALS that get past authorization


def _put_node(slug: str, node_id: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        fields = {**w.front_matter(slug, node_id), "guidance": "Hướng dẫn đã sửa (kiểm tra quyền)."}
        body = {"node": fields, "base": w.head(slug), "message": "kiểm tra quyền"}
        return Request("PUT", f"/api/methodologies/{slug}/nodes/{node_id}", body)

    return build


def _delete_node(slug: str, node_id: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        return Request(
            "DELETE", f"/api/methodologies/{slug}/nodes/{node_id}", params={"base": w.head(slug)}
        )

    return build


def _release(slug: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        body = {"ref": w.head(slug), "name": "2099", "decision": "99/QĐ-TEST", "date": "2099-01-01"}
        return Request("POST", f"/api/methodologies/{slug}/releases", body)

    return build


def _create(slug: str, manifest: dict[str, Any], overlay: Any = None) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        body: dict[str, Any] = {
            "slug": slug,
            "manifest": {"title": f"Chỉ số thử {slug}", "level": "sở", "scale": 100, **manifest},
        }
        if overlay is not None:
            body["overlay"] = overlay
        return Request("POST", "/api/methodologies", body)

    return build


def _rebase(slug: str, onto: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        return Request("POST", f"/api/methodologies/{slug}/rebase", {"onto": onto})

    return build


def _put_overlay(slug: str) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        r = w.client.get(f"/api/methodologies/{slug}/overlay", headers=w.admin)
        assert r.status_code == 200, r.text
        overlay = r.json()["overlay"]
        first = next(iter(overlay["override"]))
        override = {**overlay["override"][first], "reason": "kiểm tra quyền"}
        body = {
            "overlay": {**overlay, "override": {**overlay["override"], first: override}},
            "base": w.head(slug),
        }
        return Request("PUT", f"/api/methodologies/{slug}/overlay", body)

    return build


DAK_LAK = {"owner": {"province": "dak-lak"}}
EXTENDS_PROVINCIAL = {"extends": "par-provincial@par-provincial/2022"}

METHODOLOGY_WRITE_CASES: list[Case] = [
    Case("put node (national)", _put_node("vi-du", "ket-qua-ro-rang"), NATIONAL_EDITORS),
    Case("put node (dak-lak)", _put_node("daklak-so", "nhiem-vu-ubnd-tinh-giao"), DAK_LAK_EDITORS),
    Case("delete node (national)", _delete_node("vi-du", "ket-qua-ro-rang"), NATIONAL_EDITORS),
    Case(
        "delete node (dak-lak)",
        _delete_node("daklak-so", "nhiem-vu-ubnd-tinh-giao"),
        DAK_LAK_EDITORS,
    ),
    Case("release (national)", _release("vi-du"), NATIONAL_EDITORS),
    Case("release (dak-lak)", _release("daklak-so"), DAK_LAK_EDITORS),
    Case("create (national)", _create("thu-quoc-gia", {}), NATIONAL_EDITORS),
    # Only derived methodologies may be created by a province; the ministry creates national ones.
    Case("create (dak-lak, not derived)", _create("thu-daklak-goc", DAK_LAK), ADMIN),
    Case(
        "derive (national)",
        _create("thu-dan-xuat", EXTENDS_PROVINCIAL, overlay={}),
        NATIONAL_EDITORS,
    ),
    Case(
        "derive (dak-lak)",
        _create("thu-daklak", {**EXTENDS_PROVINCIAL, **DAK_LAK}, overlay={}),
        DAK_LAK_EDITORS,
    ),
    Case("rebase (national)", _rebase("mic-units", "par-ministry/2022"), NATIONAL_EDITORS),
    Case("rebase (dak-lak)", _rebase("daklak-so", "par-provincial/2022"), DAK_LAK_EDITORS),
    Case("put overlay (national)", _put_overlay("mic-units"), NATIONAL_EDITORS),
    Case("put overlay (dak-lak)", _put_overlay("daklak-so"), DAK_LAK_EDITORS),
]

# The submissions, units, surveys, evaluations and rankings endpoints go here, e.g.
#   Case("create unit (dak-lak)", lambda w: Request("POST", "/api/units", {...}),
#        ADMIN | {"ministry_editor", "province_editor:dak-lak"}),
VI_DU_VALUES = {
    "thoi_diem_ban_hanh": "dung_han",
    "du_nhiem_vu_va_kinh_phi": True,
    "ket_qua_ro_rang": True,
    "ty_le_hoan_thanh_ke_hoach": 0.93,
    "bao_cao_du_va_dung_han": True,
    "so_don_vi_duoc_kiem_tra": 3,
    "tong_so_don_vi": 4,
    "ty_le_dung_han": 0.985,
    "ty_le_phan_anh_duoc_xu_ly": 0.75,
    "so_ho_so_truc_tuyen": 10,
    "tong_so_ho_so": 40,
}
SUBMITTER_UNIT = "so-noi-vu"


def _unit(w: World, unit_id: str = SUBMITTER_UNIT) -> str:
    r = w.client.post(
        "/api/units",
        headers=w.admin,
        json={"id": unit_id, "name": "Sở Nội vụ", "level": "sở", "province": "dak-lak"},
    )
    assert r.status_code in (201, 200, 409), r.text
    return unit_id


def _period() -> str:
    """A period of its own: a unit has one submission of record per period."""
    return f"2014-{uuid.uuid4().hex[:6]}"


def _draft(w: World, *, submit: bool = False) -> int:
    _unit(w)
    body = {
        "unit_id": SUBMITTER_UNIT,
        "period": _period(),
        "methodology": "vi-du",
        "ref": "vi-du/2014",
        "values": VI_DU_VALUES,
        "facts": {"co_thu_tuc_hanh_chinh": True},
    }
    r = w.client.post("/api/submissions", headers=w.admin, json=body)
    assert r.status_code == 201, r.text
    submission = r.json()["id"]
    if submit:
        r = w.client.post(f"/api/submissions/{submission}/submit", headers=w.admin)
        assert r.status_code in (200, 201), r.text
    return submission


def _request(
    method: str, url: Callable[[World], str] | str, body: Callable[[World], Any] | Any = None
):
    def build(w: World) -> Request:
        return Request(
            method, url(w) if callable(url) else url, body(w) if callable(body) else body
        )

    return build


def _new_unit(w: World) -> dict[str, Any]:
    return {
        "id": f"don-vi-{uuid.uuid4().hex[:8]}",
        "name": "Đơn vị thử",
        "level": "sở",
        "province": "dak-lak",
    }


def _new_submission(w: World) -> dict[str, Any]:
    _unit(w)
    return {
        "unit_id": SUBMITTER_UNIT,
        "period": _period(),
        "methodology": "vi-du",
        "ref": "vi-du/2014",
        "values": VI_DU_VALUES,
    }


def _cohort(w: World, cohort: str, methodology: str) -> None:
    """``cohort`` exists (an admin created it with a unit of its own)."""
    r = w.client.post(
        "/api/units",
        headers=w.admin,
        json={**_new_unit(w), "cohorts": [cohort], "methodology": methodology},
    )
    assert r.status_code == 201, r.text


def _into(cohort: str, methodology: str) -> Callable[[World], dict[str, Any]]:
    def body(w: World) -> dict[str, Any]:
        _cohort(w, cohort, methodology)
        return {**_new_unit(w), "cohorts": [cohort]}

    return body


def _new_cohort(methodology: str) -> Callable[[World], dict[str, Any]]:
    def body(w: World) -> dict[str, Any]:
        cohort = f"nhom-{uuid.uuid4().hex[:8]}"
        return {**_new_unit(w), "cohorts": [cohort], "methodology": methodology}

    return body


SUBMISSION_WRITE_CASES: list[Case] = [
    Case(
        "create unit (dak-lak)",
        _request("POST", "/api/units", _new_unit),
        ADMIN | {"ministry_editor", "province_editor:dak-lak"},
    ),
    # A cohort belongs to the owner of its methodology: a province editor adds its
    # province's units to its province's cohorts only, and creates only those.
    Case(
        "unit into a national cohort",
        _request("POST", "/api/units", _into("provinces", "par-provincial")),
        NATIONAL_EDITORS,
    ),
    Case(
        "unit into a dak-lak cohort",
        _request("POST", "/api/units", _into("daklak-so", "daklak-so")),
        ADMIN | {"ministry_editor", "province_editor:dak-lak"},
    ),
    Case(
        "create a cohort of par-ministry",
        _request("POST", "/api/units", _new_cohort("par-ministry")),
        NATIONAL_EDITORS,
    ),
    Case(
        "create a cohort of daklak-so",
        _request("POST", "/api/units", _new_cohort("daklak-so")),
        ADMIN | {"ministry_editor", "province_editor:dak-lak"},
    ),
    Case(
        "create submission (own unit)",
        _request("POST", "/api/submissions", _new_submission),
        ADMIN | {"unit_submitter"},
    ),
    Case(
        "patch draft",
        _request(
            "PATCH",
            lambda w: f"/api/submissions/{_draft(w)}",
            {"values": {"ket_qua_ro_rang": False}},
        ),
        ADMIN | {"unit_submitter"},
    ),
    Case(
        "submit draft",
        _request("POST", lambda w: f"/api/submissions/{_draft(w)}/submit"),
        ADMIN | {"unit_submitter"},
    ),
    Case(
        "appraise",
        _request(
            "POST",
            lambda w: f"/api/submissions/{_draft(w, submit=True)}/appraisals",
            {"key": "ty_le_dung_han", "value": 0.9, "reason": "Thiếu số liệu quý IV"},
        ),
        ADMIN | {"appraiser"},
    ),
    Case(
        "reopen the record",
        _request(
            "POST",
            lambda w: f"/api/submissions/{_draft(w, submit=True)}/reopen",
            {"reason": "Đơn vị đề nghị nộp lại do sai số liệu"},
        ),
        ADMIN | {"appraiser"},
    ),
    Case(
        "import survey",
        _request(
            "POST",
            "/api/surveys",
            lambda w: {
                "methodology": "vi-du",
                "ref": "vi-du/2014",
                "period": "2014",
                "scores": [{"unit_id": _unit(w), "node_id": "hai-long-xu-ly", "score": 1.5}],
            },
        ),
        ADMIN | {"appraiser", "auditor"},
    ),
    Case(
        "run evaluation",
        _request(
            "POST",
            "/api/evaluations",
            lambda w: {
                "submissions": [_draft(w, submit=True)],
                "methodology": "vi-du",
                "ref": "vi-du/2014",
            },
        ),
        ADMIN
        | {
            "auditor",
            "appraiser",
            "ministry_editor",
            "province_editor:dak-lak",
            "province_editor:ha-noi",
            "unit_submitter",
        },
    ),
]


def _publication(cohort: str, methodology: str) -> Callable[[World], dict[str, Any]]:
    """Publishing ``cohort``'s ranking of a period nobody submitted for: past the
    permission check, a 422 (nothing to publish); refused, a 401 or 403."""

    def body(w: World) -> dict[str, Any]:
        _cohort(w, cohort, methodology)
        return {
            "cohort": cohort,
            "period": "1999",
            "document_number": "1/QĐ",
            "document_date": "2024-04-15",
            "objections_close": "2099-12-31",
        }

    return body


PUBLICATION_WRITE_CASES: list[Case] = [
    Case(
        "publish (national)",
        _request("POST", "/api/publications", _publication("nhom-qg", "vi-du")),
        NATIONAL_EDITORS,
    ),
    Case(
        "publish (dak-lak)",
        _request("POST", "/api/publications", _publication("nhom-dl", "daklak-so")),
        DAK_LAK_EDITORS,
    ),
]


def _new_period(cohort: str, methodology: str) -> Callable[[World], dict[str, Any]]:
    def body(w: World) -> dict[str, Any]:
        _cohort(w, cohort, methodology)
        return {"cohort": cohort, "period": _period()}

    return body


def _extend(w: World) -> Request:
    """One unit's deadline in a period an admin opened for its cohort."""
    unit = _new_unit(w)
    r = w.client.post(
        "/api/units", headers=w.admin, json={**unit, "cohorts": ["nhom-gh"], "methodology": "vi-du"}
    )
    assert r.status_code == 201, r.text
    period = _period()
    r = w.client.post("/api/periods", headers=w.admin, json={"cohort": "nhom-gh", "period": period})
    assert r.status_code == 201, r.text
    body = {"unit_id": unit["id"], "until": "2099-01-01", "reason": "kiểm tra quyền"}
    return Request("POST", f"/api/periods/nhom-gh/{period}/extensions", body)


def _move(what: str, body: Any, *, appraised: bool = False) -> Callable[[World], Request]:
    """A move of a submitted (or appraised) record of the submitter's unit."""

    def build(w: World) -> Request:
        submission = _draft(w, submit=True)
        if appraised:
            r = w.client.post(f"/api/submissions/{submission}/finish", headers=w.admin)
            assert r.status_code == 200, r.text
        return Request("POST", f"/api/submissions/{submission}/{what}", body)

    return build


COUNCIL = ADMIN | {"appraiser"}
CYCLE_WRITE_CASES: list[Case] = [
    Case(
        "open period (national)",
        _request("POST", "/api/periods", _new_period("nhom-ky-qg", "vi-du")),
        NATIONAL_EDITORS,
    ),
    Case(
        "open period (dak-lak)",
        _request("POST", "/api/periods", _new_period("nhom-ky-dl", "daklak-so")),
        DAK_LAK_EDITORS,
    ),
    Case("extend a unit's deadline", _extend, ADMIN),
    Case("return for supplement", _move("return", {"note": "Bổ sung"}), COUNCIL),
    Case("send to the council", _move("council", {}, appraised=True), COUNCIL),
    Case("unlock a record", _move("unlock", {"reason": "kiểm tra quyền"}), ADMIN),
]

ANALYSTS = ADMIN | {
    "auditor",
    "appraiser",
    "ministry_editor",
    "province_editor:dak-lak",
    "province_editor:ha-noi",
}
ANALYSIS_WRITE_CASES: list[Case] = [
    Case("run audit", _request("POST", "/api/audits", audit_body(["ha-noi"])), ANALYSTS),
    Case(
        "run sensitivity",
        _request(
            "POST", "/api/sensitivity", sensitivity_body(["ha-noi", "hai-phong"], replications=20)
        ),
        ANALYSTS,
    ),
]


def _fresh_user(w: World) -> tuple[int, str]:
    """A new auditor the case acts on (never the caller): its id and token prefix."""
    from server.models import ApiToken
    from tests.server.helpers import user_maker

    prefix = user_maker(w.client)("auditor")["Authorization"].split("_")[1]
    with Session(w.client.app.state.services.db) as session:
        token = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).scalars().one()
        return token.user_id, prefix


def _on_fresh_user(method: str, path: str, body: Any = None) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        user_id, prefix = _fresh_user(w)
        return Request(method, path.format(user=user_id, prefix=prefix), body)

    return build


USER_WRITE_CASES: list[Case] = [
    Case("disable user", _on_fresh_user("PATCH", "/api/users/{user}", {"active": False}), ADMIN),
    Case("issue token", _on_fresh_user("POST", "/api/users/{user}/tokens", {}), ADMIN),
    Case("revoke token", _on_fresh_user("POST", "/api/tokens/{prefix}/revoke"), ADMIN),
]

WRITE_CASES: list[Case] = (
    METHODOLOGY_WRITE_CASES
    + SUBMISSION_WRITE_CASES
    + PUBLICATION_WRITE_CASES
    + CYCLE_WRITE_CASES
    + ANALYSIS_WRITE_CASES
    + USER_WRITE_CASES
)


# --- the matrix -----------------------------------------------------------------------


def _snapshot(client) -> tuple[str, dict[str, int]]:
    """The store's refs (branches and tags) and the row count of every table."""
    services = client.app.state.services
    refs = subprocess.run(
        ["git", "--git-dir", str(services.store.git_dir), "for-each-ref"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    with Session(services.db) as session:
        counts = {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
            if name != "audit_log"  # refused requests may one day be audited
        }
    return refs, counts


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_role_matrix(client, make_user, who: str):
    admin = make_user("admin", name="role-matrix-admin")
    spec = PRINCIPALS[who]
    headers = (
        {}
        if spec is None
        else make_user(spec["role"], **{k: v for k, v in spec.items() if k != "role"})
    )
    world = World(client, admin)
    outcomes = []
    for case in WRITE_CASES:
        request = case.build(world)
        before = _snapshot(client)
        r = client.request(
            request.method, request.url, json=request.json, params=request.params, headers=headers
        )
        outcomes.append((case.name, r.status_code))
        assert r.status_code < 500, (case.name, r.text)
        if who in case.allowed:
            assert r.status_code not in (401, 403), (case.name, r.text)
            continue
        expected = 401 if spec is None else 403
        assert r.status_code == expected, (case.name, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert _snapshot(client) == before, f"{case.name}: refused but something changed"
    # Allowed requests really do their job (most of them succeed outright).
    if who in ("admin", "ministry_editor", "province_editor:dak-lak"):
        succeeded = [name for name, status in outcomes if 200 <= status < 300]
        assert succeeded, outcomes
