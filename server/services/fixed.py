"""What determines a methodology tree or a diff as the API serves it, and whether the
URL fixes it for good: the keys of `server.caching`.

A tree is determined by its commit and, for a derived index, by the commits of the
versions it extends (their pins are in the body). A URL fixes it when its `ref` is a
full commit sha or a release tag, and so is every pin up the derivation: the store
writes a tag once and never moves or deletes it (`Store.tag_release`), and a date or a
branch head may name another commit tomorrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from methodology import Methodology, Spec, Store, open_methodology
from server.services.methodologies import check_slug

__all__ = ["Fixed", "diff_key", "tree_key"]

_SHA = re.compile(r"[0-9a-f]{40}")
_MAX_DEPTH = 8  # as deep as `methodology.versions` lets a derivation go


@dataclass(frozen=True)
class Fixed:
    """A representation's cache key, whether its URL fixes it, and the versions read
    (the body is built from these very objects, so that a branch moving meanwhile cannot
    put a newer body under an older key)."""

    key: tuple[Any, ...]
    immutable: bool
    versions: tuple[Methodology, ...]


def tree_key(store: Store, slug: str, ref: str | None) -> Fixed:
    """The tree of ``slug`` at ``ref``; its key holds the ref as spelled (the body names it)."""
    return _key(store, "tree", Spec(check_slug(slug, "methodology"), ref or None))


def diff_key(store: Store, a: Spec, b: Spec) -> Fixed:
    """The diff from ``a`` to ``b``: fixed when both specs fix their versions."""
    return _key(store, "diff", a, b)


def _key(store: Store, kind: str, *specs: Spec) -> Fixed:
    parts: list[Any] = [kind]
    fixed, versions = True, []
    for spec in specs:
        m = open_methodology(store, spec)
        assert m.commit is not None  # read from the store
        chain, pinned = _chain(store, m)
        parts.append((spec.ref, *chain))
        fixed = fixed and pinned and _names_for_good(store, spec.methodology, spec.ref, m.commit)
        versions.append(m)
    return Fixed(tuple(parts), fixed, tuple(versions))


def _chain(store: Store, m: Methodology) -> tuple[tuple[str | None, ...], bool]:
    """(name, commit) of ``m`` and of each version it extends, and whether every pin of
    the derivation is fixed."""
    chain: list[str | None] = [m.name, m.commit]
    pinned = True
    current = m
    for _ in range(_MAX_DEPTH):
        parent = current.extends
        if not parent:
            break
        name, commit = parent["methodology"], parent["commit"]
        chain += [name, commit]
        pinned = pinned and _names_for_good(store, name, parent.get("ref"), commit)
        current = open_methodology(store, Spec(name, commit))
    else:
        pinned = False  # deeper than a derivation can be: never call it fixed
    return tuple(chain), pinned


def _names_for_good(store: Store, methodology: str, ref: str | None, commit: str) -> bool:
    """Whether ``ref`` will always name ``commit``: the full sha itself, or a release tag
    of ``methodology`` (full or short name) that no branch of the same name shadows."""
    if ref is None:
        return False
    ref = ref.strip()
    if _SHA.fullmatch(ref):
        return ref == commit
    if store.head(ref.removeprefix("refs/heads/")) is not None:
        return False
    tag = ref.removeprefix("refs/tags/")
    return any(r.commit == commit and tag in (r.tag, r.name) for r in store.releases(methodology))
