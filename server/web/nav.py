"""The main navigation: one entry per area, shown to the roles that can use it.

A new area adds its entry here (label, address, roles; `None` = everyone), and the
layout shows it to those roles only. The pages still check permissions themselves."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth import EDITORS, Principal

__all__ = ["NAV", "NavItem", "nav_for"]


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[str] | None = None  # None: everyone, signed in or not


NAV: list[NavItem] = [
    NavItem("Bộ chỉ số", "/bo-chi-so"),
    NavItem("Biên tập", "/bien-tap", frozenset({"ministry_editor", "province_editor"})),
    NavItem("Thẩm định", "/tham-dinh", frozenset({"appraiser"})),
    NavItem("Tự đánh giá", "/tu-danh-gia", frozenset({"unit_submitter"})),
    # Whoever keeps a cohort's periods or works to their deadlines (`period.manage`).
    NavItem("Kỳ đánh giá", "/ky-danh-gia", frozenset({"appraiser", *EDITORS})),
    # Published results are for everyone; the rest of `ranking.read` (server/auth.py)
    # is checked by the pages.
    NavItem("Kết quả", "/ket-qua"),
    # The roles of `analysis.read` (server/auth.py).
    NavItem("Kiểm tra", "/kiem-tra", frozenset({"auditor", "appraiser", *EDITORS})),
    NavItem("Địa phương", "/dia-phuong", frozenset({"province_editor", "ministry_editor"})),
    NavItem("Quản trị", "/quan-tri", frozenset({"admin"})),
]


def nav_for(viewer: Principal) -> list[NavItem]:
    return [
        item
        for item in NAV
        if item.roles is None or viewer.role in item.roles or viewer.role == "admin"
    ]
