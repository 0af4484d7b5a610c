"""HTTP for this package: thin controllers, ``...Api`` for JSON and ``...Pages`` for HTML."""

route_handlers: list = []
