"""朔城区的梳理工作模板:方案三(二)4 的四个阶段、零报告、主要负责人审签与三个审核机构。

模板写在 ``data/campaign.json``,阶段日期引用设置项(默认值即方案的日期,见
``data/rules.json`` 的 ``settings_defaults``),所以城市管理员在设置中改了日期,新发起的梳理
即按新日期预填;是否要求零报告与审签也取自设置。每条都带方案的条款号和原文。
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import CampaignPhaseTemplate, CampaignReviewer, CampaignTemplate
from qingdan_shuozhou.loader import load
from qingdan_shuozhou.settings import DOCUMENT, DOCUMENT_NUMBER, ShuozhouSettings

SOURCE = f"《{DOCUMENT}》({DOCUMENT_NUMBER})"


def _cite(rule: dict[str, Any]) -> str:
    return f"{SOURCE}{rule['clause']}:{rule['text']}"


def _date(ref: dict[str, str] | None, settings: ShuozhouSettings) -> date | None:
    """A date the data names by its setting (``{"setting": "survey_start"}``)."""
    if ref is None:
        return None
    return getattr(settings, ref["setting"])


def _reviewers(names: list[str], offices: dict[str, Any]) -> tuple[CampaignReviewer, ...]:
    return tuple(
        CampaignReviewer(
            role=offices[name]["role"], office=offices[name]["office"], basis=_cite(offices[name])
        )
        for name in names
    )


def campaign_template(settings: ShuozhouSettings) -> CampaignTemplate:
    data = load("campaign")
    phases = tuple(
        CampaignPhaseTemplate(
            code=p["code"],
            name=p["name"],
            start=_date(p.get("start"), settings),
            end=_date(p.get("end"), settings),
            submissions=p.get("submissions", False),
            due=_date(p.get("due"), settings),
            reviewers=_reviewers(p.get("reviewers", []), data["offices"]),
            basis=_cite(p),
        )
        for p in data["phases"]
    )
    signoff, zero = data["signoff"], data["zero_report"]
    return CampaignTemplate(
        code=data["code"],
        name=data["name"],
        phases=phases,
        item_types=tuple(ItemType(t) for t in data["item_types"]["types"]),
        signoff_required=bool(getattr(settings, signoff["setting"])),
        signoff_label=signoff["label"],
        signoff_basis=_cite(signoff),
        zero_report_required=bool(getattr(settings, zero["setting"])),
        zero_report_basis=_cite(zero),
        basis=_cite(data),
    )


def check() -> None:
    """Fail loading when the data names a setting, a role or an office that does not exist."""
    from qingdan.core.campaigns.templates import template_problems

    problems = template_problems(campaign_template(ShuozhouSettings()))
    if problems:
        raise ValueError("data/campaign.json 有误:" + ";".join(problems))


check()
