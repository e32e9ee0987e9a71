"""Running layouts on a durable-rules Host: registration, evaluation, clean-up.

Runs inside a worker process (see `_durable_worker`); nothing here is safe to call in
the caller's process, since a fault in the C extension kills the process.

- The `Host` is our own, with its background dispatch threads disabled; every call into
  it holds a lock. Rulesets are registered from JSON data written in the engine's
  dialect (`evaluators.engines.durable.translate.dumps`), through a deep copy (registration mutates it).
- Each evaluation gets a fresh sid: its events go in as one batch (one JSON text,
  written by `_durable_events`, one ``assert_events`` call). Every event matches some
  rule (fallbacks) and the sentinel always fires, so the engine accepts the whole batch
  (a batch with an unmatched event would be refused and leave work behind: the worker is
  then recycled) and every action is pending when the call returns. They are run
  straight through the C binding — ``start_action_for_state``, then
  ``complete_and_start_action`` until none is left — reading the name of the rule that
  fired from each reply (and, for the shared ``fallback`` rule and the rules of a class
  of criteria, the event's discriminators): no `Closure`, no Python action, no state written back (the Host's
  ``do_actions`` path cost ~4× more than the matcher itself). The state is then deleted
  (deleting the state of a sid that fired nothing crashes the process). Live sids are
  counted; there is at most one at a time, far below the engine's 1,024.
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
from collections.abc import Sequence

import durable_rules_engine
from durable.engine import Host, Promise, Ruleset

from evaluators.engines.durable.events import Computed, Written, batch, events, quoted, read
from evaluators.engines.durable.layout import FALLBACK, SENTINEL, Layout, LeafLayout, build_layout
from evaluators.engines.durable.translate import dumps
from evaluators.errors import EngineError
from evaluators.program import Case, Decision, Program
from rules import EvaluationError

__all__ = ["MAX_LIVE_SESSIONS", "MAX_RULESETS", "DurableHost", "Evaluator"]

MAX_RULESETS = 4
MAX_LIVE_SESSIONS = 1000  # the engine fails beyond 1,024 live sids per ruleset
_GROUP = 16  # cases whose events are written, run, then read together
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

    def decide(
        self, key: str, cases: Sequence[Case | Written], program: Program | None = None, trace=False
    ):
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
        for start in range(0, len(cases), _GROUP):
            group = cases[start : start + _GROUP]
            # The events of a few cases, then the engine's runs back to back, then the
            # replies read: its per-session tables (~3 MB) and our objects take turns
            # in the CPU caches per phase rather than per call (~10 % faster).
            runs = []
            computed: Computed
            for case in group:
                self._sid += 1
                sid = str(self._sid)
                if isinstance(case, Written):  # its values written by the caller
                    text, computed = batch(read(layout, case), quoted(sid)), {}
                else:
                    written, computed = events(layout, case)
                    text = batch(written, quoted(sid))
                runs.append((sid, text, computed))
            replies = [self._run(layout, sid, text) for sid, text, _ in runs]
            for case, (_sid, _, computed), got in zip(group, runs, replies, strict=True):
                quick = None if trace or case.claims or case.skip else _quick(layout, got)
                if quick is not None:
                    decisions.append(quick)
                    continue
                fired = _fired(layout, got)
                if case.claims or case.skip:
                    fired = _flagged(layout, case, fired)
                decisions.append(_decisions(layout, fired, computed, case))
                if trace:
                    traces.append([name for name, _ in fired])
        return decisions, traces

    def _run(self, layout: Layout, sid: str, text: str) -> list[str]:
        """Assert one evaluation's events as one batch, then run the actions straight
        through the C binding (no `Closure`, no Python action); the replies, each naming
        the rule that fired, which is all an action would record."""
        name = layout.name
        with self.host.lock:
            if self.live[name] >= MAX_LIVE_SESSIONS:
                raise EngineError(f"ruleset {name} has {self.live[name]} live sessions")
            handle = self.host.get_ruleset(name)._handle
            self.live[name] += 1
            self.peak_live = max(self.peak_live, self.live_sessions)
            replies: list[str] = []
            try:
                code, state = durable_rules_engine.assert_events(handle, text)
                if code != 0:  # 1: some event matched no rule; 2: already observed
                    raise EngineError(f"the engine did not take every event (result {code})")
                reply = durable_rules_engine.start_action_for_state(handle, state)
                reply = reply[1] if reply else None
                complete, record = _COMPLETE, replies.append
                while reply:
                    record(reply)
                    reply = complete(handle, state)
            except Exception as exc:
                if replies:
                    self._delete(name, sid)
                else:  # deleting the state of a sid that fired nothing crashes the process
                    self.poisoned = True
                raise EngineError(
                    f"durable-rules failed on ruleset {name}: {_describe(exc)}"
                ) from None
            self._delete(name, sid)
        self.evaluations += 1
        return replies

    def _delete(self, name: str, sid: str) -> None:
        self.host.delete_state(name, sid)
        self.live[name] -= 1


def _quick(layout: Layout, replies: list[str]) -> dict[str, Decision] | None:
    """The decisions when each reply decides one leaf on its own (a rule or N/A of a
    leaf without bonus or penalty rules), each leaf once, and the sentinel fired; else
    None, and `_fired` and `_decisions` read the replies (and say what went wrong)."""
    direct = layout.direct
    if direct is None:
        direct = layout.direct = _direct(layout)
    by_rule, by_start = direct.by_rule, direct.by_start
    out: dict[str, Decision] = {}
    sentinel = False
    for reply in replies:
        # a class's rule: the reply up to the class tells the rule and the member
        entry = by_start.get(reply[: reply.find(',"c":')]) if by_start else None
        if entry is None:
            rule = reply[2 : reply.find('"', 2)]  # rule names have no quotes
            entry = by_rule.get(rule)
            if entry is None:
                if rule == SENTINEL and not sentinel:
                    sentinel = True
                    continue
                if rule == FALLBACK:
                    entry = direct.by_action.get(_unlisted(layout, rule, reply)[0])
                if entry is None:
                    return None
        leaf_id, decision = entry
        if leaf_id in out:
            return None
        out[leaf_id] = decision
    if not sentinel or len(out) != len(layout.leaves):
        return None
    return out


def _fired(layout: Layout, replies: list[str]) -> list[tuple[str, str]]:
    """(action, event) of each reply, '{"<rule name>":{"m":{<the event>}}}'."""
    known = layout.rules.get
    fired = []
    for reply in replies:
        rule = reply[2 : reply.find('"', 2)]
        found = known(rule)
        if found is None:
            found = _unlisted(layout, rule, reply)
        fired.append(found)
    return fired


def _start(rule: str) -> str:
    """A reply's text before its event's properties."""
    return '{"' + rule + '":{"m":{'


def _unlisted(layout: Layout, rule: str, reply: str) -> tuple[str, str]:
    """(action, event) of a rule ``layout.rules`` does not list: the shared fallback or
    a class's rule (its event is the one whose discriminators the reply carries), or
    ``(rule, "?")``."""
    members = layout.fallbacks if rule == FALLBACK else layout.shared.get(rule)
    if members is not None:
        # '{"<rule>":{"m":{<discriminators>,…,"sid":<sid>}}}': g and l, then a for a
        # leaf with adjustments
        parts = reply[len(_start(rule)) :].split(",", 3)
        if len(parts) >= 2:
            key = parts[0] + "," + parts[1].rstrip("}")
            found = members.get(key)
            if found is None and len(parts) >= 3:
                found = members.get(key + "," + parts[2].rstrip("}"))
            if found is not None:
                return found
        return rule, "?"
    rule = next(iter(json.loads(reply)))  # the name as the engine wrote it
    return layout.rules.get(rule, (rule, "?"))


def _describe(exc: Exception) -> str:
    code = _code(exc)
    if code is not None:
        return f"{explain_code(code)} (error {code})"
    return getattr(exc, "message", None) or str(exc)


def _flagged(layout: Layout, case: Case | Written, fired: list[tuple[str, str]]):
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


def _decisions(
    layout: Layout, fired: list[tuple[str, str]], computed: Computed, case: Case | Written
) -> dict[str, Decision]:
    by_event: dict[str, str] = {}
    for action, message_id in fired:
        if message_id == "?":
            raise EngineError(f"an unknown rule fired: {action}")
        if message_id in by_event:
            raise EngineError(f"event {message_id} fired twice ({by_event[message_id]}, {action})")
        by_event[message_id] = action
    if by_event.get("end") != SENTINEL:
        raise EngineError("the sentinel rule did not fire")
    direct = layout.direct
    if direct is None:
        direct = layout.direct = _direct(layout)
    out: dict[str, Decision] = {}
    for ll in layout.leaves:
        entry = direct.by_action.get(by_event.get(ll.events[0]))
        decision = entry[1] if entry is not None else _leaf(layout, ll, by_event, computed, case)
        if decision is not None:
            out[ll.id] = decision
    return out


class _Direct:
    """The outcomes that decide a leaf without bonus or penalty rules on their own (a
    rule, an N/A, "no tier applies"): by action, and by the name of the engine's rule."""

    def __init__(self, layout: Layout) -> None:
        leaves = {ll.id: ll for ll in layout.leaves if not ll.adjustments}
        self.by_action: dict[str, tuple[str, Decision]] = {}
        for action, outcome in layout.outcomes.items():
            leaf_id = action.split("/", 1)[0]
            if leaf_id not in leaves or not action.startswith(f"{leaf_id}/"):
                continue
            if outcome.kind in ("rule", "na"):
                self.by_action[action] = (leaf_id, _decision(layout, outcome.value, ()))
            elif outcome.kind == "none":
                self.by_action[action] = (leaf_id, _NO_TIER)
        self.by_rule = {
            rule: self.by_action[action]
            for rule, (action, _event) in layout.rules.items()
            if action in self.by_action
        }
        # a reply of a class's rule up to the class (its rule and the member's
        # discriminators) → the member's entry: a class's members have no bonus or
        # penalty rules, so each of their outcomes decides on its own
        self.by_start = {
            _start(rule) + head: self.by_action[action]
            for rule, members in layout.shared.items()
            for head, (action, _) in members.items()
            if action in self.by_action
        }


_NO_TIER = Decision("error", error="no tier applies")


def _direct(layout: Layout) -> _Direct:
    return _Direct(layout)


def _error_of(outcome, computed: Computed, case: Case | Written) -> Decision:
    found = computed.get(outcome.field)
    if found is None:  # written from a table: computed only now
        if isinstance(case, Written):  # every value was a clean number
            raise EngineError(f"{outcome.field.value} fired an error for a clean number")
        env = case.facts if outcome.field.scope == "facts" else {**case.facts, **case.values}
        found = outcome.field.compute(env)
    _value, error = found
    if not isinstance(error, EvaluationError):  # `events` sends no other error
        raise EngineError(f"{outcome.field.value} fired an error its value does not have")
    return Decision("error", error=error.message)


def _leaf(
    layout: Layout,
    ll: LeafLayout,
    by_event: dict[str, str],
    computed: Computed,
    case: Case | Written,
):
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
        return _error_of(outcome, computed, case)
    if outcome.kind == "none":
        return _NO_TIER
    fired = []
    for slot, (rule_id, _fields) in enumerate(ll.adjustments, start=1):
        action = by_event.get(ll.events[slot])
        if action is None:
            raise EngineError(f"no rule fired for {rule_id} of criterion {ll.id}")
        adjustment = layout.outcomes[action]
        if adjustment.kind == "error":
            return _error_of(adjustment, computed, case)
        if adjustment.kind == "fire":
            fired.append(rule_id)
    return _decision(layout, outcome.value, tuple(fired))


def _decision(layout: Layout, rule: str | None, adjustments: tuple[str, ...]) -> Decision:
    """One shared (immutable) Decision per outcome: cheaper to build and to pickle."""
    key = (rule, adjustments)
    found = layout.decisions.get(key)
    if found is None:
        # `rule` is a "rule" or "na" outcome's value, which every such outcome carries
        found = layout.decisions[key] = Decision(rule, adjustments)  # type: ignore[arg-type]
    return found
