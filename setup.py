"""Maps the repository's top-level core/ and web/ folders into the ``qingdan``
namespace, so the layout of ARCHITECTURE.md and a clean import path
(``qingdan.core``, ``qingdan.web``) hold together."""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
MAPPED = {"qingdan": "qingdan", "qingdan.core": "core", "qingdan.web": "web"}


def _packages() -> list[str]:
    found = []
    for name, folder in MAPPED.items():
        base = ROOT / folder
        for init in sorted(base.rglob("__init__.py")):
            rel = init.parent.relative_to(base)
            parts = [p for p in rel.parts if p]
            found.append(".".join([name, *parts]))
    return found


setup(
    packages=_packages(),
    package_dir=MAPPED,
    package_data={
        "qingdan.web": ["templates/**/*", "static/**/*"],
        "qingdan.core": ["demo/data/*.json", "migrations/*.py", "publishing/data/*.json"],
    },
)
