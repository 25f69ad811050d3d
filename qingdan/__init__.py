"""qingdan (清单): government service items for many jurisdictions.

Plugins import their marker from here, the one public place::

    from qingdan import hookimpl
"""

from qingdan.core.hookspecs import hookimpl, hookspec

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl", "hookspec"]
