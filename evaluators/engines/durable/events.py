"""An evaluation's events: the JSON text of one ``assert_events`` call.

One event per leaf, one per bonus or penalty rule, then the sentinel, in the engine's
dialect (as `evaluators.engines.durable.translate.dumps` writes it), each closed by the session id. An event
carrying one plain value is its leaf's text up to the value, then the value's JSON,
kept per value (per Decimal, or per the Decimal's text when the case carries them).

Nothing here runs durable-rules, so the caller's process does this too: when every event
of a methodology carries one plain value (as in most), the pool sends a case as the JSON
of its values (`Written`), and the worker only puts each after its leaf's text and adds
the session id — it neither rebuilds the case's Decimals nor looks up its values (~0.1
ms of its ~0.8 ms per evaluation), and a request is a third of the size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluators._lru import LRU
from evaluators.engines.durable.layout import KEPT, Layout
from evaluators.engines.durable.translate import Field
from evaluators.program import Case
from rules import EvaluationError, Type

__all__ = ["SENTINEL_EVENT", "Written", "batch", "columnar", "events", "quoted", "read", "written"]

SENTINEL_EVENT = '"g":-1.0'


@dataclass(frozen=True)
class Written:
    """A case sent as the JSON of its values, one per leaf: every event carries one
    clean number, so no field can fail and no leaf is skipped."""

    values: tuple[str, ...]
    claims: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()


def batch(events: Sequence[str], sid: str) -> str:
    """The JSON array of ``events``, each closed by the session id ``sid`` (JSON). Last,
    so that a reply — the rule's name, then the event as it was sent — begins with text
    that depends on the rule and the event's discriminators alone."""
    tail = ',"sid":' + sid + "}"
    return "[{" + (tail + ",{").join(events) + tail + "]"


def read(layout: Layout, case: Written) -> list[str]:
    """The events of a `Written` case."""
    assert layout.plain is not None
    out = [p + v for (_, _, p, _), v in zip(layout.plain, case.values, strict=True)]
    out.append(SENTINEL_EVENT)
    return out


def written(layout: Layout, case: Case | Written) -> Written | None:
    """``case`` as the JSON of its values when each is a clean number (a `Written`
    case, from `columnar`, already is), else None."""
    if isinstance(case, Written):
        return case
    if layout.plain is None or case.skip:
        return None
    values, facts = case.values, case.facts
    out = []
    for table, name, _prefix, f in layout.plain:
        value = values.get(name)  # values over facts, as in `env`
        if value is None:
            value = facts.get(name)
        if type(value) is not Decimal:
            return None
        text = table.get(value)
        if text is None:
            text = table[value] = f.json(value)
        out.append(text)
    return Written(tuple(out), case.claims)


def columnar(layout: Layout, columns: Mapping[str, Any], rows: Any) -> list[Written] | None:
    """The `Written` cases of ``rows`` from columns of clean numbers (a float array per
    input, every value of those rows clean and exact), or None when some event does not
    carry one number sent as its own digits (then each case is written from its
    `Case`)."""
    if layout.plain is None:
        return None
    per_leaf = []
    for _table, name, _prefix, f in layout.plain:
        column = columns.get(name)
        if column is None or f.type is not Type.NUMBER or not f.exact_digits:
            return None
        texts = layout.floats.get(name)
        if texts is None:
            texts = layout.floats[name] = LRU(KEPT)
        out = []
        for x in column[rows].tolist():
            text = texts.get(x)
            if text is None:
                text = texts[x] = f.json(x)
            out.append(text)
        per_leaf.append(out)
    return [Written(values) for values in zip(*per_leaf, strict=True)]


# What each field of a case computed to: its value, or the error computing it raised.
Computed = dict[Field, tuple[Any, BaseException | None]]


def events(layout: Layout, case: Case) -> tuple[list[str], Computed]:
    """The events of ``case`` and what each field computed to."""
    values, facts = case.values, case.facts
    env = None
    computed: Computed = {}
    if layout.plain is not None and not case.skip and case.texts is not None:
        # every event from its table, by the value's text (a value seen before; else,
        # or for a value not sent as text, the way below)
        texts = case.texts
        try:
            out = [prefix + table[texts[name]] for table, name, prefix, _ in layout.plain]
        except KeyError:
            pass
        else:
            out.append(SENTINEL_EVENT)
            return out, computed
    encoded = layout.encoded

    def put(
        parts: list[str], f: Field, scope_env: Mapping[str, Any], renamed: Mapping | None = None
    ) -> None:
        found = computed.get(f)
        if found is None:
            found = computed[f] = f.compute(scope_env)
        value, error = found
        name = f.value if renamed is None else renamed[f.value]
        if error is None:
            if type(value) is Decimal:  # equal Decimals encode alike: keep their JSON
                key = f if renamed is None else (f, name)
                known = encoded.get(key)
                if known is None:
                    known = encoded[key] = LRU(KEPT)
                text = known.get(value)
                if text is None:
                    text = known[value] = f'"{name}":{f.json(value)}'
                parts.append(text)
            else:
                parts.append(f'"{name}":{f.json(value)}')
        elif isinstance(error, EvaluationError):
            name = f.error if renamed is None else renamed[f.error]
            parts.append(f'"{name}":{quoted(error.message or type(error).__name__)}')
        else:
            raise error  # not a rule error (arithmetic is one): the compiled engine raises it too

    out = []
    skipped = case.skip
    texts = case.texts or {}
    for ll in layout.leaves:
        if not (skipped and ll.id in skipped):
            if ll.constant is not None:
                out.append(ll.constant)
                continue
            f = ll.plain
            if f is not None:
                # a plain name computes to its value (values over facts, as in `env`);
                # the value's text, when the case carries it, is the cheaper key
                name = f.name
                assert name is not None  # `build_layout` makes only a name's field plain
                key = texts.get(name)
                value = values.get(name) if key is None else None
                if value is None and key is None:
                    value = facts.get(name)
                if key is not None or type(value) is Decimal:
                    text = ll.texts.get(key if key is not None else value)
                    if text is None:
                        number = values[name] if key is not None else value
                        text = ll.texts[key if key is not None else value] = f.json(number)
                    out.append(ll.prefix + text)
                    continue
        if env is None:
            env = {**facts, **values}
        m = [ll.heads[0] + ll.tag]
        for rule_id, flag in ll.na:
            if rule_id not in case.skip_rules:
                m.append(f'"{flag}":1.0')
        for f in ll.na_fields:
            put(m, f, facts)
        if skipped and ll.id in skipped:  # only an N/A rule or a fallback can fire
            out.append(",".join(m))
            continue
        for f in ll.fields:
            put(m, f, env, ll.renamed)
        out.append(",".join(m))
        for slot, (_rule_id, fields) in enumerate(ll.adjustments, start=1):
            a = [ll.heads[slot]]
            for f in fields:
                put(a, f, env)
            out.append(",".join(a))
    out.append(SENTINEL_EVENT)
    return out, computed


def quoted(value: str) -> str:
    """``value`` as a JSON string."""
    return json.dumps(value, ensure_ascii=False)
