"""One database connection per request: every query and action a request runs shares it (`Database.unit_of_work`),
instead of each taking its own. A request that needs no database (the FAQ, static files) takes none."""

from __future__ import annotations

from trialfinder.storage.database import Database


class UnitOfWorkMiddleware:
    """Innermost, inside the error pages: a request that fails gives its connection back before its error page is
    made (a PostgreSQL connection found lost is closed, not pooled)."""

    def __init__(self, app, database: Database):
        self.app = app
        self.database = database

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.database.unit_of_work():
            await self.app(scope, receive, send)
