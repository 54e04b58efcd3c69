"""`create_app`: the website as an ASGI application, built from what it is given (no module-level state)."""

from __future__ import annotations

import contextlib
from importlib import resources

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.web.access_log import AccessLogMiddleware
from trialfinder.web.api import Api
from trialfinder.web.errors import ErrorPagesMiddleware, http_exception_handler
from trialfinder.web.i18n import Catalogs, LanguageMiddleware
from trialfinder.web.pages import Pages
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rendering import Renderer
from trialfinder.web.security import SecurityHeadersMiddleware


def create_app(settings: Settings, database: Database) -> Starlette:
    renderer = Renderer(Catalogs())
    places = PlaceFinder(settings.cache_dir)
    pages = Pages(renderer=renderer, database=database, places=places)
    api = Api(renderer=renderer, database=database, places=places)
    static = StaticFiles(directory=str(resources.files(__package__).joinpath("static")))

    routes = [
        Route("/", pages.search),
        Route("/trials", pages.search),
        Route("/trials/{nct_id}", pages.trial),
        Route("/faq", pages.faq),
        Route("/api/trials", api.trials),
        Route("/api/trials/{nct_id}", api.trial),
        Route("/api/places", api.place_suggestions),
        Route("/api/openapi.json", api.openapi),
        Mount("/static", static, name="static"),
    ]
    # Outermost first: every response, error pages included, gets the security headers and the language.
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(LanguageMiddleware),
        Middleware(ErrorPagesMiddleware, renderer=renderer),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # Load the gazetteer before the first request rather than during it (seconds when its cache is cold).
        await anyio.to_thread.run_sync(places.warm)
        yield

    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_exception_handler(renderer)},
        lifespan=lifespan,
    )
