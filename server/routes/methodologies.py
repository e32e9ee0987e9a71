"""`/api/methodologies`: read, edit, release, derive, diff and rebase methodologies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter, QueryParameter

from methodology import StoreError, diff
from server import schemas as s
from server.auth import Principal, require
from server.caching import (
    IMMUTABLE,
    NOT_MODIFIED,
    PRIVATE_IMMUTABLE,
    REVALIDATE,
    conditional,
)
from server.deps import Services
from server.errors import Conflict
from server.services import fixed
from server.services import methodologies as svc

__all__ = ["MethodologyController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
Ref = Annotated[str, Parameter(min_length=1, max_length=200, description="a version")]


def _scope(services: Services, slug: str, ref: str | None = None) -> dict[str, Any]:
    """Ownership and release status of a methodology, for `require`."""
    return svc.methodology_scope(services.store, slug, ref)


class MethodologyController(Controller):
    path = "/api/methodologies"
    tags = ["methodologies"]
    security = s.SIGNED_IN

    @get(
        "/",
        operation_id="listMethodologies",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    def list_methodologies(self, services: Svc, principal: Who) -> list[s.MethodologySummary]:
        """Every methodology in the store, with its releases (only released ones when anonymous)."""
        found = svc.list_methodologies(services.store, released_only=principal.anonymous)
        return s.reply(list[s.MethodologySummary], found)

    @get(
        "/{slug:str}",
        operation_id="getMethodology",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses={**s.problems(), **NOT_MODIFIED},
    )
    def get_methodology(
        self,
        request: Request[Any, Any, Any],
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        ref: s.RefQuery = None,
    ) -> Response[s.MethodologyTree]:
        """The resolved tree at `ref` (the document `parindex show --format json` prints).
        Its ETag and `Cache-Control` follow the commits it is read at: immutable for a
        commit sha or a release, revalidated for a branch head or a date (304 on a match)."""
        found = fixed.tree_key(services.store, services.responses, slug, ref)
        require(principal, "methodology.read", released=found.released)
        control = REVALIDATE
        if found.immutable:
            control = IMMUTABLE if found.released else PRIVATE_IMMUTABLE
        return conditional(
            request,
            services.responses,
            found.key,
            control,
            lambda: s.reply(s.MethodologyTree, found.open(services.store)[0].to_json()),
        )

    @get(
        "/{slug:str}/versions",
        operation_id="listVersions",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def versions(self, services: Svc, principal: Who, slug: s.SlugParam) -> s.Versions:
        """Releases (annotated tags with their decisions) and commits."""
        require(principal, "methodology.read")
        return s.reply(s.Versions, svc.versions(services.store, slug))

    @get("/{slug:str}/log", operation_id="getLog", sync_to_thread=True, responses=s.problems())
    def log(
        self, services: Svc, principal: Who, slug: s.SlugParam, node: s.SlugQuery = None
    ) -> list[s.LogEntry]:
        """History of the methodology, or of one node across moves and `replaces`."""
        require(principal, "methodology.read")
        return s.reply(list[s.LogEntry], svc.methodology_log(services.store, slug, node))

    @get(
        "/{slug:str}/nodes/{node_id:str}",
        operation_id="getNode",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    def get_node(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        node_id: s.NodeParam,
        ref: s.RefQuery = None,
    ) -> s.NodeRead:
        """One node with its guidance rendered to HTML."""
        require(principal, "methodology.read", **_scope(services, slug, ref))
        return s.reply(s.NodeRead, svc.get_node(services.store, slug, node_id, ref))

    @put(
        "/{slug:str}/nodes/{node_id:str}",
        operation_id="putNode",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def put_node(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        node_id: s.NodeParam,
        data: JSONBody[s.NodePut],
    ) -> s.NodeWritten:
        """Create or update a node from `base`; 409 names the newer commit, 422 lists every error."""
        require(principal, "methodology.edit", **_scope(services, slug))
        written = svc.put_node(services.store, slug, node_id, s.plain(data), principal.person())
        return s.reply(s.NodeWritten, written)

    @delete(
        "/{slug:str}/nodes/{node_id:str}",
        operation_id="deleteNode",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def delete_node(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        node_id: s.NodeParam,
        base: Ref,
        message: Annotated[str | None, Parameter(max_length=2000)] = None,
    ) -> s.Commit:
        """Delete a node (and its children) from `base`."""
        require(principal, "methodology.edit", **_scope(services, slug))
        commit = svc.delete_node(services.store, slug, node_id, base, principal.person(), message)
        return s.reply(s.Commit, commit)

    @post(
        "/{slug:str}/releases",
        operation_id="createRelease",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def create_release(
        self, services: Svc, principal: Who, slug: s.SlugParam, data: JSONBody[s.ReleaseCreate]
    ) -> s.Release:
        """Tag a validated version as an official release `{ref, name, decision, date,
        effective?, years?, amends?}`; 409 when the release name exists."""
        require(principal, "methodology.release", **_scope(services, slug))
        try:
            released = svc.release(services.store, slug, s.plain(data), principal.person())
        except StoreError:
            if any(r.name == data.name for r in services.store.releases(slug)):
                raise Conflict(
                    f"release {slug}/{data.name} exists; a release is never overwritten",
                    [{"path": "$.name", "message": "taken"}],
                ) from None
            raise
        return s.reply(s.Release, released)

    @get(
        "/{slug:str}/diff",
        operation_id="getDiff",
        sync_to_thread=True,
        responses={**s.problems(), **NOT_MODIFIED},
    )
    def diff(
        self,
        request: Request[Any, Any, Any],
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        from_ref: Annotated[str, QueryParameter(name="from", min_length=1, max_length=301)],
        to_ref: Annotated[str, QueryParameter(name="to", min_length=1, max_length=301)],
    ) -> Response[s.Diff]:
        """The diff of two versions (the JSON of `parindex diff`); `to` may be
        `<other>@<ref>`. Immutable (ETag, 304) when both name a commit sha or a release."""
        require(principal, "methodology.read")
        specs = svc.diff_specs(slug, from_ref, to_ref)
        found = fixed.diff_key(services.store, services.responses, *specs)
        return conditional(
            request,
            services.responses,
            found.key,
            PRIVATE_IMMUTABLE if found.immutable else REVALIDATE,
            lambda: s.reply(s.Diff, diff(*found.open(services.store)).to_json()),
        )

    @post(
        "/",
        operation_id="createMethodology",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def create(
        self, services: Svc, principal: Who, data: JSONBody[s.MethodologyCreate]
    ) -> s.MethodologyCreated:
        """Create a methodology, or derive one: `{slug, manifest: {..., extends}, overlay}`."""
        owner = data.manifest.get("owner")
        require(
            principal,
            "methodology.create",
            province=owner.get("province") if isinstance(owner, dict) else None,
            derived=bool(data.manifest.get("extends")),
        )
        created = svc.create_methodology(services.store, s.plain(data), principal.person())
        return s.reply(s.MethodologyCreated, created)

    @get(
        "/{slug:str}/rebase",
        operation_id="planRebase",
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def plan_rebase(
        self, services: Svc, principal: Who, slug: s.SlugParam, onto: Ref
    ) -> s.RebasePlan:
        """What re-applying the overlay onto `onto` would do; nothing is written."""
        require(principal, "methodology.read")
        return s.reply(s.RebasePlan, svc.rebase_report(services.store, slug, onto))

    @post(
        "/{slug:str}/rebase",
        operation_id="applyRebase",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def apply_rebase(
        self, services: Svc, principal: Who, slug: s.SlugParam, data: JSONBody[s.RebaseApply]
    ) -> s.Rebased:
        """Commit the new pin `{onto}` when nothing conflicts (409 otherwise)."""
        require(principal, "methodology.rebase", **_scope(services, slug))
        rebased = svc.rebase_apply(services.store, slug, data.onto, principal.person())
        return s.reply(s.Rebased, rebased)

    @get(
        "/{slug:str}/overlay",
        operation_id="getOverlay",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def get_overlay(
        self, services: Svc, principal: Who, slug: s.SlugParam, ref: s.RefQuery = None
    ) -> s.OverlayRead:
        """A derived index's `overlay.yaml` and the commit it was read at (`base` for PUT)."""
        require(principal, "methodology.read", **_scope(services, slug, ref))
        return s.reply(s.OverlayRead, svc.get_overlay(services.store, slug, ref))

    @put(
        "/{slug:str}/overlay",
        operation_id="putOverlay",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def put_overlay(
        self, services: Svc, principal: Who, slug: s.SlugParam, data: JSONBody[s.OverlayPut]
    ) -> s.OverlayWritten:
        """Replace the overlay from `base`; 409 names the newer commit, 422 lists every
        problem of the derived tree (`$.overlay.<entry>`)."""
        require(principal, "methodology.edit", **_scope(services, slug))
        written = svc.put_overlay(services.store, slug, s.plain(data), principal.person())
        return s.reply(s.OverlayWritten, written)
