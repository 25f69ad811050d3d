"""The typed values jurisdiction plugins return from their hooks.

Plain msgspec Structs: a plugin builds them from its own data and never sees
the database, the web request or the job queue.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from qingdan.core.catalog.vocab import Audience, ItemType, Level, ServiceKind


class Jurisdiction(msgspec.Struct, frozen=True, kw_only=True):
    """Who the plugin speaks for."""

    slug: str  # short ascii name, used in URLs and as the demo tenant's slug
    name: str  # the jurisdiction in Chinese, e.g. 某某市
    division_code: str  # 12-digit code of the jurisdiction's own division
    province: str = ""
    levels: tuple[Level, ...] = (Level.municipal, Level.county, Level.township, Level.village)
    description: str = ""
    policy_documents: tuple[str, ...] = ()  # titles of the documents it implements


class Theme(msgspec.Struct, frozen=True, kw_only=True):
    """A theme of the "19+X" taxonomy (or any theme list a jurisdiction uses)."""

    code: str
    name: str
    audience: Audience | None = None  # natural_person / enterprise, if the theme is for one
    local: bool = False  # an "X" theme added by the jurisdiction


class ServiceKindDef(msgspec.Struct, frozen=True, kw_only=True):
    kind: ServiceKind
    name: str
    description: str = ""


class Bundle(msgspec.Struct, frozen=True, kw_only=True):
    """一件事一次办: several items handled together."""

    code: str
    name: str
    base_codes: tuple[str, ...] = ()
    description: str = ""


class Taxonomies(msgspec.Struct, frozen=True, kw_only=True):
    themes: tuple[Theme, ...] = ()
    service_kinds: tuple[ServiceKindDef, ...] = ()
    bundles: tuple[Bundle, ...] = ()

    def theme_names(self) -> dict[str, str]:
        return {t.code: t.name for t in self.themes}


class ElementRequirements(msgspec.Struct, frozen=True, kw_only=True):
    """Which elements must be filled for an item type before it may be submitted.

    Names are element field names of ``ElementDocument`` (``materials``,
    ``promised_limit`` ...). ``basis`` says which clause requires them.
    """

    required: tuple[str, ...]
    basis: str = ""


class DemoDivision(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    parent_code: str | None = None


class DemoAgency(msgspec.Struct, frozen=True, kw_only=True):
    """A demo agency and the sectors whose national catalog entries it implements."""

    name: str
    division_code: str
    org_code: str  # 8 characters; the demo composes a valid USCC from it
    nature: str = "statutory"
    sectors: tuple[str, ...] = ()
    parent: str | None = None  # name of the parent agency


class DemoHall(msgspec.Struct, frozen=True, kw_only=True):
    """Where a division's service hall is: used for the items' locations."""

    division_code: str
    name: str
    address: str
    hours: str = "周一至周五 上午9:00-12:00,下午13:30-17:30(法定节假日除外)"
    phone: str = ""
    complaint_phone: str = "12345"


class DemoDataset(msgspec.Struct, frozen=True, kw_only=True):
    """What ``qingdan demo`` loads for a jurisdiction besides the national catalog."""

    divisions: tuple[DemoDivision, ...]
    agencies: tuple[DemoAgency, ...]
    halls: tuple[DemoHall, ...] = ()
    themes_by_sector: dict[str, tuple[str, ...]] = {}
    online_portal: str = ""  # the province's online service portal, for online_url


class EmptySettings(msgspec.Struct, frozen=True, kw_only=True):
    """The settings of a plugin that declares none."""


ALL_ITEM_TYPES: tuple[ItemType, ...] = tuple(ItemType)


# Change and its consequences (approval chains, obligations) ------------------------


class ChangeKind(StrEnum):
    claim = "claim"
    create = "create"
    amend = "amend"
    suspend = "suspend"
    resume = "resume"
    cancel = "cancel"

    @property
    def label(self) -> str:
        return CHANGE_KIND_LABELS[self]


CHANGE_KIND_LABELS = {
    ChangeKind.claim: "认领",
    ChangeKind.create: "新增",
    ChangeKind.amend: "变更",
    ChangeKind.suspend: "暂停",
    ChangeKind.resume: "恢复",
    ChangeKind.cancel: "取消",
}


class RequiredAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A document that must be attached before a step can pass."""

    kind: str  # e.g. "provincial_consent"
    label: str  # e.g. "省级业务部门同意意见"


class ChainStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of an approval chain: who acts, by when, with what."""

    name: str  # 部门审核, 审改机构审核, 合法性审核, 质检发布 ...
    role: str  # a Role value, or any role a plugin names
    office: str = ""  # the office that acts, as users read it (审改机构)
    deadline_days: int = 5  # working days from the step's start
    required_attachments: tuple[RequiredAttachment, ...] = ()
    skippable: bool = False
    escalate_to: str | None = None  # the role told when the step is overdue
    basis: str = ""  # the clause that requires the step


class ApprovalChain(msgspec.Struct, frozen=True, kw_only=True):
    steps: tuple[ChainStep, ...]
    basis: str = ""


class SubjectSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a plugin is told about the item a change is for."""

    name: str
    item_type: ItemType
    base_code: str
    impl_code: str = ""
    levels: tuple[Level, ...] = ()
    division_level: str = ""  # city / county / township / village
    from_above: bool = True  # issued from above (national/provincial catalog)
    is_catalog_entry: bool = False


class ObligationRule(msgspec.Struct, frozen=True, kw_only=True):
    """Work a change leaves behind, and by when."""

    kind: str  # hall_update / offline_guide / elements_complete ...
    title: str  # 大厅进驻事项调整更新
    role: str  # the office that must do it (a Role value)
    working_days: int  # from the event; 0 = the same day
    on: str = "publish"  # "publish" (the change took effect) or "claim" (item claimed)
    escalate_to: str | None = None
    basis: str = ""
