"""The hooks ``qingdan_catalog_lists`` and ``qingdan_service_point_targets``: core's
defaults, a plugin's own answer, and a wrong answer refused at loading."""

import datetime
import types

import pytest

from qingdan import hookimpl
from qingdan.core.hooktypes import (
    CatalogListKind,
    CatalogListSpec,
    Jurisdiction,
    ServicePointKind,
    ServicePointTarget,
)
from qingdan.core.plugins import PluginError, load_plugin


def _plugin(name: str, **hooks):
    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=name, name=f"{name}市", division_code="990100000000")

    module = types.ModuleType(name)
    module.qingdan_jurisdiction = qingdan_jurisdiction
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(module, hook_name, fn)
    return load_plugin(name, module, "1.0")


def test_core_keeps_every_list_public_but_the_hall_exclusions_and_sets_no_targets():
    plugin = _plugin("plain")
    settings = plugin.settings({})
    specs = plugin.catalog_lists(settings)
    assert [s.kind for s in specs] == list(CatalogListKind)
    assert [s.kind for s in specs if not s.public] == [CatalogListKind.hall_exclusions]
    assert all(s.title == "" for s in specs)  # the national names: CatalogListKind.label
    assert CatalogListKind.commitment.label == "告知承诺制事项清单"
    assert plugin.service_point_targets(settings) == []


def test_a_plugin_chooses_its_lists_and_targets():
    @hookimpl
    def qingdan_catalog_lists():
        return [
            CatalogListSpec(kind=CatalogListKind.commitment, title="告知承诺清单", public=True),
            CatalogListSpec(kind=CatalogListKind.hall_exclusions),
        ]

    @hookimpl
    def qingdan_service_point_targets(settings):
        return [
            ServicePointTarget(
                kind=ServicePointKind.village, min_items=40, deadline=datetime.date(2022, 12, 31)
            )
        ]

    plugin = _plugin(
        "chooser",
        qingdan_catalog_lists=qingdan_catalog_lists,
        qingdan_service_point_targets=qingdan_service_point_targets,
    )
    settings = plugin.settings({})
    assert [(s.kind, s.title) for s in plugin.catalog_lists(settings)] == [
        (CatalogListKind.commitment, "告知承诺清单"),
        (CatalogListKind.hall_exclusions, ""),
    ]
    (target,) = plugin.service_point_targets(settings)
    assert (target.kind.label, target.min_items) == ("村(社区)便民服务站", 40)


def test_a_list_named_twice_or_a_bad_answer_fails_loading():
    @hookimpl
    def qingdan_catalog_lists():
        return [
            CatalogListSpec(kind=CatalogListKind.licensing),
            CatalogListSpec(kind=CatalogListKind.licensing, public=True),
        ]

    with pytest.raises(
        PluginError, match=r"插件 twice 1\.0: qingdan_catalog_lists 重复列出了行政许可"
    ):
        _plugin("twice", qingdan_catalog_lists=qingdan_catalog_lists)

    @hookimpl
    def qingdan_service_point_targets():
        return {"township": 200}

    with pytest.raises(PluginError, match="qingdan_service_point_targets 的返回值类型不正确"):
        _plugin("badtype", qingdan_service_point_targets=qingdan_service_point_targets)

    @hookimpl
    def qingdan_service_point_targets():
        return [ServicePointTarget(kind=ServicePointKind.street, min_items=-1)]

    with pytest.raises(PluginError, match="街道便民服务中心的目标数无效"):
        _plugin("negative", qingdan_service_point_targets=qingdan_service_point_targets)
