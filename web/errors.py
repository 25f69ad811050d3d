"""Exception handlers: every failure becomes a zh-CN page with the right status.

For an htmx request the error block alone is sent and retargeted into the
page's message area (``#flash``), so a failed filter or button shows its
message in place instead of leaving the page silently unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect

from qingdan.core.db import database_unavailable
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.web.guards import LoginRequired
from qingdan.web.rendering import render

logger = logging.getLogger("qingdan.web")

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持该请求方式",
    409: "内容已被修改",
    413: "提交的内容过大",
    429: "请求过于频繁",
    500: "系统错误",
    503: "服务暂时不可用",
}

MESSAGES = {
    400: "请求的内容有误,请检查后重试。",
    401: "请先登录。",
    403: "您没有访问该页面的权限。",
    404: "您要访问的页面不存在,或您无权访问。",
    405: "该页面不支持这种请求方式。",
    413: "提交的内容过大。",
    429: "请求过于频繁,请稍后再试。",
    500: "系统出现错误,请稍后重试。如果问题持续,请联系管理员。",
    503: "数据库暂时无法连接,请稍后重试。刚才提交的内容没有保存,恢复后请重新提交。",
}

#: Errors under this path are JSON (``{"status_code", "detail"}``), never a page.
API_PREFIX = "/api/"

CSRF_MESSAGE = "页面已过期或请求来源无法验证,请刷新页面后重试。"


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    if request.url.path.startswith(API_PREFIX):
        # An API client reads JSON: a path the router cannot match (``/items/abc``)
        # or a method it does not serve answers like the API's own errors.
        return Response(
            content={"status_code": status_code, "detail": message or TITLES.get(status_code, "")},
            status_code=status_code,
            media_type="application/json",
        )
    title = TITLES.get(status_code, "请求无法处理")
    context: dict[str, Any] = {
        "status_code": status_code,
        "title": title,
        "message": message or MESSAGES.get(status_code, "请求无法处理,请稍后重试。"),
    }
    if isinstance(request, HTMXRequest) and request.htmx and not request.htmx.boosted:
        return render(
            request,
            "error.html",
            context,
            block="error",
            status_code=status_code,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    return render(request, "error.html", context, status_code=status_code)


def _login_required(request: Request, exc: LoginRequired) -> Response:
    if isinstance(request, HTMXRequest) and request.htmx:
        # htmx would follow a 303 and swap the login page into a table cell;
        # HX-Redirect makes it load the sign-in page as a whole page instead.
        return Response(content="", status_code=200, headers={"HX-Redirect": exc.login_url})
    return Redirect(path=exc.login_url, status_code=303)


def _not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, 404)


def _permission_denied(request: Request, exc: PermissionDenied) -> Response:
    return error_page(request, 403, exc.message)


def _conflict(request: Request, exc: ConflictError) -> Response:
    return error_page(request, 409, exc.message)


def _domain_error(request: Request, exc: DomainError) -> Response:
    return error_page(request, 400, exc.message)


def _http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_page(request, 403, CSRF_MESSAGE)
    if isinstance(exc, ValidationException):
        return error_page(request, 400, "请求参数有误,请检查后重试。")
    if status >= 500:
        logger.error("HTTP %s on %s %s", status, request.method, request.url.path, exc_info=exc)
    return error_page(request, status)


def _server_error(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        # Restarting or unreachable: "try again shortly", not a bug with a traceback.
        logger.warning(
            "数据库暂时无法连接: %s %s (%s)", request.method, request.url.path, type(exc).__name__
        )
        response = error_page(request, 503)
        response.headers["Retry-After"] = "10"
        return response
    # Path and method only: a request body may hold a password.
    logger.error("未处理的异常: %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500)


def exception_handlers(debug: bool) -> dict[Any, Any]:
    handlers: dict[Any, Any] = {
        LoginRequired: _login_required,
        NotFound: _not_found,
        PermissionDenied: _permission_denied,
        ConflictError: _conflict,
        DomainError: _domain_error,
        NotFoundException: _not_found,
        NotAuthorizedException: _http_exception,
        PermissionDeniedException: _http_exception,
        MethodNotAllowedException: _http_exception,
        ValidationException: _http_exception,
        HTTPException: _http_exception,
    }
    if not debug:
        # In debug mode Litestar's own traceback page is more useful.
        handlers[500] = _server_error
    return handlers
