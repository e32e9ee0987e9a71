"""Benchmark of importing a filled self-assessment form (Excel) on the daklak-so form.

A unit's draft under daklak-so/2022 (Đắk Lắk's departments, 84 sub-criteria); its blank
form downloaded from `GET /api/forms/daklak-so`, filled by a script with the bundled
sample of Sở Nội vụ, and imported with `PUT /api/submissions/{id}/form` — the file
opened with every safety check, each cell read and checked against the version, the
values validated and stored with their audit entry. Two filled forms that differ in one
value are imported in turn, so every run writes a new revision. Timed in one process
through Litestar's test client with a real token and SQLite. Baseline measured in the
same run: `PATCH /api/submissions/{id}` with the same values as JSON (the same
validation and write, no workbook). Also shown: downloading the blank form. Target
(issue 13): importing a filled form ≤ 1 s.

Run: ``python -m benchmarks.bench_forms [--runs N]``.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run by path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from server.app import create_app
from server.auth import issue_token
from server.labels import choice_label
from server.models import User
from server.office import FORM_SHEET
from server.settings import Settings

__all__ = ["main"]

TARGET_MS = 1000.0
UNIT = "so-noi-vu"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "methodology/bundled/submissions/daklak-so/2023"
    / f"{UNIT}.yaml"
)
CHANGED = "so_sang_kien_cchc"  # the value the second form changes


def _times(run: Callable[[int], object], runs: int) -> list[float]:
    run(0)  # warm the program cache, openpyxl and the database connection
    out = []
    for i in range(runs):
        start = time.perf_counter()
        run(i + 1)
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def _p95(times: list[float]) -> float:
    return times[max(0, round(len(times) * 0.95) - 1)]


def _filled(blank: bytes, values: dict, claims: dict) -> bytes:
    """The form filled as a unit's script would (see tests/office/form_helpers.py)."""
    wb = load_workbook(io.BytesIO(blank))
    ws = wb[FORM_SHEET]
    for row in ws.iter_rows(min_row=7):
        node, key = row[0].value, row[1].value or ""
        name = key.removeprefix("input:")
        if key.startswith("input:") and name in values:
            value = values[name]
            if isinstance(value, bool):
                value = "Có" if value else "Không"
            elif isinstance(value, str):
                value = choice_label(value)
            row[6].value = value
        if node in claims and row[7].protection.locked is False:
            row[7].value, row[8].value = "Không phát sinh", claims[node]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Time the form import, its JSON twin and the download; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the test client logs every request
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    values, claims = sample["values"], sample.get("not_applicable") or {}
    other = {**values, CHANGED: values[CHANGED] + 1}
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings.from_env({}, data_dir=tmp, samples=False))
        with TestClient(app) as client:
            services = app.state.services
            with Session(services.db) as session:
                admin = User(name="admin-bench", role="admin")
                user = User(name="Cán bộ Sở Nội vụ", role="unit_submitter", unit_id=UNIT)
                session.add_all([admin, user])
                session.commit()
                admin_token = issue_token(session, admin, services.token_key)
                user_token = issue_token(session, user, services.token_key)
                session.commit()
            as_admin = {"Authorization": f"Bearer {admin_token}"}
            as_unit = {"Authorization": f"Bearer {user_token}"}
            r = client.post(
                "/api/units",
                json={
                    "id": UNIT,
                    "name": "Sở Nội vụ",
                    "level": "sở",
                    "province": "dak-lak",
                    "cohorts": ["daklak-so"],
                    "methodology": "daklak-so",
                },
                headers=as_admin,
            )
            assert r.status_code == 201, r.text
            query = {"unit": UNIT, "period": "2023", "ref": "daklak-so/2022"}
            blank = client.get("/api/forms/daklak-so", params=query).content
            forms = [_filled(blank, values, claims), _filled(blank, other, claims)]
            r = client.post(
                "/api/submissions",
                json={
                    "unit_id": UNIT,
                    "period": "2023",
                    "methodology": "daklak-so",
                    "ref": "daklak-so/2022",
                },
                headers=as_unit,
            )
            assert r.status_code == 201, r.text
            draft = r.json()["id"]

            def download(_: int) -> object:
                got = client.get("/api/forms/daklak-so", params=query)
                assert got.status_code == 200
                return got

            def import_form(i: int) -> object:
                got = client.put(
                    f"/api/submissions/{draft}/form",
                    content=forms[i % 2],
                    headers={**as_unit, "Content-Type": XLSX},
                )
                assert got.status_code == 200, got.text
                return got

            def as_json(i: int) -> object:
                got = client.patch(
                    f"/api/submissions/{draft}",
                    json={"values": [values, other][i % 2], "not_applicable": claims},
                    headers=as_unit,
                )
                assert got.status_code == 200, got.text
                return got

            base = _times(as_json, args.runs)
            imported = _times(import_form, args.runs)
            downloaded = _times(download, max(5, args.runs // 5))
    logging.disable(logging.NOTSET)
    base_median = statistics.median(base)
    print(f"daklak-so/2022 form for {UNIT}, {len(forms[0]):,} bytes filled\n")
    print("| operation | median ms | p95 ms | target p95 ms | ratio to baseline |")
    print("|---|---:|---:|---:|---:|")
    rows = [
        ("baseline: PATCH /api/submissions/{id}, the same values as JSON", base, "—"),
        ("PUT /api/submissions/{id}/form (filled form imported)", imported, f"{TARGET_MS:.0f}"),
        ("GET /api/forms/daklak-so (blank form written)", downloaded, "—"),
    ]
    for name, times, target in rows:
        print(
            f"| {name} | {statistics.median(times):.2f} | {_p95(times):.2f} | {target} "
            f"| {statistics.median(times) / base_median:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
