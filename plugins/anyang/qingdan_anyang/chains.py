"""安阳市的审核链(政务服务管理部门审核发布,二(一)3)与线上线下同步更新的后续义务(二(六)27)。

改革方案的这些规定以数据形式写在 ``data/rules.json``,由核心的
:class:`qingdan.core.rulebook.Rulebook` 解释(引用时写明文件名);数据有误时插件加载即失败。
"""

from qingdan.core.rulebook import ChainSpec as ChainSpec  # re-exported: the data types
from qingdan.core.rulebook import Condition as Condition
from qingdan.core.rulebook import Rulebook
from qingdan.core.rulebook import Rules as Rules
from qingdan.core.rulebook import StepRef as StepRef
from qingdan_anyang.loader import load
from qingdan_anyang.settings import DOCUMENT, AnyangSettings

RULEBOOK = Rulebook(load("rules"), AnyangSettings, DOCUMENT)
approval_chain = RULEBOOK.approval_chain
obligations = RULEBOOK.obligations
load_rules = RULEBOOK.load  # the decoded, checked data
_check = RULEBOOK.check
