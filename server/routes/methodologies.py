"""`/api/methodologies`: read, edit, release, derive, diff and rebase methodologies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from methodology import Spec, open_methodology
from server.auth import Principal, require
from server.deps import Services
from server.services import methodologies as svc

__all__ = ["MethodologyController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


def _scope(services: Services, slug: FromPath[str], ref: str | None = None) -> dict[str, Any]:
    """Ownership and release status of a methodology, for `require`."""
    svc.check_slug(slug, "methodology")
    m = open_methodology(services.store, Spec(slug, ref or None))
    tags = {r.commit for r in services.store.releases(slug)}
    return {
        "province": m.manifest.province if m.manifest else None,
        "derived": bool(m.extends),
        "released": m.commit in tags,
    }


class MethodologyController(Controller):
    path = "/api/methodologies"
    tags = ["methodologies"]

    @get("/", operation_id="listMethodologies", sync_to_thread=True)
    def list_methodologies(self, services: Svc, principal: Who) -> list[dict[str, Any]]:
        """Every methodology in the store, with its releases (only released ones when anonymous)."""
        return svc.list_methodologies(services.store, released_only=principal.anonymous)

    @get("/{slug:str}", operation_id="getMethodology", sync_to_thread=True)
    def get_methodology(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        ref: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """The resolved tree at `ref` (the document `parindex show --format json` prints)."""
        require(principal, "methodology.read", **_scope(services, slug, ref))
        return svc.show(services.store, slug, ref)

    @get("/{slug:str}/versions", operation_id="listVersions", sync_to_thread=True)
    def versions(self, services: Svc, principal: Who, slug: FromPath[str]) -> dict[str, Any]:
        """Releases (annotated tags with their decisions) and commits."""
        require(principal, "methodology.read")
        return svc.versions(services.store, slug)

    @get("/{slug:str}/log", operation_id="getLog", sync_to_thread=True)
    def log(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        node: FromQuery[str | None] = None,
    ) -> list[dict[str, Any]]:
        """History of the methodology, or of one node across moves and `replaces`."""
        require(principal, "methodology.read")
        return svc.methodology_log(services.store, slug, node)

    @get("/{slug:str}/nodes/{node_id:str}", operation_id="getNode", sync_to_thread=True)
    def get_node(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        ref: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """One node with its guidance rendered to HTML."""
        require(principal, "methodology.read", **_scope(services, slug, ref))
        return svc.get_node(services.store, slug, node_id, ref)

    @put("/{slug:str}/nodes/{node_id:str}", operation_id="putNode", sync_to_thread=True)
    def put_node(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
    ) -> dict[str, Any]:
        """Create or update a node from `base`; 409 names the newer commit, 422 lists every error."""
        require(principal, "methodology.edit", **_scope(services, slug))
        return svc.put_node(services.store, slug, node_id, data, principal.person())

    @delete(
        "/{slug:str}/nodes/{node_id:str}",
        operation_id="deleteNode",
        status_code=200,
        sync_to_thread=True,
    )
    def delete_node(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        node_id: FromPath[str],
        base: FromQuery[str],
        message: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """Delete a node (and its children) from `base`."""
        require(principal, "methodology.edit", **_scope(services, slug))
        return svc.delete_node(services.store, slug, node_id, base, principal.person(), message)

    @post("/{slug:str}/releases", operation_id="createRelease", sync_to_thread=True)
    def create_release(
        self, services: Svc, principal: Who, slug: FromPath[str], data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Tag a validated version as an official release `{ref, name, decision, date}`."""
        require(principal, "methodology.release", **_scope(services, slug))
        return svc.release(services.store, slug, data, principal.person())

    @get("/{slug:str}/diff", operation_id="getDiff", sync_to_thread=True)
    def diff(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        from_ref: Annotated[str, QueryParameter(name="from")],
        to_ref: Annotated[str, QueryParameter(name="to")],
    ) -> dict[str, Any]:
        """The diff of two versions (the JSON of `parindex diff`)."""
        require(principal, "methodology.read")
        return svc.methodology_diff(services.store, slug, from_ref, to_ref)

    @post("/", operation_id="createMethodology", sync_to_thread=True)
    def create(
        self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Create a methodology, or derive one: `{slug, manifest: {..., extends}, overlay}`."""
        manifest = data.get("manifest") if isinstance(data.get("manifest"), dict) else {}
        owner = manifest.get("owner") if isinstance(manifest.get("owner"), dict) else {}
        require(
            principal,
            "methodology.create",
            province=owner.get("province"),
            derived=bool(manifest.get("extends")),
        )
        return svc.create_methodology(services.store, data, principal.person())

    @get("/{slug:str}/rebase", operation_id="planRebase", sync_to_thread=True)
    def plan_rebase(
        self,
        services: Svc,
        principal: Who,
        slug: FromPath[str],
        onto: FromQuery[str],
    ) -> dict[str, Any]:
        """What re-applying the overlay onto `onto` would do; nothing is written."""
        require(principal, "methodology.read")
        return svc.rebase_report(services.store, slug, onto)

    @post("/{slug:str}/rebase", operation_id="applyRebase", sync_to_thread=True)
    def apply_rebase(
        self, services: Svc, principal: Who, slug: FromPath[str], data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Commit the new pin `{onto}` when nothing conflicts (409 otherwise)."""
        require(principal, "methodology.rebase", **_scope(services, slug))
        return svc.rebase_apply(
            services.store, slug, str(data.get("onto") or ""), principal.person()
        )
