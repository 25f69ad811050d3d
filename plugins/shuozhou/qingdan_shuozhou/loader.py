"""读取插件自带的数据文件(``data/*.json``)。

朔城区的规则以数据形式保存在 ``data/`` 目录中:``jurisdiction.json``(辖区信息)、
``rules.json``(事项类型、服务类型、“19+X”主题、梳理阶段日期、要素要求及其条款出处)、
``demo.json``(演示数据)。
本模块只负责读取,解释数据的逻辑在 :mod:`qingdan_shuozhou.rules`。
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import msgspec

PACKAGE = "qingdan_shuozhou"


def read_bytes(name: str) -> bytes:
    """``data/<name>.json`` 的原始内容。"""
    return (files(PACKAGE) / "data" / f"{name}.json").read_bytes()


@cache
def _load(name: str) -> Any:
    return json.loads(read_bytes(name).decode("utf-8"))


def load(name: str) -> Any:
    """``data/<name>.json`` 解析后的内容(每次返回一份副本,调用方可随意修改)。"""
    return json.loads(json.dumps(_load(name)))


def decode(name: str, type_: Any) -> Any:
    """把 ``data/<name>.json`` 直接解码为类型 ``type_``(msgspec 负责校验)。"""
    return msgspec.json.decode(read_bytes(name), type=type_)
