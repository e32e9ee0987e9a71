"""The git store: methodologies as folders of files in one bare git repository.

A methodology version is a commit; an official release is an annotated tag
``<methodology>/<name>`` whose message records the decision number and date.
Everything is read straight from git objects (never a working tree) and every
write becomes exactly one commit, published by a compare-and-swap of the branch
ref, so a crash never leaves a half-written store.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import git
from gitdb.base import IStream

from methodology import _git
from methodology._git import BLOB_MODE, TREE_MODE, ZERO_SHA, Entry, nfc
from methodology.errors import RefNotFound, StaleBaseError, StoreError, StoreNotFound
from methodology.releases import (
    AsOf,
    ForYear,
    Release,
    check_release,
    parse_ref,
    parse_trailer,
    release_for_year,
    release_in_force,
    trailer,
)

__all__ = [
    "BlameLine",
    "Change",
    "CommitChanges",
    "CommitInfo",
    "Delete",
    "FileChange",
    "Move",
    "Person",
    "Put",
    "Store",
    "under",
]

DEFAULT_IDENTITY = ("parindex", "parindex@localhost")
# A ref's `.lock` older than this, while we hold the writers' flock and no process has
# it open, was left by a writer that died mid-update: no live writer takes this long.
STALE_REF_LOCK_SECONDS = 30.0
# Housekeeping: every this many commits, pack the loose objects once there are more than
# PACK_LOOSE_OBJECTS of them (`gc --auto` alone, at 6,700, left ~1,000 loose after a day).
HOUSEKEEPING_EVERY = 50
PACK_LOOSE_OBJECTS = 200
# With a remote, a write whose push lost the race to another server is made again on the
# new head this many times before it gives up (each loss means another write landed).
PUSH_ATTEMPTS = 5
# The refs a store with a remote copies: its branches and its release tags, nothing else.
_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
log = logging.getLogger("parindex.store")
_HEX = re.compile(r"[0-9a-fA-F]{4,40}")
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
# Separates commits in `git log` output; cannot occur in paths or sane messages.
_RECORD = "\x1e\x1d"
# One `--raw -z` entry: ":<mode> <mode> <old> <new> <status>\0<path>\0".
_RAW_ENTRY = re.compile(r":\d+ \d+ ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) ([A-Z])\d*\0([^\0]*)\0")


# --- value types -----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """An author, committer or tagger."""

    name: str
    email: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", nfc(self.name))
        object.__setattr__(self, "email", nfc(self.email))


@dataclass(frozen=True)
class Put:
    """Create or overwrite the file at ``path`` with ``content``."""

    path: str
    content: bytes


@dataclass(frozen=True)
class Delete:
    """Delete the file or whole folder at ``path``."""

    path: str


@dataclass(frozen=True)
class Move:
    """Move the file or folder ``src`` to ``dst`` (which must not exist)."""

    src: str
    dst: str


Change = Put | Delete | Move


def under(folder: str, changes: Sequence[Change]) -> list[Change]:
    """The same changes with paths relative to ``folder`` made store-relative."""

    def join(path: str) -> str:
        return f"{folder}/{path}"

    out: list[Change] = []
    for change in changes:
        if isinstance(change, Put):
            out.append(Put(join(change.path), change.content))
        elif isinstance(change, Delete):
            out.append(Delete(join(change.path)))
        else:
            out.append(Move(join(change.src), join(change.dst)))
    return out


@dataclass(frozen=True)
class CommitInfo:
    """Metadata of one commit."""

    sha: str
    author_name: str
    author_email: str
    authored_date: dt.datetime
    committed_date: dt.datetime
    message: str
    parents: tuple[str, ...] = ()

    @property
    def date(self) -> dt.datetime:
        """Alias of ``authored_date`` (the date a change was made)."""
        return self.authored_date

    @property
    def summary(self) -> str:
        """First line of the message."""
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class FileChange:
    """One file changed by a commit; blobs are None on the missing side."""

    status: str  # "A" | "M" | "D"
    path: str
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True)
class CommitChanges:
    """A commit and the files it changed (restricted to the logged paths)."""

    commit: CommitInfo
    changes: tuple[FileChange, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class BlameLine:
    """Who last changed one line of a file."""

    line: int
    text: str
    commit: str
    author_name: str
    authored_date: dt.datetime


# --- the store -------------------------------------------------------------------


class Store:
    """A bare git repository holding one folder per methodology.

    Reads are cached by object sha (objects are immutable); refs are read from the disk
    on every use; writes are serialised by a file lock, so one ``Store`` may be shared by
    threads and several processes may write to the same repository.

    With a ``remote`` (a bare repository's path or URL that several servers share) the
    repository is that remote's copy: every write is pushed with a compare-and-swap of
    its ref (`git push --atomic --force-with-lease=<ref>:<expected sha>`) before the local
    ref moves, and reads fetch the remote's refs when they differ from the copy's, asking
    at most every ``staleness`` seconds (0: on every read).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        branch: str | None = None,
        remote: str | None = None,
        staleness: float = 1.0,
    ) -> None:
        self.path = os.fspath(path)
        try:
            self.repo = git.Repo(self.path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise StoreNotFound(
                f"no parindex store at {self.path}: not a git repository",
                path=self.path,
                suggestion="create one with `parindex init --store PATH`",
            ) from exc
        self.branch = branch or self._default_branch()
        self.stale_lock_seconds = STALE_REF_LOCK_SECONDS
        self._odb_lock = threading.Lock()  # GitPython's cat-file pipes are not thread-safe
        self._trees: _git.LRU[dict[str, Entry]] = _git.LRU(65536)  # by tree sha
        self._listings: _git.LRU[dict[str, str]] = _git.LRU(16384)  # {relpath: blob sha}
        self._blobs: _git.LRU[bytes] = _git.LRU(4096)  # by blob sha
        self._commits: _git.LRU[tuple[CommitInfo, str]] = _git.LRU(65536)  # (info, tree sha)
        # An object's peeled commit never changes; reading a release's tag object from the
        # pack took most of the time of resolving `methodology@2022` on every request.
        self._peeled: _git.LRU[str] = _git.LRU(16384)  # by tag or commit sha
        self._since_housekeeping = 0  # commits by this object since it last packed
        # Commits asked of this object, by outcome (`commit`), for an operator's metrics.
        self.writes: dict[str, int] = {"committed": 0, "conflict": 0, "refused": 0}
        self._writes_lock = threading.Lock()
        self._releases: _git.LRU[tuple[Release | None]] = _git.LRU(4096)  # by tag sha and name
        # git runs in the store's folder: a relative path to a local remote must not move.
        self.remote = os.path.abspath(remote) if remote and os.path.exists(remote) else remote
        self.staleness = staleness
        self._asked_remote = -float("inf")  # time.monotonic() of the last look at its refs
        self._sync_lock = threading.Lock()
        self._writing = threading.local()  # `.held`: this thread holds the writers' lock

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        branch: str | None = None,
        remote: str | None = None,
        staleness: float = 1.0,
    ) -> Store:
        """Open an existing store; :class:`StoreNotFound` if there is none."""
        return cls(path, branch=branch, remote=remote, staleness=staleness)

    @classmethod
    def init(cls, path: str | os.PathLike[str], *, branch: str = "main") -> Store:
        """Create a new bare store with ``branch`` as its default branch."""
        path = os.fspath(path)
        try:
            repo = git.Repo.init(path, mkdir=True, bare=True, initial_branch=branch)
            with repo.config_writer() as cfg:
                # Fallback identity so plain git commands work in the store.
                cfg.set_value("user", "name", DEFAULT_IDENTITY[0])
                cfg.set_value("user", "email", DEFAULT_IDENTITY[1])
            repo.close()
        except git.GitCommandError as exc:
            raise StoreError(f"cannot create store at {path}: {exc.stderr.strip()}") from exc
        return cls(path, branch=branch)

    def close(self) -> None:
        """Stop git helper processes held by this store."""
        self.repo.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r}, branch={self.branch!r})"

    @property
    def git_dir(self) -> str:
        """The repository's git directory (the store path itself: stores are bare)."""
        return os.fspath(self.repo.git_dir)

    def _default_branch(self) -> str:
        try:
            return str(self.repo.git.symbolic_ref("--short", "HEAD"))
        except git.GitCommandError:
            return "main"

    # --- low-level object access ------------------------------------------------

    def _raw(self, sha: str) -> tuple[str, bytes]:
        try:
            with self._odb_lock:
                stream = self.repo.odb.stream(bytes.fromhex(sha))
                return stream.type.decode(), stream.read()
        except (ValueError, git.BadName, git.BadObject, git.GitCommandError) as exc:
            raise StoreError(f"missing git object {sha}") from exc

    def _store_object(self, kind: bytes, data: bytes) -> str:
        istream = self.repo.odb.store(IStream(kind, len(data), io.BytesIO(data)))
        binsha: bytes = istream.binsha  # gitdb has no types
        return binsha.hex()

    def _tree(self, sha: str) -> dict[str, Entry]:
        entries = self._trees.get(sha)
        if entries is None:
            kind, data = self._raw(sha)
            if kind != "tree":
                raise StoreError(f"object {sha} is a {kind}, not a tree")
            entries = _git.parse_tree(data)
            self._trees.put(sha, entries)
        return entries

    def _commit(self, sha: str) -> tuple[CommitInfo, str]:
        cached = self._commits.get(sha)
        if cached is None and not _FULL_SHA.fullmatch(sha):
            return self._commit(self.resolve(sha))  # be lenient: a ref or short sha
        if cached is None:
            kind, data = self._raw(sha)
            if kind != "commit":
                raise StoreError(f"object {sha} is a {kind}, not a commit")
            headers, message = _git.parse_object(data)
            values = dict(headers)
            author = _git.parse_ident(values.get("author", ""))
            committer = _git.parse_ident(values.get("committer", ""))
            info = CommitInfo(
                sha=sha,
                author_name=author[0],
                author_email=author[1],
                authored_date=author[2],
                committed_date=committer[2],
                message=message.rstrip("\n"),
                parents=tuple(v for k, v in headers if k == "parent"),
            )
            cached = (info, values["tree"])
            self._commits.put(sha, cached)
        return cached

    def _entry(self, root: str | None, path: str) -> Entry | None:
        """The (mode, sha) at ``path`` inside tree ``root``, without listing folders."""
        entry: Entry | None = (TREE_MODE, root) if root else None
        for part in _git.split(path):
            if entry is None or entry[0] != TREE_MODE:
                return None
            entry = self._tree(entry[1]).get(part)
        return entry

    def _git_output(self, *args: str) -> str:
        """Stdout of one git command, bypassing GitPython's slower output handling."""
        cmd = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", "--git-dir", self.git_dir, *args]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise StoreError(f"git {args[0]} failed: {reason[-1] if reason else proc.returncode}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    # --- reading ------------------------------------------------------------------

    def _ref(self, name: str) -> str | None:
        # The name becomes a file path under the git dir: never let it escape.
        if ".." in name or name.startswith("/") or "\\" in name or "\0" in name:
            return None
        try:
            return git.SymbolicReference.dereference_recursive(self.repo, name)
        except (ValueError, OSError):
            return None

    def _peel(self, sha: str) -> str:
        peeled = self._peeled.get(sha)
        if peeled is None:
            peeled = self._peel_uncached(sha)
            self._peeled.put(sha, peeled)
        return peeled

    def _peel_uncached(self, sha: str) -> str:
        for _ in range(16):  # tags of tags are legal; bound the chain
            kind, data = self._raw(sha)
            if kind == "commit":
                return sha
            if kind != "tag":
                raise StoreError(f"{sha} points to a {kind}, not a commit")
            sha = dict(_git.parse_object(data)[0])["object"]
        raise StoreError(f"tag chain too long at {sha}")

    def _ref_names(self) -> list[str]:
        self.sync()
        out = self.repo.git.for_each_ref("--format=%(refname:short)", "refs/heads", "refs/tags")
        return [line for line in out.splitlines() if line]

    def head(self, branch: str | None = None) -> str | None:
        """The commit at the tip of ``branch`` (default branch), None if it has none."""
        self.sync()
        return self._ref(f"refs/heads/{branch or self.branch}")

    def resolve(self, ref: str | None = None, methodology: str | None = None) -> str:
        """Resolve ``ref`` to a full commit sha.

        Tried in order: an exact branch/tag/ref name, the tag
        ``<methodology>/<ref>``, a date ``YYYY-MM-DD`` (or ISO date and time) or an
        assessment year ``year:YYYY`` (`_resolve_meant`), then a full or abbreviated
        sha. ``None`` is the default branch.
        """
        if ref is None:
            sha = self.head()
            if sha is None:
                raise RefNotFound(f"branch {self.branch!r} has no commits yet", path=self.path)
            return sha
        self.sync()
        ref = nfc(ref.strip())
        if not ref:
            raise RefNotFound("empty ref")
        candidates = [ref] if ref.startswith("refs/") else []
        candidates += [f"refs/heads/{ref}", f"refs/tags/{ref}"]
        if ref == "HEAD":
            candidates.append("HEAD")
        if methodology:
            candidates.append(f"refs/tags/{nfc(methodology)}/{ref}")
        for name in candidates:
            sha = self._ref(name)
            if sha is not None:
                return self._peel(sha)
        meant = parse_ref(ref)
        if meant is not None:
            return self._resolve_meant(meant, ref, methodology)
        if _HEX.fullmatch(ref):
            try:
                found = self.repo.git.rev_parse("--verify", "-q", f"{ref}^{{commit}}")
                return str(found).strip()
            except git.GitCommandError:
                pass
        names = self._ref_names()
        if methodology:
            prefix = f"{nfc(methodology)}/"
            names += [n[len(prefix) :] for n in names if n.startswith(prefix)]
        near = difflib.get_close_matches(ref, names, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise RefNotFound(f"unknown ref {ref!r}{hint}", candidates=near)

    def _resolve_meant(self, meant: AsOf | ForYear, ref: str, methodology: str | None) -> str:
        """A date or a year: the release of ``methodology`` in force on that day, or the
        one applying to that assessment year (`methodology.releases`). A date without a
        methodology, or for one none of whose releases says when it takes effect (a store
        made before releases carried it), is the last commit of the default branch at or
        before it (end of day, UTC, for a bare date)."""
        named = f"{methodology}@{ref}" if methodology else ref
        if isinstance(meant, ForYear):
            if not methodology:
                raise RefNotFound(f"'{ref}' names an assessment year: write <methodology>@{ref}")
            return release_for_year(self.releases(methodology), meant.year, ref=named).commit
        releases = self.releases(methodology) if methodology else []
        if any(r.effective is not None for r in releases):
            return release_in_force(releases, meant.day, ref=named, since=self._since).commit
        head = self.head()
        stamp = int(meant.instant.timestamp())
        # git reads a negative `@<seconds>` as no date at all, and keeps every commit
        out = head and stamp >= 0 and self.repo.git.rev_list("-1", f"--before=@{stamp}", head, "--")
        if out:
            return str(out).strip()
        raise RefNotFound(f"no commit on {self.branch!r} as of {ref}")

    def _since(self, release: Release) -> dt.date:
        """When ``release`` takes effect; its commit's date on a tag that does not say."""
        if release.effective is not None:
            return release.effective
        return self.commit_info(release.commit).authored_date.date()

    def commit_info(self, sha: str) -> CommitInfo:
        """Metadata of commit ``sha`` (full sha; cached)."""
        return self._commit(sha)[0]

    def tree_id(self, commit: str, prefix: str = "") -> str | None:
        """The tree sha of folder ``prefix`` at ``commit`` (None if absent)."""
        prefix = _git.check_path(prefix.strip("/"), allow_root=True)
        entry = self._entry(self._commit(commit)[1], prefix)
        return entry[1] if entry and entry[0] == TREE_MODE else None

    def list_files(self, commit: str, prefix: str = "") -> dict[str, str]:
        """Every blob under folder ``prefix`` at ``commit``: {relative path: blob sha}.

        Empty if the folder does not exist. Listings are cached by tree sha, and
        unchanged sub-folders are shared between versions.
        """
        tree = self.tree_id(commit, prefix)
        return dict(self._listing(tree)) if tree else {}

    def _listing(self, tree: str) -> dict[str, str]:
        cached = self._listings.get(tree)
        if cached is None:
            cached = {}
            for name, (mode, sha) in self._tree(tree).items():
                if mode == TREE_MODE:
                    for sub, blob in self._listing(sha).items():
                        cached[f"{name}/{sub}"] = blob
                elif mode != "160000":  # submodule links are not files
                    cached[name] = sha
            self._listings.put(tree, cached)
        return cached

    def read_blob(self, sha: str) -> bytes:
        """Content of blob ``sha`` (LRU-cached)."""
        data = self._blobs.get(sha)
        if data is None:
            kind, data = self._raw(sha)
            if kind != "blob":
                raise StoreError(f"object {sha} is a {kind}, not a blob")
            self._blobs.put(sha, data)
        return data

    def read_file(self, commit: str, path: str) -> bytes:
        """Content of the file at ``path`` in ``commit``; StoreError if missing."""
        path = _git.check_path(path)
        entry = self._entry(self._commit(commit)[1], path)
        if entry is None or entry[0] == TREE_MODE:
            raise StoreError(f"no file {path!r} at {commit[:12]}", path=path)
        return self.read_blob(entry[1])

    def methodologies(self, commit: str) -> list[str]:
        """Top-level folders of ``commit`` that contain ``methodology.yaml``, sorted."""
        root = self._tree(self._commit(commit)[1])
        return sorted(
            name
            for name, (mode, sha) in root.items()
            if mode == TREE_MODE and "methodology.yaml" in self._tree(sha)
        )

    # --- releases -------------------------------------------------------------------

    def tag_release(
        self,
        methodology: str,
        name: str,
        commit: str,
        *,
        decision: str,
        date: dt.date,
        effective: dt.date | None = None,
        years: object = None,
        amends: str | None = None,
        tagger: Person | None = None,
        message: str | None = None,
    ) -> Release:
        """Create the annotated tag ``<methodology>/<name>`` on ``commit``.

        The tag message starts with ``<decision> (<date>)`` and ends with the release's
        metadata (`methodology.releases.trailer`) that :meth:`releases` parses back:
        the decision, its date, the date it takes effect (``effective``, the decision's
        date when not given), the assessment ``years`` it applies to (``2022-2030``,
        a list …) and the release it ``amends`` (``<methodology>/<name>`` or the short
        name), checked by `methodology.releases.check_release` (ReleaseError, nothing
        written). The tagger date is the decision date. An existing tag is never
        overwritten.
        """
        methodology, name, decision = nfc(methodology), nfc(name), nfc(decision).strip()
        if not decision or "\n" in decision:
            raise StoreError("decision must be a non-empty single line")
        if isinstance(date, dt.datetime):
            date = date.date()
        if isinstance(effective, dt.datetime):
            effective = effective.date()
        tag = f"{methodology}/{name}"
        self.sync(force=True)  # the releases another server made count as existing
        try:
            self.repo.git.check_ref_format(f"refs/tags/{tag}")
        except git.GitCommandError as exc:
            raise StoreError(f"invalid release name {tag!r}") from exc
        effective, checked_years, amended = check_release(
            methodology,
            date=date,
            effective=effective,
            years=years,
            amends=amends,
            existing=self.releases(methodology),
        )
        target = self.resolve(commit)
        tagger = tagger or Person(*DEFAULT_IDENTITY)
        when = dt.datetime.combine(date, dt.time(0), dt.UTC)
        parts = [f"{decision} ({date.isoformat()})"]
        if message and message.strip():
            parts.append(nfc(message).strip())
        parts.append(
            trailer(decision, date, effective=effective, years=checked_years, amends=amended)
        )
        body = (
            f"object {target}\ntype commit\ntag {tag}\n"
            f"tagger {_git.format_ident(tagger.name, tagger.email, when)}\n\n"
            + "\n\n".join(parts)
            + "\n"
        )
        sha = self._store_object(b"tag", body.encode("utf-8"))
        with self._locked():
            # Another server's release of the same name: the push finds the tag there.
            if self.remote is not None and not self._push({f"refs/tags/{tag}": (sha, None)}):
                raise StoreError(f"release {tag!r} already exists", path=tag)
            try:
                # Old value of zeros: refuse if the tag appeared meanwhile.
                self.repo.git.update_ref(f"refs/tags/{tag}", sha, ZERO_SHA)
            except git.GitCommandError as exc:
                raise StoreError(f"release {tag!r} already exists", path=tag) from exc
        release = self._release(tag, sha)
        assert release is not None
        return release

    def releases(self, methodology: str | None = None) -> list[Release]:
        """Releases (annotated tags carrying a decision), sorted by date then name."""
        self.sync()
        pattern = f"refs/tags/{nfc(methodology)}/" if methodology else "refs/tags"
        out = self.repo.git.for_each_ref(
            "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)", pattern
        )
        found = []
        for line in out.splitlines():
            tag, kind, sha = line.split("\0")
            if kind == "tag" and "/" in tag:
                release = self._release(tag, sha)
                if release is not None:
                    found.append(release)
        return sorted(found, key=lambda r: (r.date, r.methodology, r.name))

    def _release(self, tag: str, sha: str) -> Release | None:
        # A tag object never changes: parse each once (date refs list every release).
        key = f"{sha} {tag}"
        cached = self._releases.get(key)
        if cached is None:
            cached = (self._release_uncached(tag, sha),)
            self._releases.put(key, cached)
        return cached[0]

    def _release_uncached(self, tag: str, sha: str) -> Release | None:
        headers, text = _git.parse_object(self._raw(sha)[1])
        meta = parse_trailer(text)
        if meta is None:
            return None
        methodology, _, name = tag.partition("/")
        return Release(
            methodology=methodology,
            name=name,
            tag=tag,
            commit=self._peel(dict(headers)["object"]),
            decision=meta.decision,
            date=meta.date,
            message=meta.message,
            effective=meta.effective,
            years=meta.years,
            amends=meta.amends,
        )

    # --- writing --------------------------------------------------------------------

    def commit(
        self,
        changes: Sequence[Change],
        *,
        message: str,
        author: Person,
        base: str | None = None,
        date: dt.datetime | None = None,
        branch: str | None = None,
        verify: Callable[[str, str, str], None] | None = None,
    ) -> str:
        """`_commit_changes`, counted in `writes` by outcome: ``committed``, ``conflict``
        (a stale base: another edit of the same paths landed first) or ``refused``."""
        try:
            sha = self._commit_changes(
                changes,
                message=message,
                author=author,
                base=base,
                date=date,
                branch=branch,
                verify=verify,
            )
        except StaleBaseError:
            self._count("conflict")
            raise
        except Exception:
            self._count("refused")
            raise
        self._count("committed")
        return sha

    def _count(self, outcome: str) -> None:
        with self._writes_lock:
            self.writes[outcome] += 1

    def _commit_changes(
        self,
        changes: Sequence[Change],
        *,
        message: str,
        author: Person,
        base: str | None,
        date: dt.datetime | None,
        branch: str | None,
        verify: Callable[[str, str, str], None] | None,
    ) -> str:
        """Apply ``changes`` as ONE commit on ``branch`` and return its sha.

        With ``base`` older than the head, the write still lands on top of the
        head unless a touched path changed since ``base`` (:class:`StaleBaseError`,
        nothing written); a branch that does not exist yet starts at ``base`` (or
        empty without one). Author and committer are ``author`` at ``date``
        (default now). The branch only moves once every object is written.

        Edits to different paths can each be valid yet invalid together (two nodes
        given one code), so when the write lands on a head other than ``base``,
        ``verify(new commit, base, head)`` runs under the writers' lock, before the
        branch moves: it raises to refuse the combined result (nothing written).
        """
        branch = branch or self.branch
        ops = _normalise_changes(changes)
        if not ops:
            raise StoreError("nothing to commit: no changes given")
        text = nfc(message).strip()
        if not text:
            raise StoreError("a commit message is required")
        when = date or dt.datetime.now(dt.UTC)
        ident = _git.format_ident(author.name, author.email, when)
        # Blobs are content-addressed: writing them before taking the lock is safe
        # and keeps the critical section short.
        blobs = {
            i: self._store_object(b"blob", op.content)
            for i, op in enumerate(ops)
            if isinstance(op, Put)
        }
        with self._locked():
            for _ in range(PUSH_ATTEMPTS if self.remote is not None else 1):
                self.sync(force=True)  # the remote's head, under the lock: nothing moves it
                sha, tip, written = self._write_commit(
                    ops, blobs, branch, base, text, ident, verify
                )
                # The compare-and-swap: the remote's branch moves only if it is still `tip`.
                if self.remote is None or self._push({f"refs/heads/{branch}": (sha, tip)}):
                    break
                log.info("branch %r moved on %s while writing; writing again", branch, self.remote)
            else:
                raise StoreError(
                    f"branch {branch!r} kept moving on {self.remote}: {PUSH_ATTEMPTS} writes "
                    "of other servers landed first; retry"
                )
            # On disk before the branch names them, so a power cut cannot leave a branch
            # pointing at objects that were still in the page cache.
            _git.fsync_objects(self.git_dir, [*written, sha])
            self._clear_stale_ref_lock(branch)
            try:
                self.repo.git.update_ref(f"refs/heads/{branch}", sha, tip or ZERO_SHA)
            except git.GitCommandError as exc:
                self._refuse_locked_ref(branch)
                raise StoreError(f"branch {branch!r} was moved by another writer; retry") from exc
            _git.fsync_path(os.path.join(self.git_dir, "refs", "heads", *branch.split("/")))
            self._after_write()
        return sha

    def _write_commit(
        self,
        ops: list[Change],
        blobs: dict[int, str],
        branch: str,
        base: str | None,
        text: str,
        ident: str,
        verify: Callable[[str, str, str], None] | None,
    ) -> tuple[str, str | None, list[str]]:
        """The commit of ``ops`` on the head of ``branch``: (its sha, the head it is on,
        the objects written for it). Under the writers' lock; no ref moves."""
        head = tip = self.head(branch)
        if base is not None:
            base_sha = self.resolve(base)
            if head is None:
                head = base_sha  # a new branch starts from its base
            elif base_sha != head:
                self._check_stale(base_sha, head, ops)
        head_tree = self._commit(head)[1] if head else None
        written = list(blobs.values())

        def write_tree(data: bytes) -> str:
            written.append(self._store_object(b"tree", data))
            return written[-1]

        editor = _git.TreeEditor(head_tree, self._tree, write_tree)
        for i, op in enumerate(ops):
            _apply(editor, op, blobs.get(i))
        new_tree = editor.write()
        if new_tree == head_tree or (head is None and new_tree == _EMPTY_TREE):
            raise StoreError("nothing to commit: the changes leave the tree as it is")
        parents = f"parent {head}\n" if head else ""
        body = f"tree {new_tree}\n{parents}author {ident}\ncommitter {ident}\n\n{text}\n"
        sha = self._store_object(b"commit", body.encode("utf-8"))
        # With a tip the head is the tip: a branch that exists does not move to base.
        if verify is not None and base is not None and tip is not None and tip != base_sha:
            verify(sha, base_sha, tip)
        return sha, tip, written

    def _after_write(self) -> None:
        self._since_housekeeping += 1
        if self._since_housekeeping >= HOUSEKEEPING_EVERY:
            self.housekeep()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the writers' lock: every ref of this repository moves under it."""
        with _git.file_lock(os.path.join(self.git_dir, "parindex.lock")):
            self._writing.held = True
            try:
                yield
            finally:
                self._writing.held = False

    # --- the remote -------------------------------------------------------------------

    def sync(self, *, force: bool = False) -> None:
        """With a remote: make this copy's branches and tags the remote's when they differ
        (one `git ls-remote`, and a `git fetch` only then), asking at most every
        `staleness` seconds unless ``force``. Without a remote: nothing to do."""
        if self.remote is None:
            return
        if getattr(self._writing, "held", False):
            # A writer: it forces a look once, before it writes; reads under its lock
            # must see what it saw. It holds the lock readers would wait for to fetch.
            if force:
                self._fetch_if_moved(locked=True)
            return
        if not force and time.monotonic() - self._asked_remote < self.staleness:
            return
        # A reader does not queue behind another thread asking the remote (which may take
        # up to REMOTE_TIMEOUT): it reads the copy as it is meanwhile.
        if not self._sync_lock.acquire(blocking=force):
            return
        try:
            if not force and time.monotonic() - self._asked_remote < self.staleness:
                return  # another thread asked while this one waited
            try:
                self._fetch_if_moved(locked=False)
            except StoreError as exc:
                if force:
                    raise
                # Reads go on from the copy as it is (writes, which push, are refused);
                # the next look is one window later, so a dead remote costs one try each.
                self._asked_remote = time.monotonic()
                log.warning("reading the store's copy as it is: %s", exc)
        finally:
            self._sync_lock.release()

    def _fetch_if_moved(self, *, locked: bool) -> None:
        asked = time.monotonic()
        remote = self._remote_refs()
        # An empty remote has nothing to give: `publish` fills it, pruning would empty us.
        if remote and remote != self._local_refs():
            if locked:
                self._fetch()
            else:
                with self._locked():
                    self._fetch()
        self._asked_remote = asked

    def _remote_refs(self) -> dict[str, str]:
        out = self._run_git("ls-remote", "--refs", str(self.remote))
        refs = (line.split("\t", 1) for line in out.splitlines() if "\t" in line)
        return {ref: sha for sha, ref in refs if ref.startswith(("refs/heads/", "refs/tags/"))}

    def _local_refs(self) -> dict[str, str]:
        out = self._run_git(
            "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"
        )
        return {ref: sha for sha, ref in (line.split(" ", 1) for line in out.splitlines())}

    def _fetch(self) -> None:
        self._run_git(
            "fetch",
            "--quiet",
            "--prune",
            "--no-auto-gc",
            "--no-write-fetch-head",
            "--update-head-ok",
            str(self.remote),
            *_REFSPECS,
        )
        self._after_write()  # what was fetched is packed like what was written

    def _push(self, updates: dict[str, tuple[str, str | None]]) -> bool:
        """Push ``{ref: (new sha, expected sha or None for "must not exist")}`` to the
        remote as one atomic compare-and-swap: True when every ref moved, False when the
        remote refused because one was not as expected (nothing moved); StoreError when
        the remote cannot be reached."""
        leases = [f"--force-with-lease={ref}:{old or ''}" for ref, (_, old) in updates.items()]
        specs = [f"{new}:{ref}" for ref, (new, _) in updates.items()]
        command = ["git", "-C", self.git_dir, "push", "--atomic", "--porcelain", *leases]
        done = _git_run([*command, str(self.remote), *specs], remote=True)
        flags = {line[:1] for line in done.stdout.splitlines()}
        if done.returncode == 0:
            # "=": the ref was already the new value (the same release made twice): git
            # skips the lease then, yet the ref was not ours to create.
            return "=" not in flags
        if "!" in flags:
            # A ref refused: another server moved it first (the lease, or the remote's
            # own check of the old value when two pushes cross), or the remote refuses
            # this push whatever the refs hold (a hook, a protected branch). Which one,
            # the remote's refs tell: only a lost race is retried or answered 409.
            remote = self._remote_refs()
            if any(remote.get(ref) != old for ref, (_, old) in updates.items()):
                return False
        refused = [line for line in done.stdout.splitlines() if line.startswith("!")]
        reason = (refused or done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise StoreError(f"cannot push to the store's remote {self.remote}: {reason}")

    def publish(self) -> bool:
        """Push every branch and release of this repository to an empty remote, in one
        atomic push; False (nothing pushed) when the remote has any of them already —
        another server published first, and `sync` makes this store its copy."""
        if self.remote is None:
            raise StoreError("this store has no remote to publish to")
        return self._push({ref: (sha, None) for ref, sha in self._local_refs().items()})

    def housekeep(self) -> None:
        """Pack the loose objects once there are more than `PACK_LOOSE_OBJECTS`, prune
        unreachable ones older than two weeks (a refused edit's blobs do not stay
        forever), and let `git gc --auto` merge packs when there are many. Run under the
        writers' lock by `commit` every `HOUSEKEEPING_EVERY` commits, so it never races a
        write of this store; readers keep reading while the packs change."""
        self._since_housekeeping = 0
        counts = dict(
            line.split(": ", 1) for line in self._run_git("count-objects", "-v").splitlines()
        )
        steps: list[tuple[str, ...]] = [("gc", "--auto", "--quiet")]
        if int(counts.get("count", "0")) > PACK_LOOSE_OBJECTS:
            steps = [("repack", "-d", "-q"), ("prune", "--expire=2.weeks.ago"), *steps]
        for step in steps:
            try:
                self._run_git(*step)
            except StoreError as exc:  # the write it follows stands; the next one retries
                log.warning("%s", exc)
                return

    def _run_git(self, *args: str) -> str:
        # gc must not go on in the background after the writers' lock is released.
        command = ["git", "-C", self.git_dir, "-c", "gc.autoDetach=false", *args]
        done = _git_run(command, remote=args[0] in ("ls-remote", "fetch"))
        if done.returncode != 0:
            raise StoreError(f"git {args[0]} failed in {self.git_dir}: {done.stderr.strip()}")
        return done.stdout

    def _ref_lock(self, branch: str) -> str:
        return os.path.join(self.git_dir, "refs", "heads", f"{branch}.lock")

    def _clear_stale_ref_lock(self, branch: str) -> None:
        """Remove `refs/heads/<branch>.lock` when no one holds it: every writer of this
        store holds the flock we hold now, so a lock older than a write can take and
        open in no process was left by a writer that died (git would refuse every
        later write with "retry" forever). Called under the writers' flock only."""
        path = self._ref_lock(branch)
        age = _git.lock_age(path)
        if age is None or age < self.stale_lock_seconds or _git.open_by_a_process(path):
            return
        os.unlink(path)
        log.warning(
            "removed the stale lock %s (%.0f s old, held by no process): "
            "a writer died while moving branch %r",
            path,
            age,
            branch,
        )

    def _refuse_locked_ref(self, branch: str) -> None:
        path = self._ref_lock(branch)
        age = _git.lock_age(path)
        if age is None:
            return
        held = _git.open_by_a_process(path)
        raise StoreError(
            f"branch {branch!r} is locked by {path} ({age:.0f} s old, "
            + ("held open by a running process" if held else "held by no process")
            + f"); retry in a moment. A lock older than {self.stale_lock_seconds:.0f} s "
            "that no process holds is cleared by the next write",
            path=f"refs/heads/{branch}.lock",
        )

    def _check_stale(self, base: str, head: str | None, ops: list[Change]) -> None:
        base_tree = self._commit(base)[1]
        head_tree = self._commit(head)[1] if head else None
        touched: list[str] = []
        for op in ops:
            touched += [op.src, op.dst] if isinstance(op, Move) else [op.path]
        conflicts = [
            p
            for p in dict.fromkeys(touched)
            if self._entry(base_tree, p) != self._entry(head_tree, p)
        ]
        if conflicts:
            raise StaleBaseError(
                f"{len(conflicts)} path(s) changed since {base[:12]}: {', '.join(conflicts)}",
                conflicts=conflicts,
                path=conflicts[0],
            )

    # --- history --------------------------------------------------------------------

    def log(
        self,
        prefix: str = "",
        ref: str | None = None,
        *,
        paths: Iterable[str] | None = None,
        patterns: Iterable[str] | None = None,
    ) -> list[CommitChanges]:
        """Commits (newest first, first parents) that touched ``prefix``, with their files.

        ``paths`` (store-relative files or folders) and ``patterns`` (git glob
        patterns such as ``m/**/c1.md``, where ``**/`` also matches no folder),
        all under ``prefix``, narrow the log to what they match. One ``git log``
        process; nothing is loaded per commit.
        """
        prefix = _git.check_path(prefix.strip("/"), allow_root=True)
        specs: list[str] = []
        if paths is not None or patterns is not None:
            literal = [_git.check_path(p) for p in paths or ()]
            globs = [_git.check_path(p) for p in patterns or ()]
            outside = [
                p
                for p in literal + globs
                if prefix and not (p == prefix or p.startswith(prefix + "/"))
            ]
            if outside:
                raise StoreError(f"paths outside {prefix!r}: {', '.join(outside)}", path=outside[0])
            if not literal and not globs:
                return []
            specs = [f":(literal){p}" for p in literal] + [f":(glob){p}" for p in globs]
        elif prefix:
            specs = [f":(literal){prefix}"]
        if ref is None:
            start = self.head()
            if start is None:
                return []
        else:
            start = self.resolve(ref)
        fmt = _RECORD + "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B%x00"
        args = ["--first-parent", "--raw", "--no-renames", "--no-abbrev", "-z", f"--format={fmt}"]
        return _parse_log(self._git_output("log", *args, start, "--", *specs))

    def first_parent_order(self, ref: str | None = None) -> dict[str, int]:
        """{sha: position} along the first-parent chain of ``ref``, 0 = newest."""
        start = self.head() if ref is None else self.resolve(ref)
        if start is None:
            return {}
        out = self._git_output("rev-list", "--first-parent", start, "--")
        return {sha: i for i, sha in enumerate(out.split())}

    def blame(self, commit: str, path: str) -> list[BlameLine]:
        """Who last changed each line of ``path`` at ``commit`` (follows moves)."""
        path = _git.check_path(path)
        sha = self.resolve(commit)
        entry = self._entry(self._commit(sha)[1], path)
        if entry is None or entry[0] == TREE_MODE:
            raise StoreError(f"cannot blame {path!r} at {sha[:12]}: no such file", path=path)
        return _parse_blame(self._git_output("blame", "--porcelain", "-M", sha, "--", path))


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# A remote that does not answer in this many seconds is taken as unreachable: readers must
# not wait on it for ever, holding the lock other readers queue on.
REMOTE_TIMEOUT = 60.0


def _git_run(command: list[str], *, remote: bool) -> subprocess.CompletedProcess[str]:
    """Run git; with ``remote``, never prompting for a password nobody can type (a server
    authenticates with a key or a stored credential) and bounded by `REMOTE_TIMEOUT`."""
    if not remote:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(
            command, capture_output=True, text=True, check=False, env=env, timeout=REMOTE_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            command, 1, "", f"the remote did not answer in {REMOTE_TIMEOUT:.0f} s"
        )


# --- helpers ---------------------------------------------------------------------------


def _normalise_changes(changes: Sequence[Change]) -> list[Change]:
    ops: list[Change] = []
    for op in changes:
        if isinstance(op, Put):
            if not isinstance(op.content, bytes | bytearray | memoryview):
                raise StoreError(f"content of {op.path!r} must be bytes", path=op.path)
            ops.append(Put(_git.check_path(op.path), bytes(op.content)))
        elif isinstance(op, Delete):
            ops.append(Delete(_git.check_path(op.path)))
        elif isinstance(op, Move):
            src, dst = _git.check_path(op.src), _git.check_path(op.dst)
            if dst == src or dst.startswith(src + "/"):
                raise StoreError(f"cannot move {src!r} into itself ({dst!r})", path=src)
            ops.append(Move(src, dst))
        else:
            raise StoreError(f"unknown change {op!r}")
    return ops


def _apply(editor: _git.TreeEditor, op: Change, blob: str | None) -> None:
    if isinstance(op, Put):
        assert blob is not None
        editor.put(op.path, (BLOB_MODE, blob), replace_file=True)
    elif isinstance(op, Delete):
        editor.remove(op.path)
    else:
        entry = editor.remove(op.src)
        if editor.get(op.dst) is not None:
            raise StoreError(f"cannot move {op.src!r}: {op.dst!r} already exists", path=op.dst)
        editor.put(op.dst, entry, replace_file=False)


def _parse_log(out: str) -> list[CommitChanges]:
    commits: list[CommitChanges] = []
    fromiso = dt.datetime.fromisoformat
    new_change = FileChange
    for record in out.split(_RECORD)[1:]:
        sha, parents, an, ae, adate, cdate, message, rest = record.split("\0", 7)
        info = CommitInfo(
            sha,
            an,
            ae,
            fromiso(adate),
            fromiso(cdate),
            message.rstrip("\n"),
            tuple(parents.split()),
        )
        changes = tuple(
            new_change(
                status if status in "AMD" else "M",
                path,
                None if old == ZERO_SHA else old,
                None if new == ZERO_SHA else new,
            )
            for old, new, status, path in _RAW_ENTRY.findall(rest)
        )
        commits.append(CommitChanges(info, changes))
    return commits


def _parse_blame(out: str) -> list[BlameLine]:
    lines: list[BlameLine] = []
    meta: dict[str, dict[str, str]] = {}
    current: str | None = None
    final = 0
    for raw in out.split("\n"):
        if raw.startswith("\t"):
            assert current is not None
            m = meta[current]
            lines.append(
                BlameLine(
                    line=final,
                    text=raw[1:],
                    commit=current,
                    author_name=m.get("author", ""),
                    authored_date=_git.parse_date(
                        m.get("author-time", "0"), m.get("author-tz", "+0000")
                    ),
                )
            )
            continue
        key, _, value = raw.partition(" ")
        if len(key) == 40 and all(c in "0123456789abcdef" for c in key):
            current = key
            final = int(value.split(" ")[1])
            meta.setdefault(current, {})
        elif current is not None and key:
            meta[current][key] = value
    return lines
