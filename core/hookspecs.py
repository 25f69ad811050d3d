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
    AccountAllocation,
        ApprovalChain,
        CampaignTemplate,
        CatalogListSpec,
        ChangeKind,
        DemoDataset,
        ElementRequirements,
        FollowCatalogDeadlines,
        IndicatorSet,
        Jurisdiction,
        ObligationRule,
        PublicationPolicy,
        QualityRules,
        ServicePointTarget,
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
        (一件事一次办, each naming the base codes of its items) with optional
        ``bundle_targets`` (how many bundles of an audience must be online by
        a date, or all of them; the bundles page shows count and gap). With
        ``themes_closed`` an item's 主题分类 must be one of the themes (saving a
        draft refuses any other value); otherwise themes are free text. Core's
        default has the 8 national service kinds, no themes or bundles, and
        free-text themes.

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


@hookspec(firstresult=True)
def qingdan_follow_catalog_deadlines(settings: msgspec.Struct) -> FollowCatalogDeadlines:
    """Say how many working days agencies have to follow the catalog from above.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``FollowCatalogDeadlines``: the working days (0 = the same day) to
        claim an entry newly issued for the agency's level (应认领、尽认领), to
        amend an item whose catalog entry changed, and to cancel an item whose
        entry was cancelled, with the clause that sets them. Core's default is
        5 working days each: the policies ask for "及时" without a number.

    Called: when a catalog release from above is imported (claim, amend and
    cancel tasks get their due dates) and when a change of the catalog itself
    is published (the implementing agencies' follow-up obligations).
    First result wins.
    """


@hookspec(firstresult=True)
def qingdan_campaign_template(settings: msgspec.Struct) -> CampaignTemplate:
    """Give the template of the jurisdiction's re-inventory campaign (梳理工作).

    A campaign is a tenant-wide inventory run in phases: each participating
    agency submits the list of items it keeps (counted by the platform) or,
    having none, a zero report (零报告) with its reason; where the template
    asks for it, the submission counts only once the head of the agency's
    signed and stamped file is attached; then the reviewing offices review
    every submission in turn, pass it or return it with a reason, and a
    returned submission is submitted again.

    Parameters:
        settings: the tenant's validated plugin settings (for example the
            phase dates an administrator set there).

    Returns:
        ``CampaignTemplate``: its code and name; the item types an agency's
        list counts (empty: every type); its ``CampaignPhaseTemplate`` s in
        order, each with a name, fixed dates (``start``, ``end``) or offsets
        from the campaign's start (``start_day``, ``end_day``, in calendar or
        working days), whether agencies submit in it (exactly one phase does,
        with ``due``/``due_day`` after which a submission is late) and the
        offices (``CampaignReviewer``: a role that is not an agency's own, and
        the office as users read it) that review in it, in order; whether the
        head's sign-off is required and what the file is called; whether an
        agency without items must file a zero report; the clauses behind each.
        Core's default answers for a plugin that implements none (``None`` is
        no answer, so the default applies too); it is a plain template:
        摸底梳理 (ten working days from the start date, submissions due at its
        end), 初步审核 by 审改机构 and 依法确认 by 司法行政部门 (five working
        days each), 公布运行 (five working days); zero reports required, no
        sign-off.

    Called: when an administrator opens the form to create a campaign (the
    dates it gives are filled in for the chosen year and stay editable) and
    when the campaign is created; phases, reviewers and rules are stored with
    the campaign, so a later change of the plugin or its settings does not
    alter a campaign under way. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_account_allocation(settings: msgspec.Struct) -> AccountAllocation:
    """Say which office, besides the tenant administrator, opens user accounts
    and which roles it may grant (e.g. a 大数据中心 that allocates the accounts
    of agency clerks and reviewers).

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``AccountAllocation``: ``allocations``, each a ``RoleAllocation`` with
        ``allocator`` (the ``Role`` value whose users may open accounts; never
        ``platform_admin`` or ``tenant_admin``, who always may), ``roles`` (the
        roles it may grant: only the agency roles ``clerk`` and
        ``agency_reviewer``, always tied to one agency) and ``basis`` (the
        clause). Core's default: none (only the tenant administrator).

    Called: when the accounts page is shown and when an account is opened
    through it, to check the signed-in user's right, and when the plugin
    loads. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_publication_policy(settings: msgspec.Struct) -> PublicationPolicy:
    """Say who issues a publication (公布) of the catalog, and when a job issues one.

    A publication is a numbered, dated snapshot of the tenant's published
    catalog (the catalog entries in use and the published version of every
    item the public sees), with its announcement (公告): the entries and items
    added, changed (element by element) and cancelled since the previous one.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``PublicationPolicy``: ``roles``, the roles (``Role`` values held in a
        tenant, never ``platform_admin``) whose users may issue a publication;
        ``schedule``, when the publication job issues one by itself
        (``none``, ``daily``, ``weekly`` on Fridays, ``monthly`` on a month's
        first day; in the evening, Asia/Shanghai, and only when something
        changed since the last one); ``basis``, the clause behind it. Core's
        default: 大数据中心 (``data_center``) issues, and the job issues one
        every evening when the catalog changed.

    Called: when the publications page is shown (to offer the form), when a
    user issues a publication (to check the role) and by the scheduled job
    for each tenant. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_catalog_lists(settings: msgspec.Struct) -> list[CatalogListSpec]:
    """Say which lists (各类清单) the tenant keeps as views of its catalog.

    Core builds every list from the elements of published items, so a list
    can never disagree with the catalog on an item's name or type: 行政许可
    (items of that type), 容缺受理 (items with a material marked 容缺后补,
    naming the main and the deferrable materials), 告知承诺 (items under
    告知承诺制, with the commitment and the liability for breaking it), 中介服务
    (one row per intermediary service), 特殊环节 (one row per special step,
    with its time limit) and 进驻事项负面清单 (items not in the hall, with the
    reason). The plugin only chooses which of them the tenant shows, what it
    calls them and which the public portal publishes.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``list[CatalogListSpec]`` in the order the pages list them, each with
        its ``kind`` (a ``CatalogListKind``; each at most once), an optional
        ``title`` (empty: the national name), ``public`` (shown and
        downloadable on the portal) and the ``basis`` (clause) asking for it.
        Core's default: all six lists; every one public except the hall
        exclusion list.

    Called: when the list pages (signed-in and public) and their xlsx
    downloads are served. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_service_point_targets(settings: msgspec.Struct) -> list[ServicePointTarget]:
    """Give the targets for items handled at service points (家门口办).

    Agencies delegate items (委托受理、授权办理、帮办代办) to the service points
    below the county: township centres (乡镇便民服务中心), street centres
    (街道便民服务中心) and village or community stations (村(社区)便民服务站).
    Core counts the published items each point handles; the plugin says how
    many each kind of point must reach.

    Parameters:
        settings: the tenant's validated plugin settings (targets are usually
            settings, so an administrator can raise them).

    Returns:
        ``list[ServicePointTarget]``, at most one per ``ServicePointKind``:
        the minimum number of items (``min_items``), an optional ``deadline``
        and the ``basis``. Core's default is none: the page then shows each
        point's count without a target or gap.

    Called: when the 家门口办 page is shown. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_indicators(settings: msgspec.Struct) -> IndicatorSet:
    """Give the jurisdiction's indicators (指标), their targets and its bulletin rule.

    Core measures every agency, division and the whole tenant on its own
    indicators (网办率, 全程网办率, 平均跑动次数, 零跑动事项占比, 申请材料数,
    材料精简率, 承诺时限压缩率, 即办件占比, 调整按时办结率, 后续义务按时完成率,
    未整改质检问题数; docs/indicators.md gives each formula). A plugin adds to
    them, it does not repeat them.

    Parameters:
        settings: the tenant's validated plugin settings (targets a city
            administrator may adjust usually come from here).

    Returns:
        ``IndicatorSet``: ``definitions`` to add, each an ``IndicatorDef``
        naming one of core's measures (``IndicatorMeasure``), perhaps over
        some item types only (e.g. 全程网办率 of public service items); a
        definition with the id of a core indicator replaces it (to cite the
        local clause or narrow the item types). ``hidden``: core indicators the
        jurisdiction does not use. ``targets``: ``IndicatorTarget`` s, each a
        value in the indicator's unit (percent for rates), with a due date and
        its clause. ``bulletin``: the ``BulletinRule`` that names lagging
        agencies in a bulletin (通报): criteria by threshold, by target or by
        rank (the worst N), or ``None`` for core's default (agencies late with
        adjustments or obligations, or with open quality findings).
        ``period_days``: how far back the timeliness indicators look. Every id
        must be unique and every target or criterion must name a known
        indicator; the plugin fails loading otherwise. Core's default adds
        nothing.

    Called: when the plugin is loaded (to validate it), when the daily
    indicator snapshot is taken (the snapshot keeps the definitions and
    targets it used), when the dashboard is shown and when a bulletin is
    issued. First result wins.
    """


@hookspec(firstresult=True)
def qingdan_quality_rules(settings: msgspec.Struct) -> QualityRules:
    """Give the jurisdiction's quality-check rules (质检) and consistency checks.

    Core's own rules (promised limit not above statutory, a 即办件 has no
    waiting days, full online depth means no visit, charged fees have a basis
    and a standard, ...) always run; see docs/quality-checks.md. A plugin adds
    its own as data: each ``QualityRule`` has an id (not starting with
    ``core.``), a severity (``block`` stops submission, ``warn`` only shows),
    the element it is about, a Chinese message naming that element by its
    title, the clause behind it, an optional condition (item types; a yes/no
    element that must be 是) and one of the check kinds core interprets:
    ``filled``, ``min_rows``, ``at_most``, ``one_of``, ``fields_filled`` (of a
    part, or of every row of a table, optionally only rows ``where`` a field
    has given values), ``no_rows`` (no row ``where`` ...), ``no_phrases`` and
    ``includes`` (a multiple choice has ``values``, optionally only ``if_any``).
    A ``ConsistencyRule`` names elements that must agree: with the item's
    catalog entry (``catalog``, e.g. 四级四同) or among the items implementing
    one catalog entry in several divisions (``divisions``, e.g. 三级三十二同);
    core checks name and type against the catalog for every item anyway.

    Parameters:
        settings: the tenant's validated plugin settings.

    Returns:
        ``QualityRules``: ``rules`` and ``consistency``. Every element named
        must be a field of the element document; the plugin fails loading
        otherwise. Core's default is none (core's own rules only).

    Called: when a draft is saved or shown in the editor (findings next to
    their elements), when a change is submitted (a ``block`` finding refuses
    it), and by the tenant-wide check (on demand, ``qingdan check``, and the
    nightly job). First result wins.
    """
