"""The main navigation: one entry per area, shown to the roles that can use it.

A new area adds its entry here (label, address, roles; `None` = everyone), and the
layout shows it to those roles only. The pages still check permissions themselves."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth import Principal

__all__ = ["NAV", "NavItem", "nav_for"]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[str] | None = None  # None: everyone, signed in or not


NAV: list[NavItem] = [
    NavItem("Bộ chỉ số", "/bo-chi-so"),
    NavItem("Thẩm định", "/tham-dinh", frozenset({"appraiser"})),
    NavItem("Quản trị", "/quan-tri", frozenset({"admin"})),
]


def nav_for(viewer: Principal) -> list[NavItem]:
    return [
        item
        for item in NAV
        if item.roles is None or viewer.role in item.roles or viewer.role == "admin"
    ]
