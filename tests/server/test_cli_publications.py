"""`parindex publication verify`: a publication scored again from what it stored, in
this process through the command line's app, against the API's own database."""

from __future__ import annotations

from typer.testing import CliRunner

from server.cli import app
from server.cli._common import CliError
from server.models import Evaluation
from tests.server.helpers import PERIOD, REF, add_units, db, post_submission


def test_verify_says_reproduced_and_names_a_changed_row(client, make_user, settings):
    admin = make_user("admin")
    add_units(client, admin, only={"so-noi-vu"})
    post_submission(client, admin, "so-noi-vu")
    body = {
        "cohort": "daklak-so",
        "period": PERIOD,
        "ref": REF,
        "document_number": "1/QĐ-UBND",
        "document_date": "2024-04-15",
        "objections_close": "2099-12-31",
    }
    r = client.post("/api/publications", json=body, headers=admin)
    assert r.status_code == 201, r.text
    published = r.json()
    where = [
        "--database-url",
        settings.database,
        "--data-dir",
        settings.data_dir,
        "--store",
        str(settings.store_path),
    ]
    runner = CliRunner()
    done = runner.invoke(app, ["publication", "verify", str(published["id"]), *where])
    assert done.exit_code == 0, done.output
    assert f"publication {published['id']} (preliminary)" in done.output
    assert "reproduced" in done.output and published["ranking_hash"] in done.output

    with db(client) as session:
        row = session.get(Evaluation, published["evaluations"]["so-noi-vu"])
        row.index = "1"
        session.add(row)
        session.commit()
    done = runner.invoke(
        app, ["publication", "verify", str(published["id"]), *where, "--format", "json"]
    )
    assert done.exit_code == 1, done.output
    assert '"$.units.so-noi-vu.index"' in done.output

    done = runner.invoke(app, ["publication", "verify", "999", *where])
    # `server.cli.main` prints a CliError as one line with its code.
    assert isinstance(done.exception, CliError) and done.exception.code == 2
    assert str(done.exception) == "no publication 999"
