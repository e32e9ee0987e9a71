"""Methodologies as code: node files in a git store, versions, validation, diff and history.

The public surface is listed in ``__all__``; modules starting with ``_`` are private.
"""

from methodology.catalog import bundled_releases, init_store
from methodology.change_kinds import (
    CAUSES,
    CHANGE_KINDS,
    Cause,
    ChangeKind,
    cause,
    cause_label,
    cause_order,
    change_kind,
)
from methodology.diff import Change, Diff, diff, diff_nodes, lineage
from methodology.errors import (
    FormatError,
    MethodologyError,
    RefNotFound,
    StaleBaseError,
    StoreError,
    StoreNotFound,
)
from methodology.history import guidance_blame, node_history
from methodology.manifest import Manifest
from methodology.node import Node, parse_node, render_guidance
from methodology.store import Delete, Move, Person, Put, Release, Store
from methodology.tree import Methodology, build_tree
from methodology.validate import Report, validate
from methodology.versions import Spec, Versions, load_directory, open_methodology, parse_spec

__all__ = [
    "CAUSES",
    "CHANGE_KINDS",
    "Cause",
    "Change",
    "ChangeKind",
    "Delete",
    "Diff",
    "FormatError",
    "Manifest",
    "Methodology",
    "MethodologyError",
    "Move",
    "Node",
    "Person",
    "Put",
    "RefNotFound",
    "Release",
    "Report",
    "Spec",
    "StaleBaseError",
    "Store",
    "StoreError",
    "StoreNotFound",
    "Versions",
    "build_tree",
    "bundled_releases",
    "cause",
    "cause_label",
    "cause_order",
    "change_kind",
    "diff",
    "diff_nodes",
    "guidance_blame",
    "init_store",
    "lineage",
    "load_directory",
    "node_history",
    "open_methodology",
    "parse_node",
    "parse_spec",
    "render_guidance",
    "validate",
]
