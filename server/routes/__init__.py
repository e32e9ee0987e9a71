"""HTTP controllers, one per domain noun; handlers call services in `server/services`."""

from server.routes.methodologies import MethodologyController

CONTROLLERS = [MethodologyController]
