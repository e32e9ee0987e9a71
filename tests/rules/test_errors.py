import pickle

from rules import (
    EvaluationError,
    RuleError,
    RuleSyntaxError,
    RuleTypeError,
    SpecError,
    UnknownNameError,
)


def test_hierarchy():
    assert issubclass(UnknownNameError, RuleTypeError)
    for cls in (RuleSyntaxError, RuleTypeError, SpecError, EvaluationError):
        assert issubclass(cls, RuleError)
    assert issubclass(RuleError, Exception)


def test_str_full_location_and_suggestion():
    err = UnknownNameError(
        "unknown name 'ty_le_dung_han2'",
        file="criteria/1/_node.md",
        line=12,
        column=18,
        path="scoring.tiers[1].when",
        token="ty_le_dung_han2",
        suggestion="did you mean `ty_le_dung_han`?",
    )
    assert str(err) == (
        "criteria/1/_node.md:12:18: unknown name 'ty_le_dung_han2' (did you mean `ty_le_dung_han`?)"
    )


def test_str_omits_missing_parts():
    assert str(RuleError("boom")) == "boom"
    assert str(RuleError("boom", line=3, column=4)) == "3:4: boom"
    assert str(SpecError("bad", file="a.md", path="scoring.kind")) == "a.md: scoring.kind: bad"


def test_to_dict_and_pickle():
    err = SpecError("bad", file="a.md", line=1, column=2, path="p", token="t", suggestion="s")
    assert err.to_dict() == {
        "message": "bad",
        "file": "a.md",
        "line": 1,
        "column": 2,
        "path": "p",
        "token": "t",
        "suggestion": "s",
    }
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is SpecError
    assert copy.to_dict() == err.to_dict()
