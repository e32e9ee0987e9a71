"""Reading a methodology at a version: `<methodology>@<tag|branch|commit|date>`.

Versions are read straight from git objects. A resolved methodology is cached by the
id of its folder's tree, and parsed nodes by their blob id, so readers of different
versions never interfere and a warm read costs a ref lookup.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from methodology.derive import OVERLAY_FILE, derive, parse_overlay
from methodology.errors import MethodologyError, RefNotFound
from methodology.manifest import MANIFEST_FILE, parse_manifest
from methodology.store import Store
from methodology.tree import Methodology, NodeCache, build_tree
from rules import Problem, did_you_mean

__all__ = ["Spec", "Versions", "load_directory", "open_methodology", "parse_spec"]

_MAX_DEPTH = 8


@dataclass(frozen=True)
class Spec:
    """A methodology name and an optional ref, as written `name@ref`."""

    methodology: str
    ref: str | None = None

    def __str__(self) -> str:
        return f"{self.methodology}@{self.ref}" if self.ref else self.methodology


def parse_spec(text: str) -> Spec:
    """Split `name@ref`; without `@` the ref is the head of the default branch.

    >>> parse_spec("par-provincial@par-provincial/2022")
    Spec(methodology='par-provincial', ref='par-provincial/2022')
    """
    name, sep, ref = text.strip().partition("@")
    if not name:
        raise MethodologyError(f"'{text}' names no methodology; write <methodology>[@<ref>]")
    if sep and not ref:
        raise MethodologyError(f"'{text}' has an empty ref after '@'")
    return Spec(methodology=name.strip("/"), ref=ref or None)


class _Caches:
    def __init__(self) -> None:
        self.nodes: NodeCache = {}
        self.trees: dict[tuple[str, str, str | None], Methodology] = {}
        self.extends: dict[str, str | None] = {}  # manifest blob → its `extends`
        # Re-entrant: resolving a derived methodology resolves its parent inside the lock.
        self.lock = threading.RLock()


_caches: weakref.WeakKeyDictionary[Store, _Caches] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _caches_for(store: Store) -> _Caches:
    with _caches_lock:
        caches = _caches.get(store)
        if caches is None:
            caches = _caches[store] = _Caches()
        return caches


def open_methodology(store: Store, spec: Spec | str, *, _depth: int = 0) -> Methodology:
    """Resolve a methodology at a ref from the store (cached by tree id).

    A derived methodology (its manifest says `extends`) resolves to its effective tree:
    the parent at its pin with the overlay applied.
    """
    if isinstance(spec, str):
        spec = parse_spec(spec)
    commit = store.resolve(spec.ref, spec.methodology)
    tree = store.tree_id(commit, spec.methodology)
    if tree is None:
        names = store.methodologies(commit)
        raise RefNotFound(
            f"no methodology '{spec.methodology}' at {spec.ref or 'the head'} ({commit[:10]})",
            suggestion=did_you_mean(spec.methodology, names),
        )
    caches = _caches_for(store)
    files = store.list_files(commit, spec.methodology)
    parent = _parent(store, spec.methodology, files, store.read_blob, _depth, caches.extends)
    key = (spec.methodology, tree, parent.commit if parent else None)
    with caches.lock:
        cached = caches.trees.get(key)
        if cached is None:
            cached = _assemble(
                spec.methodology,
                files,
                store.read_blob,
                parent,
                cache=caches.nodes,
                file_prefix=f"{spec.methodology}/",
            )
            if cached.manifest is not None and cached.manifest.id != spec.methodology:
                cached.problems.append(
                    Problem(
                        "error",
                        "manifest-id-mismatch",
                        f"manifest id '{cached.manifest.id}' differs from its folder '{spec.methodology}'",
                        path="id",
                        file=f"{spec.methodology}/methodology.yaml",
                        suggestion=f"set id: {spec.methodology}",
                    )
                )
            caches.trees[key] = cached
    # The same tree may be reached from many commits; only the labels differ.
    return replace(cached, ref=spec.ref, commit=commit)


class Versions:
    """Which version a ``methodology@ref`` names, however the ref is spelled.

    A tag, its short name, a branch, a commit or a date all resolve to a commit; two
    commits are one version of a methodology when its folder is the same git tree (and,
    for a derived index, its parent is one version too), so commits that only changed
    other methodologies do not make a new one. Spellings are compared through this,
    never as text; each is resolved once per instance (one request, one command).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._spelled: dict[tuple[str, str | None], tuple[str, ...] | MethodologyError] = {}
        self._lock = threading.Lock()

    def of(self, methodology: str, ref: str | None) -> tuple[str, ...]:
        """The identity of ``methodology@ref`` (None: the head); MethodologyError when it
        names no version."""
        key = (methodology, ref)
        with self._lock:
            found = self._spelled.get(key)
        if found is None:
            try:
                found = self.identity(open_methodology(self.store, Spec(methodology, ref)))
            except MethodologyError as exc:
                found = exc
            with self._lock:
                self._spelled[key] = found
        if isinstance(found, MethodologyError):
            raise found
        return found

    def identity(self, m: Methodology) -> tuple[str, ...]:
        """What makes ``m`` the version it is: its name and folder tree, then its parent's."""
        if m.commit is None:
            raise MethodologyError(f"{m.name} was not read from the store; it has no version")
        tree = self.store.tree_id(m.commit, m.name)
        parent = m.extends
        if not parent:
            return (m.name, str(tree))
        return (m.name, str(tree), *self.of(parent["methodology"], parent["commit"]))

    def same(self, m: Methodology, methodology: str | None, ref: str | None) -> bool:
        """Whether ``methodology@ref`` names the version ``m`` is (False when it names none)."""
        if methodology != m.name:
            return False
        try:
            return self.of(methodology, ref) == self.identity(m)
        except MethodologyError:
            return False


def load_directory(path: str | Path, *, store: Store | None = None) -> Methodology:
    """Read a methodology from a folder on disk (an author's checkout).

    A derived methodology's parent is read from ``store``.
    """
    root = Path(path)
    if not (root / MANIFEST_FILE).is_file():
        raise MethodologyError(f"{root} is not a methodology folder (no {MANIFEST_FILE})")
    files = {
        p.relative_to(root).as_posix(): p.relative_to(root).as_posix()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }

    def read(rel: str) -> bytes:
        return (root / rel).read_bytes()

    parent = _parent(store, root.name, files, read, 0)
    m = _assemble(root.name, files, read, parent, file_prefix=f"{root.as_posix().rstrip('/')}/")
    # A checkout's folder may be named anything (a snapshot, a clone); the manifest names it.
    if m.manifest is not None:
        m.name = m.manifest.id
    return m


def _parent(
    store: Store | None,
    name: str,
    files: dict[str, str],
    read: Callable[[str], bytes],
    depth: int,
    memo: dict[str, str | None] | None = None,
) -> Methodology | None:
    """The resolved parent of a derived methodology, or None when it extends nothing."""
    blob = files.get(MANIFEST_FILE)
    if blob is None:
        return None
    memo = {} if memo is None else memo
    if blob not in memo:
        manifest, _ = parse_manifest(
            read(blob).decode("utf-8", errors="replace"), file=MANIFEST_FILE
        )
        memo[blob] = manifest.extends if manifest is not None else None
    extends = memo[blob]
    if not extends:
        return None
    if store is None:
        raise MethodologyError(f"{name} extends {extends}: give the store that holds it (--store)")
    if depth >= _MAX_DEPTH:
        raise MethodologyError(
            f"{name} extends {extends}: derivation deeper than {_MAX_DEPTH} (a cycle?)"
        )
    spec = parse_spec(extends)
    try:
        return open_methodology(store, spec, _depth=depth + 1)
    except RefNotFound as exc:
        raise RefNotFound(
            f"{name} extends {extends}, which cannot be read: {exc}",
            suggestion=exc.suggestion,
        ) from None


def _assemble(
    name: str,
    files: dict[str, str],
    read: Callable[[str], bytes],
    parent: Methodology | None,
    *,
    cache: NodeCache | None = None,
    file_prefix: str = "",
) -> Methodology:
    if parent is None:
        return build_tree(name, files, read, cache=cache, file_prefix=file_prefix)
    own = build_tree(
        name,
        files,
        read,
        cache=cache,
        file_prefix=file_prefix,
        external_parents=True,
        inherited_facts=parent.manifest.facts if parent.manifest else None,
    )
    blob = files.get(OVERLAY_FILE)
    text = read(blob).decode("utf-8", errors="replace") if blob else None
    overlay, problems = parse_overlay(text, file=f"{file_prefix}{OVERLAY_FILE}")
    own.problems.extend(problems)
    extends = own.manifest.extends if own.manifest else None
    spec = parse_spec(extends) if extends else None
    return derive(
        parent,
        own,
        overlay,
        parent_ref={
            "methodology": spec.methodology if spec else parent.name,
            "ref": spec.ref if spec else parent.ref,
            "commit": parent.commit,
        },
    )
