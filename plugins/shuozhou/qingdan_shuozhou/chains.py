"""朔城区的审核链(部门审签报送、区行政审批服务管理局会同区编办和区司法局审核、区政府常务会议
审定后公布)与公布后的后续义务,依据朔区政办发〔2019〕18号方案。

方案的条款写在 ``data/rules.json``;核心的 :class:`qingdan.core.rulebook.Rulebook` 按数据选出
审核链和义务,引用写明文件名和文号(朔区政办发〔2019〕18号);数据有误时插件加载即失败。
"""

from qingdan.core.rulebook import ChainSpec as ChainSpec  # re-exported: the data types
from qingdan.core.rulebook import Condition as Condition
from qingdan.core.rulebook import Rulebook
from qingdan.core.rulebook import Rules as Rules
from qingdan.core.rulebook import StepRef as StepRef
from qingdan_shuozhou.loader import load
from qingdan_shuozhou.settings import DOCUMENT, DOCUMENT_NUMBER, ShuozhouSettings

RULEBOOK = Rulebook(
    load("rules"), ShuozhouSettings, DOCUMENT, citation=f"《{DOCUMENT}》({DOCUMENT_NUMBER})"
)
approval_chain = RULEBOOK.approval_chain
obligations = RULEBOOK.obligations
load_rules = RULEBOOK.load  # the decoded, checked data
_check = RULEBOOK.check
