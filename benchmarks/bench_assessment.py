"""Benchmark of the self-assessment form's running total on the daklak-so form.

A unit's draft under daklak-so/2022 (Đắk Lắk's departments, 76 sub-criteria), its
whole form posted as a browser posts it (the bundled sample of Sở Nội vụ, percentages
typed with a comma) to `POST /tu-danh-gia/{id}/diem`, the endpoint htmx calls while a
person types; the answer is the points of every row, criterion and field and the total
as out-of-band fragments. Timed in one process through Litestar's test client, with a
signed-in page session (so the session lookup, CSRF check and form parsing are in).
Baseline measured in the same run: `running_result`, the service call the endpoint
makes (read the draft, score it with the evaluation engine), without reading the form
or rendering HTML. Target (issue 12): ≤ 100 ms at p95.

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
from decimal import Decimal
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient
from sqlmodel import Session

from server.app import create_app
from server.auth import Principal, hash_password
from server.models import User
from server.services.assessment import running_result
from server.settings import Settings

__all__ = ["main"]

TARGET_MS = 100.0
UNIT = "so-noi-vu"
SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "methodology/bundled/submissions/daklak-so/2023"
    / f"{UNIT}.yaml"
)
PASSWORD = "benchmark-password"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


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


def _typed(values: dict[str, object]) -> dict[str, str]:
    form = {}
    for key, value in values.items():
        if isinstance(value, bool):
            form[f"v.{key}"] = "co" if value else "khong"
        elif key.startswith("ty_le_"):
            form[f"v.{key}"] = str(Decimal(str(value)) * 100).replace(".", ",")
        else:
            form[f"v.{key}"] = str(value)
    return form


def main(argv: list[str] | None = None) -> int:
    """Time the running-total endpoint and its service call; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the test client logs every request
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings.from_env({}, data_dir=tmp))
        with TestClient(app) as client:
            services = app.state.services
            with Session(services.db) as session:
                admin = User(name="admin-bench", role="admin")
                user = User(
                    name="Cán bộ Sở Nội vụ",
                    role="unit_submitter",
                    unit_id=UNIT,
                    password_hash=hash_password(PASSWORD),
                )
                session.add_all([admin, user])
                session.commit()
                admin_principal = Principal(admin.id, admin.name, "admin")
                viewer = Principal(user.id, user.name, user.role, None, UNIT)
            from server.services.units import create_unit

            create_unit(
                services,
                admin_principal,
                {
                    "id": UNIT,
                    "name": "Sở Nội vụ",
                    "level": "sở",
                    "province": "dak-lak",
                    "cohorts": ["daklak-so"],
                    "methodology": "daklak-so",
                },
            )
            token = TOKEN.search(client.get("/dang-nhap").text)[1]
            client.post(
                "/dang-nhap",
                data={"ten": user.name, "mat_khau": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            token = TOKEN.search(client.get("/tu-danh-gia").text)[1]
            started = client.post(
                "/tu-danh-gia/bat-dau",
                data={"ky": "2023", "phien_ban": "daklak-so@daklak-so/2022", "csrf_token": token},
                follow_redirects=False,
            )
            submission_id = int(started.headers["location"].rsplit("/", 1)[1])
            form = {"csrf_token": token, **_typed(sample["values"])}
            na = sample.get("not_applicable") or {}
            for node, why in na.items():
                form[f"kps.{node}"], form[f"giai_trinh.{node}"] = "1", why
            stored = {k: v for k, v in sample["values"].items()}

            def service() -> object:
                return running_result(services, viewer, submission_id, stored, na)

            def endpoint() -> object:
                r = client.post(
                    f"/tu-danh-gia/{submission_id}/diem",
                    data=form,
                    headers={"HX-Request": "true"},
                )
                assert r.status_code == 200, r.text
                return r

            size = len(endpoint().content)
            base = _times(service, args.runs)
            page = _times(endpoint, args.runs)
    logging.disable(logging.NOTSET)
    base_median = statistics.median(base)
    print(f"daklak-so/2022 form, {len(form) - 1} fields posted, answer {size:,} bytes\n")
    print("| operation | median ms | p95 ms | target p95 ms | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| baseline: running_result (service call, no HTML) | {base_median:.2f} "
        f"| {_p95(base):.2f} | — | 1.00× |"
    )
    print(
        f"| POST /tu-danh-gia/{{id}}/diem (form read, scored, fragments rendered) "
        f"| {statistics.median(page):.2f} | {_p95(page):.2f} | {TARGET_MS:.0f} "
        f"| {statistics.median(page) / base_median:.2f}× |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
