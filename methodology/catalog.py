"""The bundled catalog: methodology releases shipped with parindex, replayed into a store.

`methodology/bundled/catalog.yaml` lists releases in order; each is a full snapshot
folder. Replaying commits each snapshot with its decision's date as the commit date
and tags it, so the store's history reads like the real lineage. Each release says when
it takes effect (`effective`, the decision's date when not given), the assessment years
it applies to (`years`) and, when it amends one, the release it amends (`amends`),
checked as a release made through the API or the CLI is
(`methodology.releases.check_release`).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from methodology._yaml import yaml_load
from methodology.errors import MethodologyError
from methodology.releases import ReleaseError, parse_years
from methodology.store import Delete, Person, Put, Store
from methodology.validate import validate
from methodology.versions import Spec, open_methodology

__all__ = ["BundledRelease", "bundled_releases", "bundled_root", "init_store"]

# Vietnam's decisions are dated in local time; noon avoids a date shifting across UTC.
_VN = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class BundledRelease:
    methodology: str
    name: str
    folder: Path
    decision: str
    date: dt.date
    author: Person
    message: str
    effective: dt.date | None = None
    years: tuple[int, ...] = ()
    amends: str | None = None


def bundled_root() -> Path:
    """The folder holding the bundled catalog's snapshots."""
    return Path(str(resources.files("methodology") / "bundled"))


def bundled_releases(root: Path | None = None) -> list[BundledRelease]:
    """The releases of the catalog, in replay order."""
    root = root or bundled_root()
    data = yaml_load((root / "catalog.yaml").read_text(encoding="utf-8"))
    out = []
    for entry in data["releases"]:
        author = entry.get("author") or {}
        where = f"{root / 'catalog.yaml'}: release {entry['methodology']}/{entry['name']}"
        try:
            years = parse_years(entry["years"]) if entry.get("years") is not None else ()
        except ReleaseError as exc:
            raise MethodologyError(f"{where}: {exc}", path="years") from None
        effective = entry.get("effective")
        if effective is not None and not isinstance(effective, dt.date):
            raise MethodologyError(
                f"{where}: effective: '{effective}' is not a date; write YYYY-MM-DD",
                path="effective",
            )
        out.append(
            BundledRelease(
                methodology=entry["methodology"],
                name=str(entry["name"]),
                folder=root / entry["folder"],
                decision=entry["decision"],
                date=entry["date"],
                author=Person(
                    author.get("name", "parindex"), author.get("email", "parindex@localhost")
                ),
                message=entry["message"],
                effective=effective,
                years=years,
                amends=entry.get("amends"),
            )
        )
    return out


def init_store(
    path: str | Path,
    *,
    releases: list[BundledRelease] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Store:
    """Create a store at ``path`` whose history replays the bundled releases.

    The store is built beside ``path`` and every release is validated inside it (a
    derived release needs its parent there); only a store whose releases are all valid
    is moved into place, so a catalog with errors writes nothing.
    """
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise MethodologyError(f"{path} already exists and is not empty; choose another --store")
    releases = releases if releases is not None else bundled_releases()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-init-", dir=path.parent))
    try:
        store = Store.init(staging / "store")
        for release in releases:
            if progress:
                progress(
                    f"{release.methodology}/{release.name}: {release.decision} ({release.date})"
                )
            _replay(store, release)
        store.close()
        if path.exists():
            path.rmdir()
        (staging / "store").rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Store.open(path)


def _replay(store: Store, release: BundledRelease) -> None:
    head = store.head()
    existing = set(store.list_files(head, release.methodology)) if head else set()
    snapshot = {
        p.relative_to(release.folder).as_posix(): p.read_bytes()
        for p in sorted(release.folder.rglob("*"))
        if p.is_file()
    }
    changes: list[Put | Delete] = [
        Delete(f"{release.methodology}/{rel}") for rel in sorted(existing - set(snapshot))
    ]
    changes += [Put(f"{release.methodology}/{rel}", content) for rel, content in snapshot.items()]
    when = dt.datetime.combine(release.date, dt.time(12, 0), tzinfo=_VN)
    commit = store.commit(changes, message=release.message, author=release.author, date=when)
    report = validate(open_methodology(store, Spec(release.methodology, commit)))
    if not report.ok:
        first = report.errors[0]
        raise MethodologyError(
            f"bundled release {release.methodology}/{release.name} is invalid: {first.message} ({first.file})"
        )
    try:
        store.tag_release(
            release.methodology,
            release.name,
            commit,
            decision=release.decision,
            date=release.date,
            effective=release.effective,
            years=release.years,
            amends=release.amends,
            tagger=release.author,
        )
    except ReleaseError as exc:
        raise MethodologyError(
            f"bundled release {release.methodology}/{release.name}: {exc}", path=exc.path
        ) from None
