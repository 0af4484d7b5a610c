"""(Being written.)"""

route_handlers: list = []
