"""读取插件自带的数据文件(``data/*.json``)。

安阳市的规则以数据形式保存在 ``data/`` 目录中:``jurisdiction.json``(辖区信息)、
``rules.json``(事项范围、“一件事一次办”、目标值、要素要求及其条款出处)、``demo.json``(演示数据)。
本模块只负责读取,解释数据的逻辑在 :mod:`qingdan_anyang.rules`。
"""

from functools import partial

from qingdan.core.rulebook import decode_package_json, read_package_bytes, read_package_json

PACKAGE = "qingdan_anyang"

read_bytes = partial(read_package_bytes, PACKAGE)  # ``data/<name>.json`` 的原始内容
load = partial(read_package_json, PACKAGE)  # 解析后的内容(每次返回一份副本,调用方可随意修改)
decode = partial(decode_package_json, PACKAGE)  # 直接解码为给定类型(msgspec 负责校验)
