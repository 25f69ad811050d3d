"""Finding, validating and dispatching to jurisdiction plugins.

Plugins are found through the entry-point group ``qingdan.jurisdictions``;
the built-in ones are installed exactly like a vendor's package. Each plugin
gets a plugin manager of its own holding core's defaults and that plugin
only, so a tenant's call reaches its own jurisdiction and never a merged
answer from every city. Every error names the plugin and its version.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import msgspec
import pluggy

from qingdan.core import defaults, hookspecs
from qingdan.core.catalog.codes import CodeError, CodeFormat, DivisionCode
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    DemoDataset,
    ElementRequirements,
    Jurisdiction,
    Taxonomies,
)

ENTRY_POINT_GROUP = "qingdan.jurisdictions"


#: Roles an allocating office may grant: agency roles, always tied to one agency.
ALLOCATABLE_ROLES = ("clerk", "agency_reviewer")


def allocation_problems(allocation: Any) -> list[str]:
    """What is wrong with an ``AccountAllocation``, in words (empty when fine)."""
    from qingdan.core.tenancy.schemas import Role

    problems = []
    tenant_roles = {r.value for r in Role if r not in (Role.platform_admin, Role.tenant_admin)}
    for entry in allocation.allocations:
        if entry.allocator not in tenant_roles:
            problems.append(f"的开户角色 {entry.allocator} 不存在或无需授权")
        if not entry.roles:
            problems.append(f"没有给 {entry.allocator} 指定可分配的角色")
        for role in entry.roles:
            if role not in ALLOCATABLE_ROLES:
                problems.append(
                    f"让 {entry.allocator} 分配 {role}:只能分配信息员、审核员(clerk、agency_reviewer)"
                )
    return problems


class PluginError(Exception):
    """A plugin failed to load or answered wrongly; the message names it."""


def hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if n.startswith("qingdan_"))


def _return_types() -> dict[str, Any]:
    from qingdan.core.hooktypes import (
        AccountAllocation,
        ApprovalChain,
        CampaignTemplate,
        CatalogListSpec,
        ChangeKind,
        FollowCatalogDeadlines,
        IndicatorSet,
        ObligationRule,
        PublicationPolicy,
        QualityRules,
        ServicePointTarget,
        SubjectSummary,
    )

    ns = {
        "msgspec": msgspec,
        "AccountAllocation": AccountAllocation,
        "IndicatorSet": IndicatorSet,
        "QualityRules": QualityRules,
        "FollowCatalogDeadlines": FollowCatalogDeadlines,
        "CatalogListSpec": CatalogListSpec,
        "ServicePointTarget": ServicePointTarget,
        "PublicationPolicy": PublicationPolicy,
        "CampaignTemplate": CampaignTemplate,
        "ApprovalChain": ApprovalChain,
        "ChangeKind": ChangeKind,
        "ObligationRule": ObligationRule,
        "SubjectSummary": SubjectSummary,
        "CodeFormat": CodeFormat,
        "ItemType": ItemType,
        "DemoDataset": DemoDataset,
        "ElementRequirements": ElementRequirements,
        "Jurisdiction": Jurisdiction,
        "Taxonomies": Taxonomies,
    }
    return {
        name: typing.get_type_hints(getattr(hookspecs, name), localns=ns)["return"]
        for name in hook_names()
    }


def _conforms(value: Any, expected: Any) -> bool:
    """A shallow structural check of a hook's return value against its annotation."""
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, t) for t in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is type:
        (inner,) = typing.get_args(expected)
        return isinstance(value, type) and issubclass(value, inner)
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(expected) or (Any,)
        return isinstance(value, (list, tuple)) and all(_conforms(v, inner) for v in value)
    if expected is Any:
        return True
    return isinstance(value, expected)


@dataclass
class Plugin:
    """One loaded jurisdiction plugin and its own plugin manager."""

    name: str  # entry-point name
    version: str
    module: object
    distribution: str = ""
    pm: pluggy.PluginManager = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def label(self) -> str:
        return f"插件 {self.name} {self.version}"

    def implemented_hooks(self) -> list[str]:
        return sorted(
            impl.function.__name__
            for hook_name in hook_names()
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
            if impl.plugin is self.module
        )

    def call(self, hook: str, **kwargs: Any) -> Any:
        """Call one hook of this plugin (or core's default) and check its answer."""
        caller = getattr(self.pm.hook, hook)
        try:
            result = caller(**kwargs)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"{self.label}: 调用 {hook} 时出错: {exc!r}") from exc
        expected = RETURN_TYPES[hook]
        if not _conforms(result, expected):
            raise PluginError(
                f"{self.label}: {hook} 的返回值类型不正确"
                f"(应为 {_type_name(expected)},实际为 {type(result).__name__})"
            )
        return result

    # Typed accessors: the one way core asks a plugin something.

    @cached_property
    def jurisdiction(self) -> Jurisdiction:
        return self.call("qingdan_jurisdiction")

    @cached_property
    def settings_schema(self) -> type[msgspec.Struct]:
        return self.call("qingdan_settings_schema")

    def settings(self, stored: dict[str, Any] | None) -> msgspec.Struct:
        """The tenant's stored settings as the plugin's typed schema."""
        from qingdan.core.catalog.validation import to_element_error

        try:
            return msgspec.convert(stored or {}, self.settings_schema, strict=False)
        except msgspec.ValidationError as exc:
            err = to_element_error(exc, self.settings_schema)
            raise SettingsError(f"{self.label} 的设置无效: {err}", err) from None

    def item_types(self, settings: msgspec.Struct) -> list[ItemType]:
        return list(self.call("qingdan_item_types", settings=settings))

    def taxonomies(self, settings: msgspec.Struct) -> Taxonomies:
        return self.call("qingdan_taxonomies", settings=settings)

    def code_format(self, settings: msgspec.Struct) -> CodeFormat:
        return self.call("qingdan_code_format", settings=settings)

    def element_requirements(
        self, item_type: ItemType, settings: msgspec.Struct
    ) -> ElementRequirements:
        return self.call("qingdan_element_requirements", item_type=item_type, settings=settings)

    def _chain(self, hook: str, kind: Any, subject: Any, changed: list[str], settings: Any) -> Any:
        chain = self.call(
            hook, kind=kind, subject=subject, changed_elements=changed, settings=settings
        )
        if not chain.steps:
            raise PluginError(f"{self.label}: {hook} 返回了空的审核链")
        return chain

    def approval_chain(
        self,
        kind: Any,
        subject: Any,
        changed_elements: list[str],
        settings: msgspec.Struct,
    ) -> Any:
        return self._chain("qingdan_approval_chain", kind, subject, changed_elements, settings)

    def catalog_chain(
        self,
        kind: Any,
        subject: Any,
        changed_elements: list[str],
        settings: msgspec.Struct,
    ) -> Any:
        chain = self._chain("qingdan_catalog_chain", kind, subject, changed_elements, settings)
        agency_roles = [s.name for s in chain.steps if s.role in ("clerk", "agency_reviewer")]
        if agency_roles:
            raise PluginError(
                f"{self.label}: 基本目录审核链的步骤“{agency_roles[0]}”不能由实施机构角色办理"
            )
        return chain

    def obligations(
        self,
        kind: Any,
        subject: Any,
        changed_elements: list[str],
        settings: msgspec.Struct,
    ) -> list[Any]:
        return list(
            self.call(
                "qingdan_obligations",
                kind=kind,
                subject=subject,
                changed_elements=changed_elements,
                settings=settings,
            )
        )

    def account_allocation(self, settings: msgspec.Struct) -> Any:
        """Who else opens accounts and grants which roles; refused if a role is out of bounds."""
        allocation = self.call("qingdan_account_allocation", settings=settings)
        for problem in allocation_problems(allocation):
            raise PluginError(f"{self.label}: qingdan_account_allocation {problem}")
        return allocation

    def publication_policy(self, settings: msgspec.Struct) -> Any:
        """Who issues a publication and when the job does; refused if a role is unknown."""
        from qingdan.core.hooktypes import PublicationSchedule
        from qingdan.core.tenancy.schemas import Role

        policy = self.call("qingdan_publication_policy", settings=settings)
        tenant_roles = {r.value for r in Role if r != Role.platform_admin}
        if not policy.roles:
            raise PluginError(f"{self.label}: qingdan_publication_policy 没有指定发布角色")
        for role in policy.roles:
            if role not in tenant_roles:
                raise PluginError(
                    f"{self.label}: qingdan_publication_policy 的角色 {role} 不存在或不属于租户"
                )
        if policy.schedule not in set(PublicationSchedule):
            raise PluginError(
                f"{self.label}: qingdan_publication_policy 的 schedule {policy.schedule!r} 无效"
            )
        return policy

    def catalog_lists(self, settings: msgspec.Struct) -> list[Any]:
        """The lists the tenant keeps (各类清单); a kind named twice is refused."""
        specs = list(self.call("qingdan_catalog_lists", settings=settings))
        kinds = [spec.kind for spec in specs]
        twice = sorted({k.label for k in kinds if kinds.count(k) > 1})
        if twice:
            raise PluginError(f"{self.label}: qingdan_catalog_lists 重复列出了{'、'.join(twice)}")
        return specs

    def service_point_targets(self, settings: msgspec.Struct) -> list[Any]:
        """The 家门口办 targets; a kind named twice or a negative number is refused."""
        targets = list(self.call("qingdan_service_point_targets", settings=settings))
        kinds = [t.kind for t in targets]
        twice = sorted({k.label for k in kinds if kinds.count(k) > 1})
        if twice:
            raise PluginError(
                f"{self.label}: qingdan_service_point_targets 重复给出了{'、'.join(twice)}的目标"
            )
        for t in targets:
            if not isinstance(t.min_items, int) or t.min_items < 0:
                raise PluginError(
                    f"{self.label}: qingdan_service_point_targets 中{t.kind.label}的目标数无效"
                )
        return targets

    def indicators(self, settings: msgspec.Struct) -> Any:
        """The tenant's indicators with core's, checked (ids, targets, bulletin criteria)."""
        from qingdan.core.indicators.definitions import IndicatorConfigError, resolve

        try:
            return resolve(self.call("qingdan_indicators", settings=settings))
        except IndicatorConfigError as exc:
            raise PluginError(f"{self.label}: qingdan_indicators {exc}") from None

    def quality_rules(self, settings: msgspec.Struct) -> Any:
        """The plugin's check rules (``QualityRules``), checked against the element schema."""
        from qingdan.core.checks.declarative import rules_problems

        rules = self.call("qingdan_quality_rules", settings=settings)
        problems = rules_problems(rules)
        if problems:
            raise PluginError(f"{self.label}: qingdan_quality_rules 有误: {';'.join(problems)}")
        return rules

    def follow_catalog_deadlines(self, settings: msgspec.Struct) -> Any:
        """Working days to claim, amend and cancel after the catalog from above changed."""
        deadlines = self.call("qingdan_follow_catalog_deadlines", settings=settings)
        for name in ("claim_days", "amend_days", "cancel_days"):
            days = getattr(deadlines, name)
            if not isinstance(days, int) or not 0 <= days <= 365:
                raise PluginError(
                    f"{self.label}: qingdan_follow_catalog_deadlines 的 {name} 无效: {days!r}"
                )
        return deadlines

    def demo_dataset(self) -> DemoDataset | None:
        return self.call("qingdan_demo_dataset")

    def validate(self) -> None:
        """Ask every hook that needs no tenant data once, so a bad answer fails at load."""
        from qingdan.core.catalog.elements import ElementDocument

        j = self.jurisdiction
        if j is None:
            raise PluginError(f"{self.label}: 未实现必需的钩子 qingdan_jurisdiction")
        try:
            DivisionCode.parse(j.division_code)
        except CodeError as exc:
            raise PluginError(
                f"{self.label}: qingdan_jurisdiction 的 division_code 无效: {exc}"
            ) from None
        settings = self.settings({})
        self.item_types(settings)
        self.taxonomies(settings)
        self.code_format(settings)
        elements = set(ElementDocument.__struct_fields__)
        for item_type in ItemType:
            req = self.element_requirements(item_type, settings)
            unknown = sorted(set(req.required) - elements)
            if unknown:
                raise PluginError(
                    f"{self.label}: qingdan_element_requirements 指定了不存在的要素 {unknown}"
                )
        self.demo_dataset()
        self.follow_catalog_deadlines(settings)
        self.quality_rules(settings)
        self.indicators(settings)
        self.publication_policy(settings)
        self.account_allocation(settings)
        self.catalog_lists(settings)
        self.service_point_targets(settings)
        self._validate_chains(settings)

    def _validate_chains(self, settings: msgspec.Struct) -> None:
        """Every change kind must give a chain whose roles exist and deadlines are sane."""
        from qingdan.core.hooktypes import ChangeKind, SubjectSummary
        from qingdan.core.tenancy.schemas import Role

        known_roles = {r.value for r in Role}
        for item_type in (ItemType.licensing, ItemType.public_service):
            subject = SubjectSummary(name="校验", item_type=item_type, base_code="000000")
            for kind in ChangeKind:
                chain = self.approval_chain(kind, subject, [], settings)
                for step in chain.steps:
                    if step.role not in known_roles:
                        raise PluginError(
                            f"{self.label}: 审核链步骤“{step.name}”的角色 {step.role} 不存在"
                        )
                    if not 0 <= step.deadline_days <= 365:
                        raise PluginError(
                            f"{self.label}: 审核链步骤“{step.name}”的时限 {step.deadline_days} 无效"
                        )
                if kind in (ChangeKind.create, ChangeKind.amend, ChangeKind.cancel):
                    catalog = msgspec.structs.replace(subject, is_catalog_entry=True)
                    for step in self.catalog_chain(kind, catalog, [], settings).steps:
                        if step.role not in known_roles:
                            raise PluginError(
                                f"{self.label}: 基本目录审核链步骤“{step.name}”的角色 {step.role} 不存在"
                            )
                for rule in self.obligations(kind, subject, [], settings):
                    if rule.role not in known_roles or rule.on not in ("publish", "claim"):
                        raise PluginError(f"{self.label}: 后续义务“{rule.title}”的角色或触发无效")


class SettingsError(ValueError):
    def __init__(self, message: str, error: Any = None):
        super().__init__(message)
        self.error = error


def _type_name(t: Any) -> str:
    return getattr(t, "__name__", None) or str(t).replace("qingdan.core.", "")


RETURN_TYPES: dict[str, Any] = _return_types()


def _version_of(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", ""
    return dist.version, dist.metadata["Name"]


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(defaults, name="qingdan.core.defaults")
    return pm


def load_plugin(name: str, module: object, version: str = "?", distribution: str = "") -> Plugin:
    """Register ``module`` as plugin ``name`` and validate it; errors name it."""
    plugin = Plugin(name=name, version=version, module=module, distribution=distribution)
    pm = _new_manager()
    try:
        pm.register(module, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{plugin.label} 加载失败: {_explain(exc)}") from exc
    except ValueError as exc:
        raise PluginError(f"{plugin.label} 加载失败: {exc}") from exc
    plugin.pm = pm
    plugin.validate()
    return plugin


def _explain(exc: pluggy.PluginValidationError) -> str:
    text = str(exc)
    if "unknown hook" in text:
        # pluggy says "unknown hook 'qingdan_jurisdction' in plugin ..."; add a hint.
        known = ", ".join(hook_names())
        return f"{text}(可能拼错了钩子名称;已知的钩子: {known})"
    return text


class Registry:
    """Every installed jurisdiction plugin, by entry-point name."""

    def __init__(self, plugins: dict[str, Plugin]):
        self._plugins = plugins

    @classmethod
    def from_entry_points(cls) -> Registry:
        found: dict[str, Plugin] = {}
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            version, dist = _version_of(ep)
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(f"插件 {ep.name} {version} 无法导入: {exc!r}") from exc
            found[ep.name] = load_plugin(ep.name, module, version, dist)
        return cls(found)

    def get(self, name: str) -> Plugin:
        try:
            return self._plugins[name]
        except KeyError:
            known = "、".join(self._plugins) or "无"
            raise PluginError(f"未安装辖区插件“{name}”(已安装: {known})") from None

    def with_plugin(self, plugin: Plugin) -> Registry:
        """A registry with ``plugin`` added (or replacing one of the same name)."""
        return Registry({**self._plugins, plugin.name: plugin})

    def names(self) -> list[str]:
        return list(self._plugins)

    def __iter__(self):
        return iter(self._plugins.values())

    def __len__(self) -> int:
        return len(self._plugins)


_registry: Registry | None = None


def get_registry() -> Registry:
    global _registry
    if _registry is None:
        _registry = Registry.from_entry_points()
    return _registry


def set_registry(registry: Registry | None) -> None:
    """Replace the registry (tests load a plugin of their own this way)."""
    global _registry
    _registry = registry


def hook_docs() -> dict[str, str]:
    """Each hook's documentation: its docstring, cleaned."""
    return {name: inspect.getdoc(getattr(hookspecs, name)) or "" for name in hook_names()}
