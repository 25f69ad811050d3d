"""Templates: the Jinja environment, its filters, and page-or-partial rendering.

A page and its htmx partial share one template: the partial is one named
block of it, rendered alone when htmx asks for that block (ARCHITECTURE.md,
"Front end"). Anything a block needs must therefore come from the context or
be imported inside the block, not at the template's top level.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from qingdan.core.catalog import vocab
from qingdan.core.catalog.queries import SOURCES
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.schemas import ROLE_LABELS, Role
from qingdan.core.workflow.schemas import Action, ChangeStatus, StepStatus
from qingdan.web.nav import Nav

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# China has kept one offset without daylight saving since 1991, so a fixed
# +08:00 is exact and needs no tz database on a bare server.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

VOCABS: dict[str, type[vocab.Vocab]] = {
    cls.__name__: cls
    for cls in vars(vocab).values()
    if isinstance(cls, type) and issubclass(cls, vocab.Vocab) and cls is not vocab.Vocab
}


def vocab_label(value: Any, vocab_name: str) -> str:
    """``{{ row.item_type | label("ItemType") }}`` → 行政许可."""
    if value is None or value == "":
        return ""
    if isinstance(value, vocab.Vocab):
        return value.label
    return vocab.label(VOCABS[vocab_name], str(value))


def vocab_labels(values: Iterable[Any], vocab_name: str) -> str:
    return "、".join(vocab_label(v, vocab_name) for v in values or ())


def role_label(role: Role | str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return str(role)


def _enum_label(enum: type[Any]) -> Any:
    """A filter giving the Chinese label of a workflow value (the value itself if unknown)."""

    def label(value: Any) -> str:
        if value is None or value == "":
            return ""
        try:
            return enum(value).label
        except ValueError:
            return str(value)

    label.__name__ = f"{enum.__name__}_label"
    return label


def file_size(size: int | None) -> str:
    """``2.3 MB``, ``15 KB``, ``812 B``."""
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def local_time(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp as read in Shanghai; naive values are UTC, as the database stores them."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(SHANGHAI)
    return value.strftime(fmt)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # A misspelt variable fails loudly in tests instead of rendering blank.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = vocab_label
    env.filters["labels"] = vocab_labels
    env.filters["role_label"] = role_label
    env.filters["local_time"] = local_time
    env.filters["change_kind"] = _enum_label(ChangeKind)
    env.filters["change_status"] = _enum_label(ChangeStatus)
    env.filters["step_status"] = _enum_label(StepStatus)
    env.filters["action_label"] = _enum_label(Action)
    env.filters["file_size"] = file_size
    env.filters["entry_source"] = lambda value: SOURCES.get(value, value or "")
    env.globals["ROLE_LABELS"] = ROLE_LABELS
    from qingdan.core.jobs.dispatch import background_delayed

    env.globals["background_delayed"] = background_delayed
    return env


def wants_block(request: Request, target: str) -> bool:
    """True when htmx asks to swap the element ``#target``, so its block alone is enough.

    A boosted link or a history restore (htmx re-fetching a page it no
    longer has cached) needs the whole page; so does a request aimed at
    some other element.
    """
    if not isinstance(request, HTMXRequest) or not request.htmx:
        return False
    details = request.htmx
    if details.boosted or details.history_restore_request:
        return False
    return details.target in (None, target)


def _base_context(request: Request) -> dict[str, Any]:
    state = request.state
    csrf = ScopeState.from_scope(request.scope).csrf_token
    token = csrf if isinstance(csrf, str) else ""
    principal = state.get("principal")
    ctx = state.get("ctx")
    nav = state.get("nav")
    if nav is None and principal is not None and ctx is not None:
        nav = Nav.of(principal)  # the links, without the count (not loaded for this request)
    return {
        "request": request,
        "principal": principal,
        "ctx": ctx,
        "nav": nav,
        "csrf_input": f'<input type="hidden" name="_csrf_token" value="{html.escape(token)}">',
    }


def render(
    request: Request,
    template_name: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The whole page, or only ``block`` of it when one is named.

    ``Vary: HX-Request`` keeps a browser or proxy cache from handing a
    partial to a full-page load of the same URL, or the other way round.
    """
    values = _base_context(request) | dict(context or {})
    headers = {"Vary": "HX-Request", **(headers or {})}
    if values["principal"] is not None:
        # A signed-in page must not outlive sign-out in a shared browser's cache.
        headers.setdefault("Cache-Control", "no-store")
    if block is None:
        return Template(
            template_name=template_name,
            context=values,
            status_code=status_code,
            headers=headers,
            media_type=MediaType.HTML,
        )
    engine = request.app.template_engine
    assert engine is not None
    template = engine.get_template(template_name)
    body = "".join(template.blocks[block](template.new_context(values)))
    return Response(
        content=body, media_type=MediaType.HTML, status_code=status_code, headers=headers
    )
