"""Reading a methodology at a version: `<methodology>@<tag|branch|commit|date>`.

Versions are read straight from git objects. A resolved methodology is cached by the
id of its folder's tree, and parsed nodes by their blob id, so readers of different
versions never interfere and a warm read costs a ref lookup.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

from methodology.errors import MethodologyError, RefNotFound
from methodology.store import Store
from methodology.tree import Methodology, NodeCache, build_tree
from rules import Problem, did_you_mean

__all__ = ["Spec", "load_directory", "open_methodology", "parse_spec"]


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
        self.trees: dict[tuple[str, str], Methodology] = {}
        self.lock = threading.Lock()


_caches: weakref.WeakKeyDictionary[Store, _Caches] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _caches_for(store: Store) -> _Caches:
    with _caches_lock:
        caches = _caches.get(store)
        if caches is None:
            caches = _caches[store] = _Caches()
        return caches


def open_methodology(store: Store, spec: Spec | str) -> Methodology:
    """Resolve a methodology at a ref from the store (cached by tree id)."""
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
    key = (spec.methodology, tree)
    with caches.lock:
        cached = caches.trees.get(key)
        if cached is None:
            files = store.list_files(commit, spec.methodology)
            cached = build_tree(
                spec.methodology,
                files,
                store.read_blob,
                cache=caches.nodes,
                file_prefix=f"{spec.methodology}/",
            )
            if cached.manifest is not None and cached.manifest.id != spec.methodology:
                cached.problems.append(
                    Problem(
                        severity="error",
                        code="manifest-id-mismatch",
                        path="id",
                        line=None,
                        column=None,
                        file=f"{spec.methodology}/methodology.yaml",
                        message=f"manifest id '{cached.manifest.id}' differs from its folder '{spec.methodology}'",
                        suggestion=f"set id: {spec.methodology}",
                    )
                )
            caches.trees[key] = cached
    # The same tree may be reached from many commits; only the labels differ.
    return replace(cached, ref=spec.ref, commit=commit)


def load_directory(path: str | Path) -> Methodology:
    """Read a methodology from a folder on disk (an author's checkout)."""
    root = Path(path)
    if not (root / "methodology.yaml").is_file():
        raise MethodologyError(f"{root} is not a methodology folder (no methodology.yaml)")
    files = {
        p.relative_to(root).as_posix(): p.relative_to(root).as_posix()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    m = build_tree(
        root.name,
        files,
        lambda rel: (root / rel).read_bytes(),
        file_prefix=f"{root.as_posix().rstrip('/')}/",
    )
    # A checkout's folder may be named anything (a snapshot, a clone); the manifest names it.
    if m.manifest is not None:
        m.name = m.manifest.id
    return m
