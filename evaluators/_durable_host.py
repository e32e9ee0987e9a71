"""Running layouts on a durable-rules Host: registration, evaluation, clean-up.

Runs inside a worker process (see `_durable_worker`); nothing here is safe to call in
the caller's process, since a fault in the C extension kills the process.

- The `Host` is our own, with its background dispatch threads disabled; every call into
  it holds a lock. Rulesets are registered from JSON data written in the engine's
  dialect (`rules.durable.dumps`), through a deep copy (registration mutates it).
- Each evaluation gets a fresh sid: its events go in as one batch (one JSON text built
  once, one ``assert_events`` call). Every event matches some rule (fallbacks) and the
  sentinel always fires, so the engine accepts the whole batch (a batch with an
  unmatched event would be refused and leave work behind: the worker is then recycled)
  and every action is pending when the call returns. They are run straight through the
  C binding — ``start_action_for_state``, then ``complete_and_start_action`` until none
  is left — reading the name of the rule that fired from each reply: no `Closure`, no
  Python action, no state written back (the Host's ``do_actions`` path cost ~4× more
  than the matcher itself). The state is then deleted (deleting the state of a sid that
  fired nothing crashes the process). Live sids are counted; there is at most one at a
  time, far below the engine's 1,024.
- Registration errors are bare numbers: the rule responsible is found by loading each
  rule alone, and the number is explained.
- A few rulesets are kept, least recently used first out, deleted only when no session
  of theirs is live.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import durable_rules_engine
from durable.engine import Host, Promise, Ruleset

from evaluators._durable_layout import SENTINEL, Layout, LeafLayout, build_layout
from evaluators.errors import EngineError
from evaluators.program import Case, Decision, Program
from rules import EvaluationError
from rules.durable import Field, _number, dumps

__all__ = ["MAX_LIVE_SESSIONS", "MAX_RULESETS", "DurableHost", "Evaluator"]

MAX_RULESETS = 4
MAX_LIVE_SESSIONS = 1000  # the engine fails beyond 1,024 live sids per ruleset
_ENCODED_KEPT = 4096  # JSON texts of values kept per field
_COMPLETE = durable_rules_engine.complete_and_start_action

# durable-rules 2.0.28, src/rules/rules.h
_CODES = {
    101: "out of memory",
    102: "unexpected type",
    103: "identifier too long",
    104: "unexpected value",
    105: "unexpected name",
    106: "too many rules",
    107: "too many existence tests",
    108: "too many joins",
    109: "rule without qualifier",
    110: "unknown setting",
    111: "invalid handle",
    112: "too many handles",
    113: "too many $and/$or in one rule",
    201: "cannot parse a value",
    202: "cannot parse a string (or an operator written the wrong way)",
    203: "cannot parse a number",
    204: "cannot parse an object (exponents are not allowed in numbers)",
    205: "cannot parse an array",
    302: "too many properties in a message",
    303: "a message matches too many tests at once",
    304: "too many messages in a frame",
}


def explain_code(code: int) -> str:
    return _CODES.get(code, "unknown error")


class _Ruleset(Ruleset):
    """A Ruleset whose JSON is written in the engine's dialect (no exponents)."""

    def __init__(self, name: str, host: Host, definition: dict[str, dict]) -> None:
        self._actions = {}
        self._name = name
        self._host = host
        for rule_name, rule in definition.items():
            self._actions[rule_name] = Promise(host.get_action(rule.pop("run")))
        text = dumps(definition)
        try:
            self._handle = durable_rules_engine.create_ruleset(name, text)
        except durable_rules_engine.error as exc:
            raise _registration_error(name, definition, exc) from None
        self._definition = definition


def _code(exc: Exception) -> int | None:
    found = re.search(r"error code: (\d+)", str(exc))
    return int(found.group(1)) if found else None


def _registration_error(name: str, definition: dict[str, dict], exc: Exception) -> EngineError:
    code = _code(exc)
    culprit = None
    for rule_name, rule in definition.items():
        try:
            handle = durable_rules_engine.create_ruleset(f"{name}~probe", dumps({rule_name: rule}))
        except durable_rules_engine.error:
            culprit = rule_name
            break
        durable_rules_engine.delete_ruleset(handle)
    where = f"rule '{culprit}'" if culprit else "a combination of rules"
    return EngineError(
        f"durable-rules rejected {where} of ruleset {name}: "
        f"{explain_code(code) if code else exc} (error {code})"
    )


class DurableHost(Host):
    """A Host of our own: no background threads, every call under a lock. It registers
    and deletes rulesets; evaluations drive the C binding directly (`Evaluator._run`),
    so its actions are never called."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        super().__init__()

    def _run(self) -> None:  # the dispatch and timer threads: not used
        return

    def get_action(self, action_name: str):
        def unused(c) -> None:
            raise EngineError(f"action {action_name} run through the Host: not supported")

        return unused

    def register_rulesets(self, ruleset_definitions: dict[str, dict]) -> list[str]:
        for name, definition in ruleset_definitions.items():
            if name in self._ruleset_directory:
                raise EngineError(f"ruleset {name} is already registered")
            ruleset = _Ruleset(name, self, definition)
            self._ruleset_directory[name] = ruleset
            self._ruleset_list.append(ruleset)
        return list(ruleset_definitions)

    def delete_ruleset(self, name: str) -> None:
        with self.lock:
            ruleset = self._ruleset_directory.pop(name)
            self._ruleset_list.remove(ruleset)
            durable_rules_engine.delete_ruleset(ruleset._handle)


class Evaluator:
    """Scores cases with the rulesets of the programs it has been given."""

    def __init__(self) -> None:
        self.host = DurableHost()
        self.layouts: OrderedDict[str, Layout] = OrderedDict()
        self.live: dict[str, int] = {}
        self.peak_live = 0
        self.evaluations = 0
        self._sid = 0
        self.poisoned = False  # a session could not be cleaned up: recycle the process

    # -- rulesets ------------------------------------------------------------------

    def load(self, program: Program) -> Layout:
        layout = self.layouts.get(program.key)
        if layout is not None:
            self.layouts.move_to_end(program.key)
            return layout
        layout = build_layout(program)
        with self.host.lock:
            self.host.set_rulesets({layout.name: copy.deepcopy(layout.definition)})
        self.layouts[program.key] = layout
        self.live[program.key] = 0
        self._evict()
        return layout

    def _evict(self) -> None:
        for key in list(self.layouts):
            if len(self.layouts) <= MAX_RULESETS:
                return
            if self.live.get(key, 0) == 0:  # deleting one with a live session leaks it
                del self.layouts[key], self.live[key]
                self.host.delete_ruleset(key)

    def __contains__(self, key: str) -> bool:
        return key in self.layouts

    @property
    def live_sessions(self) -> int:
        return sum(self.live.values())

    # -- evaluation ----------------------------------------------------------------

    def decide(self, key: str, cases: list[Case], program: Program | None = None, trace=False):
        """Decisions (and, with ``trace``, the rules that fired) for ``cases``; the
        program is needed only the first time its key is seen."""
        if key in self.layouts:
            layout = self.layouts[key]
            self.layouts.move_to_end(key)
        elif program is None:
            raise KeyError(key)
        else:
            layout = self.load(program)
        decisions, traces = [], []
        for case in cases:
            fired, computed = self._run(layout, case)
            decisions.append(_decisions(layout, fired, computed))
            if trace:
                traces.append([name for name, _ in fired])
        return decisions, traces

    def _run(self, layout: Layout, case: Case):
        """Assert the case's events as one batch, then run the actions straight through
        the C binding (no `Closure`, no Python action): each reply names the rule that
        fired, which is all an action would record."""
        self._sid += 1
        sid = str(self._sid)
        text, computed = _messages(layout, case, sid)
        name = layout.name
        rules = layout.rules
        with self.host.lock:
            if self.live[name] >= MAX_LIVE_SESSIONS:
                raise EngineError(f"ruleset {name} has {self.live[name]} live sessions")
            handle = self.host.get_ruleset(name)._handle
            self.live[name] += 1
            self.peak_live = max(self.peak_live, self.live_sessions)
            fired: list[tuple[str, str]] = []
            try:
                code, state = durable_rules_engine.assert_events(handle, text)
                if code != 0:  # 1: some event matched no rule; 2: already observed
                    raise EngineError(f"the engine did not take every event (result {code})")
                reply = durable_rules_engine.start_action_for_state(handle, state)
                reply = reply[1] if reply else None
                complete, known, record = _COMPLETE, rules.get, fired.append
                while reply:
                    # a reply is '{"<rule name>":{"m":{<the event>}}}'
                    found = known(reply[2 : reply.find('":{"m":', 2)])
                    if found is None:  # a name our fast parse cannot split
                        rule = next(iter(json.loads(reply)))
                        found = rules.get(rule, (rule, "?"))
                    record(found)
                    reply = complete(handle, state)
            except Exception as exc:
                if fired:
                    self._delete(name, sid)
                else:  # deleting the state of a sid that fired nothing crashes the process
                    self.poisoned = True
                raise EngineError(
                    f"durable-rules failed on ruleset {name}: {_describe(exc)}"
                ) from None
            self._delete(name, sid)
        self.evaluations += 1
        if case.claims or case.skip:
            fired = _flagged(layout, case, fired)
        return fired, computed

    def _delete(self, name: str, sid: str) -> None:
        self.host.delete_state(name, sid)
        self.live[name] -= 1


def _describe(exc: Exception) -> str:
    code = _code(exc)
    if code is not None:
        return f"{explain_code(code)} (error {code})"
    return getattr(exc, "message", None) or str(exc)


def _messages(layout: Layout, case: Case, sid: str) -> tuple[str, dict]:
    """The events of one evaluation as the JSON text of one batch (in the engine's
    dialect, as `rules.durable.dumps` writes it), and what each field computed to."""
    env = {**case.facts, **case.values}
    computed: dict[Field, tuple[Any, BaseException | None]] = {}
    head = '{"sid":' + _text(sid)
    encoded = layout.encoded

    def put(parts: list[str], f: Field, scope_env: Mapping[str, Any]) -> None:
        found = computed.get(f)
        if found is None:
            found = computed[f] = f.compute(scope_env)
        value, error = found
        if error is None:
            if type(value) is Decimal:  # equal Decimals encode alike: keep their JSON
                known = encoded.get(f)
                if known is None:
                    known = encoded[f] = {}
                text = known.get(value)
                if text is None:
                    if len(known) >= _ENCODED_KEPT:
                        known.clear()
                    text = known[value] = f'"{f.value}":{_value(f.encode(value))}'
                parts.append(text)
            else:
                parts.append(f'"{f.value}":{_value(f.encode(value))}')
        elif isinstance(error, EvaluationError):
            parts.append(f'"{f.error}":{_text(error.message or type(error).__name__)}')
        else:
            raise error  # not a rule error (e.g. a decimal overflow): the compiled engine raises it too

    messages = []
    skipped, facts = case.skip, case.facts
    for ll in layout.leaves:
        m = [head, ll.heads[0]]
        for rule_id, flag in ll.na:
            if rule_id not in case.skip_rules:
                m.append(f'"{flag}":1.0')
        for f in ll.na_fields:
            put(m, f, facts)
        if skipped and ll.id in skipped:  # only an N/A rule or a fallback can fire
            messages.append(",".join(m))
            continue
        for f in ll.fields:
            put(m, f, env)
        messages.append(",".join(m))
        for slot, (_rule_id, fields) in enumerate(ll.adjustments, start=1):
            a = [head, ll.heads[slot]]
            for f in fields:
                put(a, f, env)
            messages.append(",".join(a))
    messages.append(head + ',"g":-1.0')
    return "[" + "},".join(messages) + "}]", computed


def _flagged(layout: Layout, case: Case, fired: list[tuple[str, str]]):
    """``fired`` with the claims and skips of ``case`` applied: they come after the N/A
    rules and before everything else, so they replace any other outcome of their leaf's
    event (the layout has no rules for them)."""
    flagged: dict[str, str] = {}
    for ll in layout.leaves:
        action = next((a for node_id, a in ll.claims if node_id in case.claims), None)
        if action is None and ll.id in case.skip:
            action = ll.skip
        if action is not None:
            flagged[ll.events[0]] = action
    outcomes = layout.outcomes
    return [
        (flagged[event], event)
        if event in flagged and outcomes[action].kind != "na"
        else (action, event)
        for action, event in fired
    ]


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _value(value: float | str) -> str:
    return _number(value) if isinstance(value, float) else _text(value)


def _decisions(layout: Layout, fired: list[tuple[str, str]], computed) -> dict[str, Decision]:
    by_event: dict[str, str] = {}
    for action, message_id in fired:
        if message_id == "?":
            raise EngineError(f"an unknown rule fired: {action}")
        if message_id in by_event:
            raise EngineError(f"event {message_id} fired twice ({by_event[message_id]}, {action})")
        by_event[message_id] = action
    if by_event.get("end") != SENTINEL:
        raise EngineError("the sentinel rule did not fire")
    out: dict[str, Decision] = {}
    for ll in layout.leaves:
        decision = _leaf(layout, ll, by_event, computed)
        if decision is not None:
            out[ll.id] = decision
    return out


def _error_of(outcome, computed) -> Decision:
    _value, error = computed[outcome.field]
    return Decision("error", error=error.message)


def _leaf(layout: Layout, ll: LeafLayout, by_event: dict[str, str], computed):
    action = by_event.get(ll.events[0])
    if action is None:
        raise EngineError(f"no rule fired for criterion {ll.id}")
    outcome = layout.outcomes[action]
    if outcome.kind == "rule" and not ll.adjustments:
        return _decision(layout, outcome.value, ())
    if outcome.kind == "na":
        return _decision(layout, outcome.value, ())
    if outcome.kind == "skip":
        return None
    if outcome.kind == "error":
        return _error_of(outcome, computed)
    if outcome.kind == "none":
        return Decision("error", error="no tier applies")
    fired = []
    for slot, (rule_id, _fields) in enumerate(ll.adjustments, start=1):
        action = by_event.get(ll.events[slot])
        if action is None:
            raise EngineError(f"no rule fired for {rule_id} of criterion {ll.id}")
        adjustment = layout.outcomes[action]
        if adjustment.kind == "error":
            return _error_of(adjustment, computed)
        if adjustment.kind == "fire":
            fired.append(rule_id)
    return _decision(layout, outcome.value, tuple(fired))


def _decision(layout: Layout, rule: str | None, adjustments: tuple[str, ...]) -> Decision:
    """One shared (immutable) Decision per outcome: cheaper to build and to pickle."""
    key = (rule, adjustments)
    found = layout.decisions.get(key)
    if found is None:
        found = layout.decisions[key] = Decision(rule, adjustments)  # type: ignore[arg-type]
    return found
