"""The plugin contract: every hook a jurisdiction plugin may implement.

A jurisdiction plugin is a Python package registered in the entry-point group
``qingdan.jurisdictions``. It marks its functions with ``hookimpl`` (imported
from ``qingdan``) and returns the typed values of ``qingdan.core.hooktypes``.

Core calls only the plugin a tenant is bound to, never a merged answer from
all cities, and every hook here is ``firstresult``: the plugin's answer wins,
and core's own default (registered ``trylast``) answers when the plugin has
none. Hooks grow by gaining optional arguments, never by being renamed; an
implementation may declare only the arguments it uses.

The docstring of each hook is its documentation (docs/plugins/hooks.md is
generated from it); a test fails when a hook has none or has no test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pluggy

if TYPE_CHECKING:
    from qingdan.core.catalog.codes import CodeFormat
    from qingdan.core.catalog.vocab import ItemType
    from qingdan.core.hooktypes import (
        ApprovalChain,
        ChangeKind,
        DemoDataset,
        ElementRequirements,
        Jurisdiction,
        ObligationRule,
        SubjectSummary,
        Taxonomies,
    )

PROJECT = "qingdan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def qingdan_jurisdiction() -> Jurisdiction:
    """Say which jurisdiction the plugin speaks for.

    Returns:
        ``Jurisdiction``: its slug (used in URLs and for the demo tenant), its
        Chinese name, the 12-digit division code of its own division, its
        province, the levels it covers (市级, 县级, ...) and the titles of the
        policy documents it implements.

    Called: when the plugin is loaded (to validate it) and whenever core shows
    the jurisdiction. Required: a plugin without it fails loading.
    First result wins.
    """


@hookspec(firstresult=True)
def qingdan_settings_schema() -> type[msgspec.Struct]:
    """Declare the plugin's settings as a msgspec Struct class.

    Every field needs a default, so a new tenant starts valid; give each one a
    ``msgspec.Meta(title=...)`` in Chinese: the admin form is rendered from the
    schema and validation errors name fields by that title. The stored values
    of a tenant are converted to this type and passed to the other hooks as
    ``settings``.

    Returns:
        The Struct class (not an instance). Core's default is an empty schema.

    Called: when the plugin is loaded, when a tenant's settings are saved or
    read. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_item_types(settings: msgspec.Struct) -> list[ItemType]:
    """List the item types (事项类型) the jurisdiction manages.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``list[ItemType]`` in the order the UI offers them. Core's default is
        every national type including 行政备案 (filing).

    Called: when an item or catalog entry is created or edited, and to build
    filters. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_taxonomies(settings: msgspec.Struct) -> Taxonomies:
    """Give the jurisdiction's classification schemes.

    Parameters:
        settings: the tenant's validated plugin settings (for example the
            local "X" themes an administrator added).

    Returns:
        ``Taxonomies``: themes (e.g. the "19+X" themes, each with its
        audience), public-service kinds (the 8 service types), and bundles
        (一件事一次办, each naming the base codes of its items). Core's default
        has the 8 national service kinds and no themes or bundles.

    Called: when items are classified, filtered or published. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_code_format(settings: msgspec.Struct) -> CodeFormat:
    """Say how the jurisdiction writes base codes and implementation codes.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``CodeFormat``: the base code pattern (with a Chinese hint for users)
        and the order and separator of the parts of an implementation code
        (base code, division code, agency USCC, handling item). Core's default
        is the national shape.

    Called: when codes are parsed, composed or validated. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_element_requirements(
    item_type: ItemType, settings: msgspec.Struct
) -> ElementRequirements:
    """Say which elements an item of ``item_type`` must have before submission.

    Parameters:
        item_type: the item's type (行政许可, 公共服务 ...).
        settings: the tenant's validated plugin settings.

    Returns:
        ``ElementRequirements``: element field names of the element document
        that must be filled, and the clause that requires them. Core's default
        is the national minimum for a service guide.

    Called: when an item is edited (to mark required elements), checked, or
    submitted. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_demo_dataset() -> DemoDataset | None:
    """Supply the jurisdiction's demo data: divisions, agencies, halls.

    Returns:
        ``DemoDataset`` with real division names and codes, the agencies (and
        the sectors of the national catalog each implements) and the service
        halls, or ``None`` if the plugin has no demo. Core adds the catalog
        entries, items and demo users.

    Called: by ``qingdan demo`` when it loads an empty database. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_approval_chain(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: msgspec.Struct,
) -> ApprovalChain:
    """Give the approval chain a change must pass, built at submission time.

    Parameters:
        kind: the kind of change (认领 claim, 新增 create, 变更 amend, 暂停
            suspend, 恢复 resume, 取消 cancel).
        subject: the item (or catalog entry) the change is for: name, type,
            codes, levels, the level of its division, whether it was issued
            from above.
        changed_elements: element field names that differ from the published
            version (empty for a status change).
        settings: the tenant's validated plugin settings.

    Returns:
        ``ApprovalChain``: ordered ``ChainStep`` s, each naming the role that
        acts (``agency_reviewer``, ``reform_office``, ``legal_reviewer``,
        ``data_center`` or a role of the plugin's own), the office as users
        read it, a deadline in working days, the attachments that must be
        present before the step can pass, whether it may be skipped, and the
        role told when it is overdue. Core's default: the agency's reviewer,
        审改机构, (for a cancellation) 司法行政 before 审改机构, then 大数据中心.

    Called: when a change request is submitted (and resubmitted after a
    return); the chain is stored with the request, so a later change of the
    plugin does not alter requests already under way. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_obligations(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: msgspec.Struct,
) -> list[ObligationRule]:
    """Say what work a change leaves behind, for whom, and by when.

    Parameters:
        kind: the kind of change.
        subject: the item the change is for.
        changed_elements: element field names that changed.
        settings: the tenant's validated plugin settings.

    Returns:
        ``list[ObligationRule]``: each with a kind, a Chinese title, the role
        that must do it, a deadline in working days (0 = the same day), the
        event it counts from (``"publish"``: the change took effect;
        ``"claim"``: the item was claimed) and the role told when it is
        overdue. Core's default is none.

    Called: when an item is claimed and when a change is published. The
    obligations are stored with their due dates. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_catalog_chain(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: msgspec.Struct,
) -> ApprovalChain:
    """Give the approval chain of a change to the catalog (基本目录) itself.

    Parameters:
        kind: 新增 create (a local entry, e.g. set by a local regulation),
            变更 amend or 取消 cancel.
        subject: the catalog entry (``is_catalog_entry`` is true; it has no
            agency or division of its own).
        changed_elements: element field names that differ from the entry's
            version in use (for an amendment).
        settings: the tenant's validated plugin settings.

    Returns:
        ``ApprovalChain`` as for ``qingdan_approval_chain``; a step may not name
        an agency role (clerk, agency_reviewer): no agency owns the catalog.
        Core's default: 司法行政 legality review of the catalog, then 审改机构,
        then 大数据中心 publishing.

    Called: when a catalog change request is submitted; the chain is stored
    with the request. First result wins.
    """
