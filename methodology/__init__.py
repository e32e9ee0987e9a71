"""Methodologies as code: node files in a git store, versions, validation, diff and history.

This ``__all__`` is the public surface: other packages import only these names.
Each is imported from its module on first use, so a command that only reads a tree
loads neither authoring, diff, history nor the sample generator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Two functions share their module's name: importing the module (which any user of it
# does) sets the package's attribute to the module, so these are bound here, after.
from methodology.diff import diff
from methodology.validate import validate

if TYPE_CHECKING:
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
    from methodology.diff import Change, Diff, diff_nodes, lineage
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
    from methodology.validate import Report
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

# The module of each exported name.
_HOMES = {
    "CAUSES": "change_kinds",
    "CHANGE_KINDS": "change_kinds",
    "COMBINATION_RULES": "units",
    "EXPLANATION_WHEN": "node",
    "LEVELS": "units",
    "SAMPLE_APPRAISER": "samples",
    "SUCCESSION_KINDS": "units",
    "BlameLine": "store",
    "Cause": "change_kinds",
    "Change": "diff",
    "ChangeKind": "change_kinds",
    "CreateNode": "authoring",
    "Delete": "store",
    "DeleteNode": "authoring",
    "Derivation": "tree",
    "Diff": "diff",
    "EditConflict": "authoring",
    "EditRejected": "authoring",
    "FormatError": "errors",
    "Level": "units",
    "Manifest": "manifest",
    "Methodology": "tree",
    "MethodologyError": "errors",
    "Move": "store",
    "MoveNode": "authoring",
    "Node": "node",
    "Person": "store",
    "PublishedFigure": "published",
    "PublishedResults": "published",
    "PublishedSource": "published",
    "PublishedYear": "published",
    "Put": "store",
    "RebaseConflict": "rebase",
    "RefNotFound": "errors",
    "Release": "releases",
    "ReleaseError": "releases",
    "Report": "validate",
    "Requirements": "node",
    "Scorer": "samples",
    "Spec": "versions",
    "StaleBaseError": "errors",
    "Store": "store",
    "StoreError": "errors",
    "StoreNotFound": "errors",
    "SuccessionEvent": "units",
    "UpdateNode": "authoring",
    "Versions": "versions",
    "WriteOverlay": "authoring",
    "YamlDumper": "_yaml",
    "YamlLoader": "_yaml",
    "apply_edits": "authoring",
    "build_tree": "tree",
    "bundled_releases": "catalog",
    "bundled_root": "catalog",
    "calibration_targets": "samples",
    "cause": "change_kinds",
    "cause_label": "change_kinds",
    "cause_order": "change_kinds",
    "change_kind": "change_kinds",
    "check_edits": "authoring",
    "check_event": "units",
    "combine": "units",
    "diff_nodes": "diff",
    "format_years": "releases",
    "guidance_blame": "history",
    "init_store": "catalog",
    "level_of": "units",
    "lineage": "diff",
    "load_directory": "versions",
    "load_plan": "samples",
    "load_published": "published",
    "load_succession": "units",
    "log_entries": "changelog",
    "node_history": "history",
    "open_methodology": "versions",
    "parse_node": "node",
    "parse_overlay": "derive",
    "parse_ref": "releases",
    "parse_spec": "versions",
    "parse_years": "releases",
    "plan_rebase": "rebase",
    "published_cohorts": "published",
    "render_guidance": "node",
    "to_json_value": "tree",
    "write_rebase": "rebase",
    "write_samples": "samples",
    "yaml_dump": "_yaml",
    "yaml_load": "_yaml",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'methodology' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"methodology.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
