"""Methodologies as code: node files in a git store, versions, validation, diff and history.

This ``__all__`` is the public surface: other packages import only these names.
"""

from methodology.authoring import (
    CreateNode,
    DeleteNode,
    EditConflict,
    EditRejected,
    MoveNode,
    UpdateNode,
    WriteOverlay,
    apply_edits,
    check_edits,
)
from methodology.catalog import bundled_releases, bundled_root, init_store
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
from methodology.changelog import log_entries
from methodology.derive import parse_overlay
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
from methodology.published import (
    PublishedFigure,
    PublishedResults,
    PublishedSource,
    PublishedYear,
    load_published,
    published_cohorts,
)
from methodology.rebase import RebaseConflict, plan_rebase, write_rebase
from methodology.samples import (
    SAMPLE_APPRAISER,
    Scorer,
    calibration_targets,
    load_plan,
    write_samples,
)
from methodology.store import BlameLine, Delete, Move, Person, Put, Release, Store
from methodology.tree import Derivation, Methodology, build_tree, to_json_value
from methodology.validate import Report, validate
from methodology.versions import Spec, Versions, load_directory, open_methodology, parse_spec

__all__ = [
    "CAUSES",
    "CHANGE_KINDS",
    "SAMPLE_APPRAISER",
    "BlameLine",
    "Cause",
    "Change",
    "ChangeKind",
    "CreateNode",
    "Delete",
    "DeleteNode",
    "Derivation",
    "Diff",
    "EditConflict",
    "EditRejected",
    "FormatError",
    "Manifest",
    "Methodology",
    "MethodologyError",
    "Move",
    "MoveNode",
    "Node",
    "Person",
    "PublishedFigure",
    "PublishedResults",
    "PublishedSource",
    "PublishedYear",
    "Put",
    "RebaseConflict",
    "RefNotFound",
    "Release",
    "Report",
    "Scorer",
    "Spec",
    "StaleBaseError",
    "Store",
    "StoreError",
    "StoreNotFound",
    "UpdateNode",
    "Versions",
    "WriteOverlay",
    "apply_edits",
    "build_tree",
    "bundled_releases",
    "bundled_root",
    "calibration_targets",
    "cause",
    "cause_label",
    "cause_order",
    "change_kind",
    "check_edits",
    "diff",
    "diff_nodes",
    "guidance_blame",
    "init_store",
    "lineage",
    "load_directory",
    "load_plan",
    "load_published",
    "log_entries",
    "node_history",
    "open_methodology",
    "parse_node",
    "parse_overlay",
    "parse_spec",
    "plan_rebase",
    "published_cohorts",
    "render_guidance",
    "to_json_value",
    "validate",
    "write_rebase",
    "write_samples",
]
