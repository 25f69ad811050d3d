"""The web layer: a Litestar app of thin controllers, guards, Jinja templates and htmx.

``qingdan.web.app.create_app`` builds the application; controllers call core
services and never touch tables (ARCHITECTURE.md, "Layout").
"""
