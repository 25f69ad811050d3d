"""Publishing: the 办事指南 of published items, as a page and as PDFs.

``guides`` builds and renders a guide (pure: no database); ``services`` keeps
the PDFs of every published version and hands them out; ``tables`` holds
:class:`GuideFile`. The job ``generate_guide`` (core/jobs/actors.py) renders
a version's PDFs after it is published.
"""

from qingdan.core.publishing.guides import (
    Guide,
    Section,
    flowchart_svg,
    guide_for,
    render_guide_html,
    render_guide_pdf,
)
from qingdan.core.publishing.services import (
    PUBLIC_GUIDE_PATH,
    GuideKind,
    GuidePdf,
    NotPublished,
    PublishedGuide,
    generate_guides,
    guide_of,
    guide_pdf,
    guide_url,
    published_guides,
)
from qingdan.core.publishing.tables import GuideFile

__all__ = [
    "PUBLIC_GUIDE_PATH",
    "Guide",
    "GuideFile",
    "GuideKind",
    "GuidePdf",
    "NotPublished",
    "PublishedGuide",
    "Section",
    "flowchart_svg",
    "generate_guides",
    "guide_for",
    "guide_of",
    "guide_pdf",
    "guide_url",
    "published_guides",
    "render_guide_html",
    "render_guide_pdf",
]
