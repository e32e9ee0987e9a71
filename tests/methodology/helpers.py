"""Helpers the methodology test modules share: two editors and a node's text."""

from __future__ import annotations

from methodology import Person, open_methodology

ANH = Person("Nguyễn Văn Anh", "anh@moha.example")
BINH = Person("Trần Thị Bình", "binh@moha.example")


def node_text(store, node_id, ref="vi-du"):
    m = open_methodology(store, ref)
    return store.read_blob(m.nodes[node_id].blob).decode("utf-8")
