"""Methodologies as code: node files in a git store, versions, validation, diff and history.

This ``__all__`` is the public surface: other packages import only these names.
"""

from methodology._yaml import YamlDumper, YamlLoader, yaml_dump, yaml_load
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
from methodology.node import EXPLANATION_WHEN, Node, Requirements, parse_node, render_guidance
from methodology.published import (
    PublishedFigure,
    PublishedResults,
    PublishedSource,
    PublishedYear,
    load_published,
    published_cohorts,
)
from methodology.rebase import RebaseConflict, plan_rebase, write_rebase
from methodology.releases import Release, ReleaseError, format_years, parse_ref, parse_years
from methodology.samples import (
    SAMPLE_APPRAISER,
    Scorer,
    calibration_targets,
    load_plan,
    write_samples,
)
from methodology.store import BlameLine, Delete, Move, Person, Put, Store
from methodology.tree import Derivation, Methodology, build_tree, to_json_value
from methodology.units import (
    COMBINATION_RULES,
    LEVELS,
    SUCCESSION_KINDS,
    Level,
    SuccessionEvent,
    check_event,
    combine,
    level_of,
    load_succession,
)
from methodology.validate import Report, validate
from methodology.versions import Spec, Versions, load_directory, open_methodology, parse_spec

__all__ = [
    "CAUSES",
    "CHANGE_KINDS",
    "COMBINATION_RULES",
    "EXPLANATION_WHEN",
    "LEVELS",
    "SAMPLE_APPRAISER",
    "SUCCESSION_KINDS",
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
    "Level",
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
    "ReleaseError",
    "Report",
    "Requirements",
    "Scorer",
    "Spec",
    "StaleBaseError",
    "Store",
    "StoreError",
    "StoreNotFound",
    "SuccessionEvent",
    "UpdateNode",
    "Versions",
    "WriteOverlay",
    "YamlDumper",
    "YamlLoader",
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
    "check_event",
    "combine",
    "diff",
    "diff_nodes",
    "format_years",
    "guidance_blame",
    "init_store",
    "level_of",
    "lineage",
    "load_directory",
    "load_plan",
    "load_published",
    "load_succession",
    "log_entries",
    "node_history",
    "open_methodology",
    "parse_node",
    "parse_overlay",
    "parse_ref",
    "parse_spec",
    "parse_years",
    "plan_rebase",
    "published_cohorts",
    "render_guidance",
    "to_json_value",
    "validate",
    "write_rebase",
    "write_samples",
    "yaml_dump",
    "yaml_load",
]
