"""Guides of published items: PDFs rendered once per version and kind, stored, and
still downloadable after later versions; the job that renders them after publication."""

from __future__ import annotations

import asyncio
import io
import sys
import uuid
from pathlib import Path

import pytest

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import create_item, get_item, publish_draft, save_draft
from qingdan.core.catalog.tables import ItemVersion
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import NotFound
from qingdan.core.publishing import services as publishing
from qingdan.core.publishing.guides import qr_data_uri
from qingdan.core.publishing.services import (
    GuideKind,
    NotPublished,
    generate_guides,
    guide_of,
    guide_pdf,
    guide_url,
    published_guides,
)
from qingdan.core.publishing.tables import GuideFile
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, build_tenant

# The PDF checks live with the guide's unit tests; import them by path, as
# tests/unit/test_diff.py imports test_elements. (This file is not named
# test_guides.py: pytest's default import mode needs unique test file names.)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_guides import assert_guide_pdf

from qingdan.core.testing.jobs import settle

pytestmark = pytest.mark.db


async def _publish_new_version(t, item_id: int, **changes) -> int:
    """Save a draft and publish it; returns the version's id."""
    detail = await get_item(t.ctx, item_id)
    base = detail.draft or detail.published
    doc = dump_document(base) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    return (await publish_draft(t.ctx, SYSTEM, item_id)).id


async def _number(t, version_id: int) -> int:
    return (await t.ctx.scope.get_row(ItemVersion, version_id))["number"]


async def _published_item(t, agency: int = 0):
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[agency])
    version_id = await _publish_new_version(t, item.id)
    return item, version_id


async def _count(t, version_id: int) -> int:
    return await t.ctx.scope.count(GuideFile).where(GuideFile.version == version_id)


@pytest.fixture(scope="module")
async def published(database):
    """A published item whose first version's PDFs were generated once."""
    t = await build_tenant(plugin="sample", slug=f"guide{uuid.uuid4().hex[:8]}")
    item, v1 = await _published_item(t)
    rows = await generate_guides(t.ctx, item.id, v1)
    return t, item, v1, rows


@pytest.fixture
def no_rendering(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(publishing, "render_guide_pdf", refuse)


async def test_generate_guides_writes_screen_and_print_once(published, no_rendering):
    t, item, v1, rows = published
    assert [r.kind for r in rows] == ["screen", "print"]
    assert {r.item for r in rows} == {item.id} and {r.version for r in rows} == {v1}
    assert await _count(t, v1) == 2

    again = await generate_guides(t.ctx, item.id, v1)  # renders nothing (no_rendering)
    assert [r.id for r in again] == [r.id for r in rows]
    assert await _count(t, v1) == 2
    audited = await t.ctx.scope.count(AuditEntry).where(AuditEntry.action == "guide.generate")
    assert audited == 2


async def test_stored_pdfs_are_a4_with_the_item_name_a_cjk_font_and_the_footer(
    published, no_rendering
):
    from pypdf import PdfReader

    t, item, v1, rows = published
    guide = await guide_of(t.ctx, item.id, v1)
    number = await _number(t, v1)  # the claim's draft was 1: the first published is 2
    assert guide.title == "样例许可事项" and guide.version_number == number
    assert guide.url == guide_url(t.ctx, item.id) and guide.url.endswith(f"/items/{item.id}")
    pdfs = {}
    for kind in GuideKind:
        data, meta = await guide_pdf(t.ctx, item.id, v1, kind)
        stored = next(r for r in rows if r.kind == kind.value)
        assert meta.sha256 == stored.sha256 and meta.size == stored.size == len(data)
        assert meta.content_type == "application/pdf" and meta.version_number == number
        assert meta.filename.startswith("样例许可事项-")
        assert meta.filename.endswith(f"-第{number}版.pdf")
        pages = assert_guide_pdf(data, guide)  # the footer says 第{number}版 on every page
        assert "样例许可事项" in pages[0]
        pdfs[kind] = data

    # The hall's copy carries the QR code of the online guide, the download does not.
    printed = PdfReader(io.BytesIO(pdfs[GuideKind.print])).pages[0].images
    assert len(printed) == 1
    assert not list(PdfReader(io.BytesIO(pdfs[GuideKind.screen])).pages[0].images)
    from base64 import b64decode

    from PIL import Image

    expected = Image.open(io.BytesIO(b64decode(qr_data_uri(guide.url).split(",", 1)[1])))
    embedded = printed[0].image
    assert embedded.size == expected.size
    assert embedded.convert("L").tobytes() == expected.convert("L").tobytes()


async def test_a_draft_has_no_guide(published):
    t, item, _, _ = published
    other, _ = await _published_item(t, agency=1)
    detail = await get_item(t.ctx, other.id)
    draft = await save_draft(
        t.ctx,
        SYSTEM,
        other.id,
        dump_document(detail.published) | {"faq": []},
        detail.item["lock_version"],
    )
    with pytest.raises(NotPublished):
        await generate_guides(t.ctx, other.id, draft.id)
    with pytest.raises(NotPublished):
        await guide_pdf(t.ctx, other.id, draft.id, "screen")
    with pytest.raises(NotFound):  # another item's version is not this item's
        await guide_pdf(t.ctx, item.id, draft.id, "screen")
    assert await _count(t, draft.id) == 0


async def test_first_version_stays_downloadable_after_a_second_is_published(published, monkeypatch):
    t, item, v1, rows = published
    v2 = await _publish_new_version(t, item.id, acceptance_conditions="申请人具备新的条件。")
    assert (await get_item(t.ctx, item.id)).item["published_version"] == v2

    renders = []
    real = publishing.render_guide_pdf

    def counting(guide, *, print_version):
        renders.append((guide.version_number, print_version))
        return real(guide, print_version=print_version)

    monkeypatch.setattr(publishing, "render_guide_pdf", counting)
    n1, n2 = await _number(t, v1), await _number(t, v2)
    _, old_meta = await guide_pdf(t.ctx, item.id, v1, GuideKind.screen)
    assert old_meta.version_number == n1 and old_meta.sha256 == rows[0].sha256
    assert renders == []  # served from the store

    # The current guide is rendered on demand (only the kind asked for) and stored.
    current, meta = await guide_pdf(t.ctx, item.id, None, "screen")
    assert meta.version_id == v2 and meta.filename.endswith(f"-第{n2}版.pdf")
    assert renders == [(n2, False)]
    pages = assert_guide_pdf(current, await guide_of(t.ctx, item.id))
    assert "申请人具备新的条件。" in "".join(pages).replace("\n", "")
    assert await _count(t, v2) == 1

    listed = await published_guides(t.ctx, item.id)
    assert [(g.version_number, g.current, g.kinds) for g in listed] == [
        (n2, True, ["screen"]),
        (n1, False, ["print", "screen"]),
    ]


# The job ----------------------------------------------------------------------------------


async def _run_all(worker):
    # Generous: two PDFs and a retry with backoff on a machine running other tests.
    await settle(worker, timeout_s=180)


@pytest.mark.jobs
async def test_guide_job_sent_before_publication_commits_renders_once(published, job_worker):
    """As from inside the publishing transaction: the job may run before the version
    is published; it retries, then renders both PDFs; sent again, it adds nothing."""
    from qingdan.core.jobs.actors import generate_guide

    t = published[0]
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[2])
    detail = await get_item(t.ctx, item.id)
    draft = await save_draft(
        t.ctx,
        SYSTEM,
        item.id,
        dump_document(detail.draft) | SAMPLE_PLACE,
        detail.item["lock_version"],
    )
    generate_guide.send(t.tenant_id, item.id, draft.id)
    await asyncio.sleep(0.3)
    await publish_draft(t.ctx, SYSTEM, item.id)
    await _run_all(job_worker)
    rows = await t.ctx.scope.objects(GuideFile).where(GuideFile.version == draft.id)
    assert sorted(r.kind for r in rows) == ["print", "screen"]

    generate_guide.send(t.tenant_id, item.id, draft.id)
    await _run_all(job_worker)
    again = await t.ctx.scope.objects(GuideFile).where(GuideFile.version == draft.id)
    assert sorted(r.id for r in again) == sorted(r.id for r in rows)
