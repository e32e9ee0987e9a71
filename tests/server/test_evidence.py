"""Evidence files: limits that name themselves, the office formats units attach,
downloading a file back, for exactly those who may read the submission, and removing
one from a draft (the row, its audit entry, the stored file once nothing shares it).

Every test runs on SQLite and PostgreSQL through the app's HTTP stack.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import replace
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.models import Evidence
from server.services.evidence import FORMATS, MULTIPART_SLACK, blob_path
from server.settings import SETTINGS, Settings
from tests.server.helpers import PDF, audit, count, paths, post_submission, user_maker
from tests.server.helpers import unit_and_submitter as _setup

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCX, XLSX = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
ODT, ODS = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)


def _zip(first: str, content: bytes) -> bytes:
    """A zip whose first entry is stored uncompressed, as office suites write them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo(first), content, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", b"<x/>")
    return out.getvalue()


def _odf(media: str) -> bytes:
    return _zip("mimetype", media.encode("ascii"))


SAMPLES = {
    "a.pdf": ("application/pdf", PDF),
    "a.doc": ("application/msword", OLE2),
    "a.docx": (DOCX, _zip("[Content_Types].xml", b"<Types/>")),
    "a.xls": ("application/vnd.ms-excel", OLE2),
    "a.xlsx": (XLSX, _zip("[Content_Types].xml", b"<Types/>")),
    "a.odt": (ODT, _odf(ODT)),
    "a.ods": (ODS, _odf(ODS)),
    "a.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    "a.png": ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    "a.gif": ("image/gif", b"GIF89a\x01\x00\x01\x00"),
    "a.webp": ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 "),
    "a.tif": ("image/tiff", b"II*\x00\x08\x00\x00\x00"),
    "a.txt": ("text/plain", "Biên bản kiểm tra".encode()),
}


@pytest.fixture
def draft(client, make_user):
    admin, submitter = _setup(client, make_user)
    created = post_submission(client, submitter, "so-noi-vu", submit=False)
    return f"/api/submissions/{created['id']}/evidence", submitter, admin


def test_every_default_type_has_a_format_and_a_sample():
    default = next(s.default for s in SETTINGS if s.name == "evidence_types").split(",")
    assert set(default) == set(FORMATS) == {media for media, _ in SAMPLES.values()}
    assert set(Settings().evidence_types) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_office_formats_are_accepted(client, draft, name):
    url, submitter, _ = draft
    media, content = SAMPLES[name]
    r = client.post(url, files={"file": (name, content, media)}, headers=submitter)
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == media


@pytest.mark.parametrize("name", ["a.docx", "a.ods", "a.jpg"])
@pytest.mark.parametrize("declared", ["application/octet-stream", ""])
def test_an_undeclared_type_comes_from_the_extension(client, draft, name, declared):
    url, submitter, _ = draft
    media, content = SAMPLES[name]
    r = client.post(url, files={"file": (name, content, declared)}, headers=submitter)
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == media


def test_contents_that_contradict_the_type_are_refused(client, draft):
    url, submitter, _ = draft
    ods_as_odt = client.post(url, files={"file": ("a.odt", _odf(ODS), ODT)}, headers=submitter)
    assert ods_as_odt.status_code == 422 and paths(ods_as_odt) == ["$.file"]
    exe_as_doc = client.post(
        url, files={"file": ("a.doc", b"MZ\x90\x00", "application/octet-stream")}, headers=submitter
    )
    assert exe_as_doc.status_code == 422
    exe = client.post(
        url, files={"file": ("a.exe", b"MZ\x90\x00", "application/octet-stream")}, headers=submitter
    )
    assert exe.status_code == 415
    assert ".docx" in exe.json()["errors"][0]["message"]


def test_a_3_mb_pdf_is_accepted_while_json_bodies_stay_at_2_mb(client, draft, settings):
    url, submitter, admin = draft
    pdf = PDF + b"%" + b"x" * 3_000_000
    r = client.post(url, files={"file": ("Báo cáo.pdf", pdf, "application/pdf")}, headers=submitter)
    assert r.status_code == 201, r.text
    assert r.json()["size"] == len(pdf)
    big_json = b'{"id": "' + b"x" * settings.max_body_bytes + b'"}'
    r = client.post(
        "/api/units", content=big_json, headers={**admin, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert "2.000.000 byte" in r.json()["detail"] and r.json()["max_bytes"] == 2_000_000


@pytest.fixture
def small(settings: Settings):
    with TestClient(create_app(replace(settings, max_evidence_bytes=100_000))) as client:
        _, submitter = _setup(client, user_maker(client))
        created = post_submission(client, submitter, "so-noi-vu", submit=False)
        yield client, f"/api/submissions/{created['id']}/evidence", submitter


@pytest.mark.parametrize("extra", [1, MULTIPART_SLACK + 1])
def test_a_file_over_the_evidence_limit_is_413_naming_it(small, extra):
    """Just over the limit (the file check) and past the framing (the body check)."""
    client, url, submitter = small
    from server.models import Evidence

    pdf = PDF + b"x" * (100_000 - len(PDF) + extra)
    r = client.post(url, files={"file": ("a.pdf", pdf, "application/pdf")}, headers=submitter)
    assert r.status_code == 413, r.text
    body = r.json()
    assert "100.000 byte" in body["detail"] and "giới hạn" in body["detail"]
    assert body["max_bytes"] == 100_000 and paths(r) == ["$.file"]
    assert count(client, Evidence) == 0
    exact = PDF + b"x" * (100_000 - len(PDF))
    r = client.post(url, files={"file": ("a.pdf", exact, "application/pdf")}, headers=submitter)
    assert r.status_code == 201, r.text


# --- downloading ----------------------------------------------------------------------

NAME = "Kế hoạch CCHC năm 2024 (bản ký).pdf"


def test_download_gives_the_bytes_type_and_vietnamese_name(client, draft, make_user):
    url, submitter, _ = draft
    nfd = unicodedata.normalize("NFD", NAME)
    r = client.post(url, files={"file": (nfd, PDF, "application/pdf")}, headers=submitter)
    assert r.status_code == 201, r.text
    evidence = r.json()
    assert evidence["filename"] == NAME  # stored NFC

    for who in (submitter, make_user("appraiser"), make_user("auditor"), make_user("admin")):
        got = client.get(f"{url}/{evidence['id']}", headers=who)
        assert got.status_code == 200, got.text
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
    assert len(got.headers.get_list("content-disposition")) == 1
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in disposition
    assert 'filename="Ke hoach CCHC nam 2024 (ban ky).pdf"' in disposition


def test_download_is_refused_to_others_and_unknown_ids_are_404(client, draft, make_user):
    """Ids past the INTEGER columns are the 400 of every id (`schemas.IdParam`)."""
    url, submitter, admin = draft
    evidence = client.post(
        url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=submitter
    ).json()
    target = f"{url}/{evidence['id']}"
    assert client.get(target).status_code == 401
    other_unit = make_user("unit_submitter", unit_id="so-tu-phap")
    assert client.get(target, headers=other_unit).status_code == 403
    # The evidence of one submission is not reachable under another's id.
    other = post_submission(client, other_unit, "so-tu-phap", submit=False)
    r = client.get(f"/api/submissions/{other['id']}/evidence/{evidence['id']}", headers=admin)
    assert r.status_code == 404
    assert client.get(f"{url}/999999", headers=admin).status_code == 404
    r = client.get(f"{url}/99999999999999999999", headers=admin)
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "$.path.evidence_id"


# --- removing -------------------------------------------------------------------------


def test_removing_evidence_deletes_the_row_and_the_file_once_unshared(client, draft, settings):
    """Two uploads of the same bytes share one file: removing the first leaves the file
    for the second; removing the second deletes it. Each removal is audited with the
    row as it was."""
    url, submitter, _ = draft
    first, second = (
        client.post(url, files={"file": (n, PDF, "application/pdf")}, headers=submitter).json()
        for n in ("a.pdf", "b.pdf")
    )
    stored = blob_path(settings.evidence_dir, first["sha256"])
    assert stored.is_file() and first["sha256"] == second["sha256"]

    r = client.delete(f"{url}/{first['id']}", headers=submitter)
    assert r.status_code == 204, r.text
    assert count(client, Evidence) == 1 and stored.read_bytes() == PDF
    assert client.get(f"{url}/{first['id']}", headers=submitter).status_code == 404
    assert client.get(f"{url}/{second['id']}", headers=submitter).content == PDF

    assert client.delete(f"{url}/{second['id']}", headers=submitter).status_code == 204
    assert count(client, Evidence) == 0 and not stored.exists()
    assert not list(settings.evidence_dir.rglob(".removed-*"))
    entries = audit(client, "submission.evidence.remove")
    assert [e.before["filename"] for e in entries] == ["a.pdf", "b.pdf"]
    assert entries[1].before["sha256"] == first["sha256"] and entries[1].after is None
    # Removed is removed: a second time is a 404, and the same bytes can come back.
    assert client.delete(f"{url}/{second['id']}", headers=submitter).status_code == 404
    again = client.post(url, files={"file": ("c.pdf", PDF, "application/pdf")}, headers=submitter)
    assert again.status_code == 201 and stored.read_bytes() == PDF


def test_removing_is_for_the_submitter_of_a_draft_only(client, draft, make_user, settings):
    url, submitter, _ = draft
    evidence = client.post(
        url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=submitter
    ).json()
    target = f"{url}/{evidence['id']}"
    stored = blob_path(settings.evidence_dir, evidence["sha256"])
    assert client.delete(target).status_code == 401
    for who in (
        make_user("unit_submitter", unit_id="so-tu-phap"),
        make_user("appraiser"),
        make_user("auditor"),
    ):
        assert client.delete(target, headers=who).status_code == 403
    assert client.delete(f"{url}/999999", headers=submitter).status_code == 404

    submission_id = evidence["submission_id"]
    r = client.post(f"/api/submissions/{submission_id}/submit", headers=submitter)
    assert r.status_code == 200, r.text
    r = client.delete(target, headers=submitter)
    assert r.status_code == 409 and r.json()["errors"] == [
        {"path": "$.status", "message": "submitted"}
    ]
    # Nothing moved: the row, the file and no removal in the audit.
    assert count(client, Evidence) == 1 and stored.read_bytes() == PDF
    assert audit(client, "submission.evidence.remove") == []
