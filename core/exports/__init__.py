"""Exports of the published lists (实施清单, 目录清单) as xlsx, CSV, JSON and CPSV-AP."""

from qingdan.core.exports.services import export_to, run_export, start_export
from qingdan.core.exports.spec import FORMATS, LISTS, ExportSpec, check_spec, spec_from_params

__all__ = [
    "FORMATS",
    "LISTS",
    "ExportSpec",
    "check_spec",
    "export_to",
    "run_export",
    "spec_from_params",
    "start_export",
]
