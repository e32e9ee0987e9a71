"""ETags and `Cache-Control` of what a commit fixes: released trees, diffs between
releases; 304 on a match, the access check first; the per-process cache bounded."""

from __future__ import annotations

from methodology import Spec
from server.caching import IMMUTABLE, PRIVATE_IMMUTABLE, REVALIDATE, ResponseCache, etag_for
from server.services.fixed import Fixed

TREE = "/api/methodologies/par-provincial"
RELEASE = "par-provincial/2022"


def test_a_released_tree_is_immutable_and_answers_304(client):
    r = client.get(TREE, params={"ref": RELEASE})
    assert r.status_code == 200
    etag = r.headers["etag"]
    assert etag.startswith('"') and r.headers["cache-control"] == IMMUTABLE
    # The short name of the release and its commit sha fix the same content for good.
    short = client.get(TREE, params={"ref": "2022"})
    assert short.headers["cache-control"] == IMMUTABLE
    assert short.json() == {**r.json(), "ref": "2022"}  # the body says the ref as asked
    assert short.headers["etag"] != etag
    sha = client.get(TREE, params={"ref": r.json()["commit"]})
    assert sha.headers["cache-control"] == IMMUTABLE and sha.json()["commit"] == r.json()["commit"]

    again = client.get(TREE, params={"ref": RELEASE}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == IMMUTABLE
    listed = client.get(TREE, params={"ref": RELEASE}, headers={"If-None-Match": f'"x", {etag}'})
    assert listed.status_code == 304
    other = client.get(TREE, params={"ref": RELEASE}, headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.json() == r.json()


def test_a_branch_head_is_revalidated_and_changes_with_its_commit(client, make_user):
    editor = make_user("ministry_editor")
    r = client.get("/api/methodologies/vi-du", headers=editor)
    etag, tree = r.headers["etag"], r.json()
    assert r.headers["cache-control"] == REVALIDATE
    same = client.get("/api/methodologies/vi-du", headers={**editor, "If-None-Match": etag})
    assert same.status_code == 304

    node = client.get("/api/methodologies/vi-du/nodes/ket-qua-ro-rang", headers=editor).json()
    fields = {**node["front_matter"], "guidance": "Đạt yêu cầu: 1 điểm (đã sửa)."}
    put = client.put(
        "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
        headers=editor,
        json={"node": fields, "base": tree["commit"]},
    )
    assert put.status_code == 200, put.text
    moved = client.get("/api/methodologies/vi-du", headers={**editor, "If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["etag"] != etag
    assert moved.json()["commit"] == put.json()["commit"]
    # The old commit, named by its sha, is fixed; it is not released, so private.
    old = client.get("/api/methodologies/vi-du", params={"ref": tree["commit"]}, headers=editor)
    assert old.headers["cache-control"] == PRIVATE_IMMUTABLE
    assert old.json()["nodes"] == tree["nodes"]
    # A date names whatever was in force that day: it may change, so it is revalidated.
    dated = client.get(TREE, params={"ref": "2023-06-01"}, headers=editor)
    assert dated.status_code == 200 and dated.headers["cache-control"] == REVALIDATE


def test_the_access_check_comes_before_a_304(client, make_user):
    auditor = make_user("auditor")
    etag = client.get(TREE, headers=auditor).headers["etag"]
    r = client.get(TREE, headers={"If-None-Match": etag})
    assert r.status_code == 401 and "etag" not in r.headers


def test_a_diff_between_releases_is_fixed_and_one_with_the_head_is_not(client, make_user):
    auditor = make_user("auditor")
    query = {"from": "par-provincial/2019", "to": RELEASE}
    r = client.get(f"{TREE}/diff", params=query, headers=auditor)
    assert r.status_code == 200 and r.headers["cache-control"] == PRIVATE_IMMUTABLE
    again = client.get(
        f"{TREE}/diff", params=query, headers={**auditor, "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    head = client.get(f"{TREE}/diff", params={"from": RELEASE, "to": "main"}, headers=auditor)
    assert head.status_code == 200 and head.headers["cache-control"] == REVALIDATE
    assert head.headers["etag"] != r.headers["etag"]


def test_the_response_cache_is_bounded_least_recently_used_first_out():
    cache = ResponseCache(max_bytes=40)
    built: list[str] = []

    def body(name: str) -> bytes:
        built.append(name)
        return name.encode() * 10  # 10 bytes

    for name in "abcd":
        cache.get_or_build(name, lambda name=name: body(name))
    cache.get_or_build("a", lambda: body("a"))  # "a" used again: "b" is now the oldest
    cache.get_or_build("e", lambda: body("e"))
    assert len(cache) == 4 and built == list("abcde")
    cache.get_or_build("a", lambda: body("a"))
    cache.get_or_build("b", lambda: body("b"))
    assert built == [*"abcde", "b"]
    # A body larger than a quarter of the bound is served, not kept.
    assert cache.get_or_build("big", lambda: b"x" * 11) == b"x" * 11 and len(cache) == 4


def test_an_etag_is_a_digest_of_the_key_not_of_the_body():
    assert etag_for(("tree", "a", "1")) != etag_for(("tree", "a", "2"))


def test_a_derived_release_pinned_to_a_release_is_fixed_and_remembered(client, make_user):
    url = "/api/methodologies/daklak-so"
    r = client.get(url, params={"ref": "daklak-so/2022"})
    assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE
    assert r.json()["extends"]["ref"] == "par-provincial/2022"
    # What the URL fixes is remembered: the next read resolves nothing.
    memo = client.app.state.services.responses
    remembered = memo.recall(("tree", Spec("daklak-so", "daklak-so/2022")))
    assert isinstance(remembered, Fixed) and remembered.immutable and remembered.released
    # The ETag served is the digest of that key, whatever the body.
    assert r.headers["etag"] == etag_for(remembered.key)
    assert client.get(url, params={"ref": "daklak-so/2022"}).content == r.content
    # Its head is not fixed: the next commit, or a new pin, changes it.
    head = client.get(url, headers=make_user("auditor"))
    assert head.headers["cache-control"] == REVALIDATE
    assert memo.recall(("tree", Spec("daklak-so", None))) is None
