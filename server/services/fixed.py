"""What determines a methodology tree or a diff as the API serves it, and whether the
URL fixes it for good: the keys of `server.caching`.

A tree is determined by its commit and, for a derived index, by the commits of the
versions it extends (their pins are in the body), and by the ref as spelled (the body
names it). A URL fixes it when its `ref` is a full commit sha or a release tag, and so
is every pin up the derivation: the store writes a tag once and never moves or deletes
it (`Store.tag_release`), while a date or a branch head may name another commit
tomorrow. What a URL fixes is remembered (`ResponseCache.recall`), so reading a released
tree again resolves nothing and starts no git process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from methodology import Methodology, Release, Spec, Store, open_methodology
from server.caching import ResponseCache
from server.services.methodologies import check_slug

__all__ = ["Fixed", "diff_key", "tree_key"]

_SHA = re.compile(r"[0-9a-f]{40}")
_MAX_DEPTH = 8  # as deep as `methodology.versions` lets a derivation go


@dataclass(frozen=True)
class Fixed:
    """A representation's cache key; whether its URL fixes it; whether the first version
    is released; and the specs read, with the versions as read when the URL does not
    fix them (the body is then built from these very objects, so that a branch moving
    meanwhile cannot put a newer body under an older key)."""

    key: tuple[Any, ...]
    immutable: bool
    released: bool
    specs: tuple[Spec, ...]
    versions: tuple[Methodology, ...] = ()

    def open(self, store: Store) -> tuple[Methodology, ...]:
        """The versions (a fixed URL reads the same ones again: cached by tree)."""
        return self.versions or tuple(open_methodology(store, spec) for spec in self.specs)


def tree_key(store: Store, memo: ResponseCache, slug: str, ref: str | None) -> Fixed:
    """The tree of ``slug`` at ``ref``."""
    return _key(store, memo, "tree", Spec(check_slug(slug, "methodology"), ref or None))


def diff_key(store: Store, memo: ResponseCache, a: Spec, b: Spec) -> Fixed:
    """The diff from ``a`` to ``b``: fixed when both specs fix their versions."""
    return _key(store, memo, "diff", a, b)


def _key(store: Store, memo: ResponseCache, kind: str, *specs: Spec) -> Fixed:
    name = (kind, *specs)
    remembered = memo.recall(name)
    if isinstance(remembered, Fixed):
        return remembered
    parts: list[Any] = [kind]
    fixed, released, versions = True, True, []
    for i, spec in enumerate(specs):
        m = open_methodology(store, spec)
        assert m.commit is not None  # read from the store
        releases = store.releases(spec.methodology)
        if i == 0:
            released = any(r.commit == m.commit for r in releases)
        chain, pinned = _chain(store, m)
        parts.append((spec.ref, *chain))
        named = _names_for_good(store, releases, spec.ref, m.commit)
        fixed = fixed and pinned and named
        versions.append(m)
    found = Fixed(tuple(parts), fixed, released, specs, tuple(versions))
    # Only what can never change is remembered: a fixed URL of a released tree (an
    # unreleased commit may be released later, and then anyone may read it), or of a
    # diff (only ever read signed in).
    if fixed and (released or kind == "diff"):
        memo.remember(name, Fixed(found.key, True, released, specs))
    return found


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
        # Once one pin is loose the chain is not fixed: no need to list more releases.
        pinned = pinned and _names_for_good(store, store.releases(name), parent.get("ref"), commit)
        current = open_methodology(store, Spec(name, commit))
    else:
        pinned = False  # deeper than a derivation can be: never call it fixed
    return tuple(chain), pinned


def _names_for_good(store: Store, releases: list[Release], ref: str | None, commit: str) -> bool:
    """Whether ``ref`` will always name ``commit``: the full sha itself, or a release tag
    among ``releases`` (full or short name) that no branch of the same name shadows."""
    if ref is None:
        return False
    ref = ref.strip()
    if _SHA.fullmatch(ref):
        return ref == commit
    if store.head(ref.removeprefix("refs/heads/")) is not None:
        return False
    tag = ref.removeprefix("refs/tags/")
    return any(r.commit == commit and tag in (r.tag, r.name) for r in releases)
