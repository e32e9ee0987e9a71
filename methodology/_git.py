"""Private helpers for :mod:`methodology.store`: raw git object formats and locking.

We parse and write tree/commit/tag objects ourselves because the store only
ever needs a handful of fields, and going through GitPython's object model costs
far more than the few bytes of parsing it saves.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeAlias, TypeVar

from methodology.errors import StoreError

__all__: list[str] = []  # private module

TREE_MODE = "40000"
BLOB_MODE = "100644"
ZERO_SHA = "0" * 40

# A tree entry: (mode, hex sha). Directories are recognised by TREE_MODE.
Entry = tuple[str, str]
# A folder being edited: name -> Entry (untouched) or a nested Folder (edited).
Folder: TypeAlias = dict[str, "Entry | Folder"]

V = TypeVar("V")


def nfc(text: str) -> str:
    """NFC-normalise text so that Vietnamese input typed on any OS compares equal."""
    return unicodedata.normalize("NFC", text)


def check_path(path: str, *, allow_root: bool = False) -> str:
    """Validate a store-relative POSIX path and return it NFC-normalised."""
    if not isinstance(path, str):
        raise StoreError(f"path must be a string, got {type(path).__name__}")
    path = nfc(path)
    if path == "" and allow_root:
        return path
    if not path or path.startswith("/"):
        raise StoreError(f"invalid path {path!r}: must be a non-empty relative path", path=path)
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise StoreError(f"invalid path {path!r}: empty, '.' or '..' segment", path=path)
        if part == ".git" or "\0" in part or "\\" in part:
            raise StoreError(f"invalid path {path!r}: forbidden segment {part!r}", path=path)
    return path


def split(path: str) -> list[str]:
    return path.split("/") if path else []


# --- raw objects -----------------------------------------------------------------


def parse_tree(data: bytes) -> dict[str, Entry]:
    """Parse a raw tree object into {name: (mode, hex sha)}, in git order."""
    out: dict[str, Entry] = {}
    pos, end = 0, len(data)
    while pos < end:
        sp = data.index(b" ", pos)
        nul = data.index(b"\0", sp)
        name = data[sp + 1 : nul].decode("utf-8", "surrogateescape")
        out[name] = (data[pos:sp].decode("ascii"), data[nul + 1 : nul + 21].hex())
        pos = nul + 21
    return out


def _tree_sort_key(item: tuple[str, Entry]) -> bytes:
    # Git orders entries by name, comparing a tree's name as if it ended with "/".
    name, (mode, _) = item
    raw = name.encode("utf-8", "surrogateescape")
    return raw + b"/" if mode == TREE_MODE else raw


def format_tree(entries: dict[str, Entry]) -> bytes:
    """Serialise {name: (mode, hex sha)} into a raw tree object."""
    parts = []
    for name, (mode, sha) in sorted(entries.items(), key=_tree_sort_key):
        parts.append(
            mode.encode("ascii")
            + b" "
            + name.encode("utf-8", "surrogateescape")
            + b"\0"
            + bytes.fromhex(sha)
        )
    return b"".join(parts)


def format_date(when: dt.datetime) -> str:
    """Git's ``<epoch> <+hhmm>`` form of an aware datetime (naive means UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    offset = when.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{int(when.timestamp())} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def parse_date(epoch: str, tz: str) -> dt.datetime:
    """Inverse of :func:`format_date`: an aware datetime in the recorded offset."""
    sign = -1 if tz.startswith("-") else 1
    digits = tz.lstrip("+-").rjust(4, "0")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])) * sign
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone(offset))


def format_ident(name: str, email: str, when: dt.datetime) -> str:
    """``Name <email> <epoch> <tz>`` as used in commit and tag headers."""
    for value in (name, email):
        if any(ch in value for ch in "<>\n\0"):
            raise StoreError(f"invalid character in identity {value!r}")
    return f"{name} <{email}> {format_date(when)}"


def parse_ident(value: str) -> tuple[str, str, dt.datetime]:
    """Parse ``Name <email> <epoch> <tz>`` into (name, email, datetime)."""
    lt, gt = value.find("<"), value.rfind(">")
    name, email = value[:lt].strip(), value[lt + 1 : gt]
    epoch, _, tz = value[gt + 1 :].strip().partition(" ")
    return name, email, parse_date(epoch or "0", tz or "+0000")


def parse_object(data: bytes) -> tuple[list[tuple[str, str]], str]:
    """Split a raw commit or tag object into (headers, message)."""
    text = data.decode("utf-8", "replace")
    head, _, message = text.partition("\n\n")
    headers: list[tuple[str, str]] = []
    for line in head.split("\n"):
        if line.startswith(" ") and headers:  # continuation (e.g. gpgsig)
            key, value = headers[-1]
            headers[-1] = (key, value + "\n" + line[1:])
        elif line:
            key, _, value = line.partition(" ")
            headers.append((key, value))
    return headers, message


# --- in-memory tree editing ----------------------------------------------------


class TreeEditor:
    """A copy-on-write view of a git tree, edited by path and written back as objects.

    Sub-trees are only read when a change descends into them, so editing one node
    of a large store reads and writes O(depth) trees.
    """

    def __init__(
        self,
        root: str | None,
        read_tree: Callable[[str], dict[str, Entry]],
        write_tree: Callable[[bytes], str],
    ) -> None:
        self._read = read_tree
        self._write = write_tree
        self._root: Folder = dict(read_tree(root)) if root else {}

    def _dir(self, parts: list[str], *, create: bool, path: str) -> Folder | None:
        node = self._root
        for i, part in enumerate(parts):
            child = node.get(part)
            if child is None:
                if not create:
                    return None
                child = node[part] = {}
            elif isinstance(child, tuple):
                if child[0] != TREE_MODE:
                    where = "/".join(parts[: i + 1])
                    if not create:
                        return None
                    raise StoreError(f"cannot write {path!r}: {where!r} is a file", path=path)
                child = node[part] = dict(self._read(child[1]))
            node = child
        return node

    def get(self, path: str) -> Entry | Folder | None:
        """The entry at ``path`` (a tuple, or a dict for an edited folder) or None."""
        parts = split(path)
        parent = self._dir(parts[:-1], create=False, path=path)
        return None if parent is None else parent.get(parts[-1])

    def put(self, path: str, entry: Entry | Folder, *, replace_file: bool) -> None:
        """Place ``entry`` at ``path``; an existing file is replaced only if allowed."""
        parts = split(path)
        parent = self._dir(parts[:-1], create=True, path=path)
        assert parent is not None
        existing = parent.get(parts[-1])
        if existing is not None:
            is_dir = isinstance(existing, dict) or existing[0] == TREE_MODE
            if is_dir or not replace_file:
                kind = "folder" if is_dir else "file"
                raise StoreError(f"cannot write {path!r}: a {kind} already exists", path=path)
        parent[parts[-1]] = entry

    def remove(self, path: str) -> Entry | Folder:
        """Remove and return the file or folder at ``path``; prune emptied folders."""
        parts = split(path)
        chain = [self._root]
        for part in parts[:-1]:
            node = chain[-1].get(part)
            if node is None or (isinstance(node, tuple) and node[0] != TREE_MODE):
                raise StoreError(f"no such file or folder: {path!r}", path=path)
            if isinstance(node, tuple):
                node = chain[-1][part] = dict(self._read(node[1]))
            chain.append(node)
        removed = chain[-1].pop(parts[-1], None)
        if removed is None:
            raise StoreError(f"no such file or folder: {path!r}", path=path)
        # Git cannot store empty trees; drop folders the removal emptied.
        for depth in range(len(parts) - 1, 0, -1):
            if chain[depth]:
                break
            del chain[depth - 1][parts[depth - 1]]
        return removed

    def write(self) -> str | None:
        """Write every edited folder as a tree object; the root sha (None if empty)."""
        return self._write_dir(self._root)

    def _write_dir(self, node: Folder) -> str | None:
        entries: dict[str, Entry] = {}
        for name, child in node.items():
            if isinstance(child, dict):
                sha = self._write_dir(child)
                if sha is not None:
                    entries[name] = (TREE_MODE, sha)
            else:
                entries[name] = child
        if not entries and node is not self._root:
            return None
        return self._write(format_tree(entries))


# --- caches and locks ------------------------------------------------------------


class LRU(Generic[V]):
    """A small thread-safe LRU mapping for immutable git objects keyed by sha."""

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[str, V] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``.

    Each call opens its own file description, so the lock excludes other threads
    of this process as well as other processes.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_age(path: str) -> float | None:
    """Seconds since ``path`` (a git `.lock` file) was last written; None if absent."""
    try:
        return max(0.0, dt.datetime.now().timestamp() - os.stat(path).st_mtime)
    except FileNotFoundError:
        return None


def open_by_a_process(path: str) -> bool | None:
    """Whether any process of this machine has ``path`` open (git keeps a `.lock` open
    while it holds it); None where /proc cannot tell (not Linux)."""
    if not os.path.isdir("/proc/self/fd"):
        return None
    target = os.path.realpath(path)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or another user's: it cannot be one of our writers
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return True
            except OSError:
                continue
    return False


def fsync_path(path: str) -> None:
    """Flush ``path`` (a file or a folder) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_objects(git_dir: str, shas: Iterable[str]) -> None:
    """Flush the loose objects ``shas`` and the folders that name them (objects already
    packed, or written before, are flushed again or skipped: both are harmless)."""
    folders = set()
    for sha in set(shas):
        path = os.path.join(git_dir, "objects", sha[:2], sha[2:])
        try:
            fsync_path(path)
        except FileNotFoundError:
            continue  # packed: written durably by git itself
        folders.add(os.path.dirname(path))
    for folder in sorted(folders):
        fsync_path(folder)
