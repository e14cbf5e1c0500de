"""Security headers on every response, and the session cookie's flags: registered once by `create_app`.

- Content-Security-Policy: scripts, styles and everything else only from this server; no inline
  script or style, no plugins, no framing, forms post only here. A page that let an attacker
  inject markup (an escaping bug) still could not run script.
- X-Frame-Options: DENY and `frame-ancestors 'none'`: no clickjacking, old browsers and new.
- X-Content-Type-Options: nosniff: an uploaded BPMN served as XML is never run as HTML.
- Referrer-Policy: same-origin: no URL (case ids, filters) leaks to another site; same-origin
  requests keep it, because Flask-WTF's CSRF check over HTTPS requires the Referer (`no-referrer`
  would refuse every form post in production).
- Cache-Control: no-store on every response but static files: pages and API answers carry case
  data, and must not stay in a shared computer's browser cache or a proxy.
- Strict-Transport-Security on HTTPS requests.

`PATHWAYS_SECURE_COOKIES` (on by default) sends the session cookie over HTTPS only;
`PATHWAYS_PROXY_HOPS` trusts that many reverse proxies' X-Forwarded-For/-Proto, so the login
throttle sees client addresses and Flask knows the request came over HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from pathways.config import Config

#: `img-src data:`: Swagger UI's stylesheet draws its icons as data: SVG images (an image cannot run
#: script); everything else comes from this server only
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: endpoints serving files from the package (CSS, JS, Swagger UI): the only responses a cache may keep
STATIC_ENDPOINTS = frozenset({"static", "web.static", "swagger_ui_asset", "api_docs.static"})
HSTS = "max-age=31536000"


def init_app(app: Flask, config: Config) -> None:
    app.config.update(SESSION_COOKIE_SECURE=config.secure_cookies, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    if config.proxy_hops > 0:
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """Runs for every response Flask makes, error pages and 500s included."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.endpoint not in STATIC_ENDPOINTS or response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
