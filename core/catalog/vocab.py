"""Controlled vocabularies of the element set, with their Chinese labels.

Values stored in documents and columns are the English code names of the
glossary; ``LABELS`` turns them into what a clerk or a citizen reads.
"""

from __future__ import annotations

from enum import StrEnum


class Vocab(StrEnum):
    """A str enum whose members know their Chinese label."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class ItemType(Vocab):
    licensing = "licensing"
    penalty = "penalty"
    coercion = "coercion"
    levy = "levy"
    benefit = "benefit"
    inspection = "inspection"
    confirmation = "confirmation"
    reward = "reward"
    adjudication = "adjudication"
    other_power = "other_power"
    public_service = "public_service"
    filing = "filing"


class Level(Vocab):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    county = "county"
    township = "township"
    village = "village"


class ItemStatus(Vocab):
    draft = "draft"
    in_review = "in_review"
    published = "published"
    suspended = "suspended"
    cancelled = "cancelled"


class AgencyNature(Vocab):
    statutory = "statutory"  # 法定机关
    authorized = "authorized"  # 授权组织
    entrusted = "entrusted"  # 受委托组织
    other = "other"


class PowerSource(Vocab):
    own = "own"  # 法定本级行使
    delegated_down = "delegated_down"  # 上级下放
    authorized_by_superior = "authorized_by_superior"  # 上级授权
    authorized_by_peer = "authorized_by_peer"  # 同级授权
    entrusted_by_superior = "entrusted_by_superior"  # 上级委托
    entrusted_by_peer = "entrusted_by_peer"  # 同级委托


class LimitUnit(Vocab):
    working_day = "working_day"
    natural_day = "natural_day"
    month = "month"
    year = "year"
    hour = "hour"
    none = "none"  # 无法定时限


class CaseType(Vocab):
    instant = "instant"
    promised = "promised"


class Channel(Vocab):
    counter = "counter"
    online_pc = "online_pc"
    online_mobile = "online_mobile"
    courier = "courier"


class OnlineDepth(Vocab):
    I = "I"  # noqa: E741 (the official numerals)
    II = "II"
    III = "III"
    IV = "IV"


class CrossArea(Vocab):
    none = "none"
    city = "city"
    province = "province"
    national = "national"


class MaterialType(Vocab):
    original = "original"  # 原件
    copy = "copy"  # 复印件
    original_and_copy = "original_and_copy"
    form = "form"  # 申请表格
    other = "other"


class MaterialForm(Vocab):
    paper = "paper"
    electronic = "electronic"
    either = "either"


class Necessity(Vocab):
    required = "required"
    optional = "optional"
    deferrable = "deferrable"  # 容缺后补


class MaterialSource(Vocab):
    applicant = "applicant"
    government = "government"  # 政府部门核发
    e_licence = "e_licence"  # 电子证照
    intermediary = "intermediary"
    other = "other"


class ResultType(Vocab):
    licence = "licence"  # 证照
    approval_document = "approval_document"  # 批文
    certificate = "certificate"  # 证明
    filing_receipt = "filing_receipt"  # 备案回执
    decision = "decision"  # 决定书
    other = "other"


class Audience(Vocab):
    natural_person = "natural_person"
    enterprise = "enterprise"
    public_institution = "public_institution"
    social_organisation = "social_organisation"
    government_body = "government_body"
    other = "other"


class ServiceKind(Vocab):
    policy = "policy"
    notice = "notice"
    guide = "guide"
    directory = "directory"
    venue = "venue"
    faq = "faq"
    link = "link"
    general = "general"


class ContactKind(Vocab):
    phone = "phone"
    address = "address"
    website = "website"
    email = "email"
    mail = "mail"
    other = "other"


LABELS: dict[type[Vocab], dict[str, str]] = {
    ItemType: {
        "licensing": "行政许可",
        "penalty": "行政处罚",
        "coercion": "行政强制",
        "levy": "行政征收",
        "benefit": "行政给付",
        "inspection": "行政检查",
        "confirmation": "行政确认",
        "reward": "行政奖励",
        "adjudication": "行政裁决",
        "other_power": "其他行政权力",
        "public_service": "公共服务",
        "filing": "行政备案",
    },
    Level: {
        "national": "国家级",
        "provincial": "省级",
        "municipal": "市级",
        "county": "县级",
        "township": "镇(乡、街道)级",
        "village": "村(社区)级",
    },
    ItemStatus: {
        "draft": "草稿",
        "in_review": "审核中",
        "published": "在用",
        "suspended": "暂停",
        "cancelled": "取消",
    },
    AgencyNature: {
        "statutory": "法定机关",
        "authorized": "授权组织",
        "entrusted": "受委托组织",
        "other": "其他",
    },
    PowerSource: {
        "own": "法定本级行使",
        "delegated_down": "上级下放",
        "authorized_by_superior": "上级授权",
        "authorized_by_peer": "同级授权",
        "entrusted_by_superior": "上级委托",
        "entrusted_by_peer": "同级委托",
    },
    LimitUnit: {
        "working_day": "工作日",
        "natural_day": "自然日",
        "month": "月",
        "year": "年",
        "hour": "小时",
        "none": "无",
    },
    CaseType: {"instant": "即办件", "promised": "承诺件"},
    Channel: {
        "counter": "窗口办理",
        "online_pc": "网上办理(电脑端)",
        "online_mobile": "网上办理(移动端)",
        "courier": "快递申请",
    },
    OnlineDepth: {
        "I": "一级(事项公开)",
        "II": "二级(在线预审)",
        "III": "三级(在线申办)",
        "IV": "四级(全程网办)",
    },
    CrossArea: {
        "none": "不支持",
        "city": "全市通办",
        "province": "全省通办",
        "national": "跨省通办",
    },
    MaterialType: {
        "original": "原件",
        "copy": "复印件",
        "original_and_copy": "原件和复印件",
        "form": "申请表格",
        "other": "其他",
    },
    MaterialForm: {"paper": "纸质", "electronic": "电子", "either": "纸质或电子"},
    Necessity: {"required": "必要", "optional": "非必要", "deferrable": "容缺后补"},
    MaterialSource: {
        "applicant": "申请人自备",
        "government": "政府部门核发",
        "e_licence": "电子证照",
        "intermediary": "中介机构出具",
        "other": "其他",
    },
    ResultType: {
        "licence": "证照",
        "approval_document": "批文",
        "certificate": "证明",
        "filing_receipt": "备案回执",
        "decision": "决定书",
        "other": "其他",
    },
    Audience: {
        "natural_person": "自然人",
        "enterprise": "企业法人",
        "public_institution": "事业单位法人",
        "social_organisation": "社会组织法人",
        "government_body": "机关",
        "other": "其他组织",
    },
    ServiceKind: {
        "policy": "政策文件",
        "notice": "通知公告",
        "guide": "办理指南",
        "directory": "单位名录",
        "venue": "场馆信息",
        "faq": "常见问题",
        "link": "服务链接",
        "general": "普通信息",
    },
    ContactKind: {
        "phone": "电话",
        "address": "窗口/地址",
        "website": "网站",
        "email": "电子邮箱",
        "mail": "信函",
        "other": "其他",
    },
}


def label(vocab: type[Vocab], value: str | None) -> str:
    """The Chinese label of ``value``, or the value itself if unknown."""
    if value is None:
        return ""
    return LABELS[vocab].get(value, value)
