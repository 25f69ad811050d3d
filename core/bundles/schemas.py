"""Typed values of bundles (一件事一次办): the one form's fields, what the pages show."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from qingdan.core.catalog.vocab import Audience

#: Who may set up, change and publish bundles.
BUNDLE_STATUSES = {"draft": "未上线", "published": "已上线"}
#: Whom a bundle serves, as the pages group them (二(四)16: 涉企 / 涉及个人).
AUDIENCES: dict[str, str] = {
    Audience.enterprise.value: "涉企",
    Audience.natural_person.value: "涉及个人",
    "": "其他",
}
#: A bundle joins several items; publishing one with fewer would be a plain item.
MIN_ITEMS = 2
MAX_FIELDS = 100


class BundleField(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One field of the bundle's single application form (一表申请)."""

    name: Annotated[str, Meta(min_length=1, max_length=100, title="字段名称")]
    required: Annotated[bool, Meta(title="是否必填")] = True
    note: Annotated[str, Meta(max_length=500, title="填写说明")] = ""


class BundleInput(msgspec.Struct, kw_only=True):
    """What the bundle form posts (items are added and removed one by one)."""

    name: str
    description: str = ""
    audience: str = ""  # enterprise / natural_person / ""
    lead_agency_id: int | None = None
    form: list[BundleField] = []


class BundleRow(msgspec.Struct, kw_only=True):
    """A bundle in the list of bundles."""

    id: int
    code: str
    name: str
    audience: str
    status: str
    revision: int
    items: int  # items joined
    visible_items: int  # of them, with a version the public sees
    lead_agency_name: str
    published_at: datetime | None
    updated_at: datetime | None

    @property
    def audience_label(self) -> str:
        return AUDIENCES.get(self.audience, AUDIENCES[""])

    @property
    def status_label(self) -> str:
        return BUNDLE_STATUSES.get(self.status, self.status)


class BundleMember(msgspec.Struct, kw_only=True):
    """An item of a bundle as its page lists it."""

    item_id: int
    name: str
    impl_code: str
    agency_name: str
    status: str
    visible: bool  # has a published version the public sees (published or suspended)


class BundleDetail(msgspec.Struct, kw_only=True):
    row: BundleRow
    description: str
    lead_agency_id: int | None
    form: list[BundleField]
    lock_version: int
    members: list[BundleMember]


class BundleDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """A bundle the jurisdiction plugin names and the tenant has not set up yet."""

    code: str
    name: str
    audience: str
    description: str
