"""The yardstick of bench/guide_throughput.py: a bare Litestar app with one Jinja page.

No database, no middleware, no session: what Litestar, Jinja and uvicorn cost
alone on this machine. Run by the bench as

    .venv/bin/python -m uvicorn bare_page:app --app-dir bench --port PORT
"""

from jinja2 import DictLoader, Environment
from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<table>
{% for row in rows %}<tr><th>{{ row.label }}</th><td>{{ row.value }}</td></tr>
{% endfor %}</table>
</body>
</html>
"""

ROWS = [{"label": f"要素{n}", "value": f"基准页面的第{n}行内容"} for n in range(1, 31)]


@get("/page", sync_to_thread=False)
def page() -> Template:
    return Template(template_name="page.html", context={"title": "基准页面", "rows": ROWS})


# A named template, compiled once and cached by Jinja (as the app's templates are).
ENVIRONMENT = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=True)

app = Litestar(
    route_handlers=[page],
    template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(ENVIRONMENT)),
)
