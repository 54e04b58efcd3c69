"""`create_app`: the website as an ASGI application, built from what it is given (no module-level state)."""

from __future__ import annotations

import contextlib
from functools import partial
from importlib import resources

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.notifications.email import EmailSender
from trialfinder.notifications.senders import sender_from_settings
from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.views.i18n import Catalogs
from trialfinder.web.access_log import AccessLogMiddleware
from trialfinder.web.api import Api
from trialfinder.web.contact import Contact
from trialfinder.web.eligibility import Eligibility
from trialfinder.web.errors import ErrorPagesMiddleware, http_exception_handler
from trialfinder.web.i18n import LanguageMiddleware
from trialfinder.web.jobs import run_jobs
from trialfinder.web.match import TrialsForMe
from trialfinder.web.match_api import MatchApi
from trialfinder.web.notes import Notes
from trialfinder.web.pages import Pages
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rate_limits import RateLimiter, rate_limit_storage
from trialfinder.web.rendering import Renderer
from trialfinder.web.security import SecurityHeadersMiddleware
from trialfinder.web.services import Services
from trialfinder.web.subscriptions import Subscriptions
from trialfinder.web.unit_of_work import UnitOfWorkMiddleware


def create_app(
    settings: Settings,
    database: Database,
    *,
    sender: EmailSender | None = None,
    run_jobs_in_background: bool = False,
    base_url: str | None = None,
    clock=None,
) -> Starlette:
    """The website. `sender` replaces the settings' (tests pass one for a local SMTP server); with
    `run_jobs_in_background` (as `serve` does) the outbox is delivered and old referrals purged on a schedule."""
    catalogs = Catalogs()
    renderer = Renderer(catalogs)
    places = PlaceFinder(settings.cache_dir)
    writer = EmailWriter.from_settings(settings, catalogs=catalogs, base_url=base_url)
    sender = sender or sender_from_settings(settings)
    services = Services(
        renderer=renderer,
        writer=writer,
        sender=sender,
        database=database,
        places=places,
        settings=settings,
        rate_limits=rate_limit_storage(settings.rate_limit_storage),
        **({"clock": clock} if clock else {}),  # tests control time: links expire
    )
    contact = Contact(services)
    subscriptions = Subscriptions(services)
    contact.subscriptions = subscriptions  # "Would you like to be notified about other trials?" after a request
    notes = Notes(services)
    eligibility = Eligibility(renderer=renderer, database=database)
    pages = Pages(
        renderer=renderer,
        database=database,
        places=places,
        contact=contact,
        eligibility=eligibility,
        subscriptions=subscriptions,
        notes=notes,
    )
    api = Api(renderer=renderer, database=database, places=places)
    # Matching reads a description and screens dozens of trials: a second of CPU. The page and the API share one
    # count per client, so that neither door can be used to keep a worker busy.
    matches_per_client = (
        RateLimiter(services.rate_limits, "match.per_client", limit=settings.matches_per_client, window=600)
        if settings.matches_per_client
        else None
    )
    trials_for_me = TrialsForMe(renderer=renderer, database=database, places=places, limiter=matches_per_client)
    static = StaticFiles(directory=str(resources.files(__package__).joinpath("static")))
    icon = resources.files(__package__).joinpath("static", "icon.svg").read_bytes()

    async def favicon(request) -> Response:
        # Pages link the icon (`<link rel="icon">`); browsers and tools that ask for /favicon.ico get it too, not a 404.
        return Response(icon, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"})

    routes = [
        Route("/", pages.search),
        Route("/trials", pages.search),
        Route("/trials/{nct_id}", pages.trial),
        Route("/trials/{nct_id}/eligibility", eligibility.page, methods=["GET", "POST"]),
        Route("/api/trials/{nct_id}/eligibility", eligibility.api_assess, methods=["POST"]),
        Route("/api/trials/{nct_id}/eligibility/questions", eligibility.api_questions),
        Route("/trials/{nct_id}/contact", contact.page, methods=["GET"]),
        Route("/trials/{nct_id}/notes", notes.page, methods=["GET"]),
        Route("/trials/{nct_id}/notes", notes.add, methods=["POST"]),
        Route("/trials/{nct_id}/notes/{note_id}", notes.edit_page, methods=["GET"]),
        Route("/trials/{nct_id}/notes/{note_id}", notes.change, methods=["POST"]),
        Route("/trials/{nct_id}/share", notes.share, methods=["POST"]),
        Route("/trials/{nct_id}/share/{share_id}/revoke", notes.revoke, methods=["POST"]),
        Route("/shared/{token}", notes.shared, methods=["GET", "POST"]),
        Route("/notes", notes.mine, methods=["GET"]),
        Route("/notes/email-link", notes.email_link, methods=["POST"]),
        Route("/notes/restore", notes.restore, methods=["GET", "POST"]),
        Route("/notes/delete", notes.delete_all, methods=["POST"]),
        Route("/trials/{nct_id}/contact", contact.submit, methods=["POST"]),
        Route("/trials/{nct_id}/contact/sent", contact.sent),
        Route("/referrals/withdraw", contact.withdraw, methods=["GET", "POST"]),
        Route("/referrals/contacted", contact.contacted, methods=["GET", "POST"]),
        Route("/subscriptions/new", subscriptions.new, methods=["GET"]),
        Route("/subscriptions", subscriptions.submit, methods=["POST"]),
        Route("/subscriptions/sent", subscriptions.sent, methods=["GET"]),
        Route("/subscriptions/confirm", subscriptions.confirm, methods=["GET", "POST"]),
        Route("/subscriptions/manage", subscriptions.manage, methods=["GET", "POST"]),
        Route("/subscriptions/unsubscribe", subscriptions.unsubscribe, methods=["GET", "POST"]),
        Route("/match", trials_for_me.page, methods=["GET"]),
        Route("/match", trials_for_me.submit, methods=["POST"]),
        Route("/faq", pages.faq),
        Route("/favicon.ico", favicon),
        Route("/api/trials", api.trials),
        Route("/api/trials/{nct_id}", api.trial),
        Route("/api/places", api.place_suggestions),
        Route("/api/match", MatchApi(database=database, places=places, limiter=matches_per_client).match, methods=["POST"]),
        Route("/api/openapi.json", api.openapi),
        Mount("/static", static, name="static"),
    ]
    # Outermost first: every response, error pages included, gets the security headers and the language; each
    # request uses one database connection at most.
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(LanguageMiddleware),
        Middleware(ErrorPagesMiddleware, renderer=renderer),
        Middleware(UnitOfWorkMiddleware, database=database),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # Load the gazetteer before the first request rather than during it (seconds when its cache is cold).
        await anyio.to_thread.run_sync(places.warm)
        # The same for the vocabulary that search reads words with (its trees and spelling index too).
        await anyio.to_thread.run_sync(Vocabulary.bundled().warm)
        if not run_jobs_in_background:
            yield
            return
        async with anyio.create_task_group() as jobs:
            jobs.start_soon(partial(run_jobs, database=database, settings=settings, writer=writer, sender=sender))
            yield
            jobs.cancel_scope.cancel()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_exception_handler(renderer)},
        lifespan=lifespan,
    )
    # What the background jobs run on: tests run the alert run and delivery with the same.
    app.state.database = database
    app.state.settings = settings
    app.state.writer = writer
    app.state.sender = sender
    return app
