"""金昌市的审核链(第十条至第十二条、第十五条)与后续义务(第十二条、第十四条、第十六条)。

办法的这些条款以数据形式写在 ``data/rules.json``,由核心的 :class:`qingdan.core.rulebook.Rulebook`
解释;写错的数据让插件在加载时就失败。
"""

from qingdan.core.rulebook import ChainSpec as ChainSpec  # re-exported: the data types
from qingdan.core.rulebook import Condition as Condition
from qingdan.core.rulebook import Rulebook
from qingdan.core.rulebook import Rules as Rules
from qingdan.core.rulebook import StepRef as StepRef
from qingdan_jinchang.loader import load
from qingdan_jinchang.settings import DOCUMENT, JinchangSettings

RULEBOOK = Rulebook(load("rules"), JinchangSettings, DOCUMENT)
approval_chain = RULEBOOK.approval_chain
obligations = RULEBOOK.obligations
load_rules = RULEBOOK.load  # the decoded, checked data
_check = RULEBOOK.check
