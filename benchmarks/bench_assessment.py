"""Benchmark of the self-assessment form's running total, on two forms.

Two drafts, each filled with a bundled sample: Sở Nội vụ under daklak-so/2022 (Đắk
Lắk's departments, 76 sub-criteria) and An Giang under par-provincial/2022 (the
provincial 876/QĐ-BNV form, 88 sub-criteria). Each whole form is posted as a browser
posts it (values as the form shows them: percentages with a comma) to
`POST /tu-danh-gia/{id}/diem`, the endpoint htmx calls while a person types; the
answer is the points of every row, criterion and field and the total as out-of-band
fragments. Timed in one process through Litestar's test client, with a signed-in page
session (so the session lookup, CSRF check and form parsing are in). Baseline, per
form, measured in the same run: `running_result`, the service call the endpoint makes
(read the draft, score it with the evaluation engine), without reading the form or
rendering HTML. Target (issue 12): ≤ 100 ms at p95.

Run: ``python -m benchmarks.bench_assessment [--runs N]``.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient
from sqlmodel import Session

from server.app import create_app
from server.auth import Principal, hash_password
from server.deps import Services
from server.models import User
from server.services.assessment import open_assessment, running_result
from server.services.submissions import update_submission
from server.services.units import create_unit
from server.settings import Settings
from server.web.pages.assessment import stored_as_typed

__all__ = ["main"]

TARGET_MS = 100.0
SUBMISSIONS = Path(__file__).resolve().parent.parent / "methodology/bundled/submissions"
PASSWORD = "benchmark-password"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Form:
    title: str
    version: str  # "<methodology>@<ref>", as the start form sends it
    period: str
    sample: Path
    unit: dict[str, Any]


FORMS = [
    Form(
        "daklak-so/2022 (76 sub-criteria)",
        "daklak-so@daklak-so/2022",
        "2023",
        SUBMISSIONS / "daklak-so/2023/so-noi-vu.yaml",
        {
            "id": "so-noi-vu",
            "name": "Sở Nội vụ",
            "level": "sở",
            "province": "dak-lak",
            "cohorts": ["daklak-so"],
            "methodology": "daklak-so",
        },
    ),
    Form(
        "par-provincial/2022, 876/QĐ-BNV (88 sub-criteria)",
        "par-provincial@par-provincial/2022",
        "2022",
        SUBMISSIONS / "par-provincial/2022/an-giang.yaml",
        {
            "id": "an-giang",
            "name": "An Giang",
            "level": "tỉnh",
            "cohorts": ["provinces"],
            "methodology": "par-provincial",
        },
    ),
]


def _times(run: Callable[[], object], runs: int) -> list[float]:
    run()  # warm the program cache, templates and the database connection
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def _p95(times: list[float]) -> float:
    return times[max(0, round(len(times) * 0.95) - 1)]


def _field(key: str) -> str:
    """The form field of a `stored_as_typed` key."""
    return key if key.startswith(("kps.", "giai_trinh.")) else f"v.{key}"


def _measure(
    client: TestClient, services: Services, admin: Principal, form: Form, runs: int
) -> list[str]:
    """Sign in as the unit's submitter, fill its draft with the sample, and time the
    service call and the endpoint; the Markdown rows and a line about the form."""
    sample = yaml.safe_load(form.sample.read_text(encoding="utf-8"))
    unit = form.unit["id"]
    name = f"Cán bộ {form.unit['name']}"
    with Session(services.db) as session:
        user = User(
            name=name,
            role="unit_submitter",
            unit_id=unit,
            password_hash=hash_password(PASSWORD),
        )
        session.add(user)
        session.commit()
        viewer = Principal(user.id, user.name, user.role, None, unit)
    create_unit(services, admin, form.unit)
    client.cookies.clear()
    token = TOKEN.search(client.get("/dang-nhap").text)[1]
    client.post(
        "/dang-nhap",
        data={"ten": name, "mat_khau": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    token = TOKEN.search(client.get("/tu-danh-gia").text)[1]
    started = client.post(
        "/tu-danh-gia/bat-dau",
        data={"ky": form.period, "phien_ban": form.version, "csrf_token": token},
        follow_redirects=False,
    )
    submission_id = int(started.headers["location"].rsplit("/", 1)[1])
    values = dict(sample["values"])
    na = sample.get("not_applicable") or {}
    update_submission(
        services, viewer, submission_id, {"values": values, "not_applicable": na}, None
    )
    # The form as the page shows the stored values (one place: the page's own reader).
    typed = stored_as_typed(open_assessment(services, viewer, submission_id))
    posted = {"csrf_token": token, **{_field(k): v for k, v in typed.items()}}

    def service() -> object:
        return running_result(services, viewer, submission_id, values, na)

    def endpoint() -> object:
        r = client.post(
            f"/tu-danh-gia/{submission_id}/diem", data=posted, headers={"HX-Request": "true"}
        )
        assert r.status_code == 200, r.text
        # Every typed value is read back: no field says it is wrong.
        assert not re.search(r'class="loi"[^>]*>[^<]', r.text), r.text
        return r

    size = len(endpoint().content)
    base = _times(service, runs)
    page = _times(endpoint, runs)
    base_median = statistics.median(base)
    return [
        f"{form.title}: {len(posted) - 1} fields posted, answer {size:,} bytes",
        f"| {form.title} | baseline: running_result (service call, no HTML) "
        f"| {base_median:.2f} | {_p95(base):.2f} | — | 1.00× |",
        f"| {form.title} | POST /tu-danh-gia/{{id}}/diem (form read, scored, fragments "
        f"rendered) | {statistics.median(page):.2f} | {_p95(page):.2f} | {TARGET_MS:.0f} "
        f"| {statistics.median(page) / base_median:.2f}× |",
    ]


def main(argv: list[str] | None = None) -> int:
    """Time the running-total endpoint and its service call on each form; print a
    Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the test client logs every request
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings.from_env({}, data_dir=tmp, samples=False))
        with TestClient(app) as client:
            services = app.state.services
            with Session(services.db) as session:
                admin_user = User(name="admin-bench", role="admin")
                session.add(admin_user)
                session.commit()
                admin = Principal(admin_user.id, admin_user.name, "admin")
            measured = [_measure(client, services, admin, f, args.runs) for f in FORMS]
    logging.disable(logging.NOTSET)
    for lines in measured:
        print(lines[0])
    print()
    print("| form | operation | median ms | p95 ms | target p95 ms | ratio to baseline |")
    print("|---|---|---:|---:|---:|---:|")
    for lines in measured:
        print(lines[1])
        print(lines[2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
