"""Front-end packages: npm fetches them at setup time, this copies what the pages load.

Nothing from node_modules is committed (ARCHITECTURE.md, "Front end"): the
versions are pinned by package.json and package-lock.json, and
``web/static/vendor/`` (git-ignored) is rebuilt from node_modules by
``python -m qingdan.web.assets``. The pages still render, unstyled, when the
vendor files are missing, so a missing step is visible but not fatal.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
VENDOR_DIR = WEB_DIR / "static" / "vendor"

#: What the templates load (``/static/vendor/<name>``) and where npm puts it.
VENDOR_FILES: dict[str, str] = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "pico.min.css": "@picocss/pico/css/pico.min.css",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}


def project_dir() -> Path:
    """The folder holding package.json: the checkout root, else the working directory.

    web/ sits directly under the checkout root in a development install; an
    installed wheel has no package.json beside it, so the operator runs the
    command from the folder that has one.
    """
    root = WEB_DIR.parent
    if (root / "package.json").exists():
        return root
    return Path.cwd()


def npm_install(directory: Path) -> None:
    """``npm ci`` when a lockfile exists (exact, reproducible), else ``npm install``."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("未找到 npm:请先安装 Node.js(含 npm),再安装前端依赖")
    command = "ci" if (directory / "package-lock.json").exists() else "install"
    subprocess.run([npm, command, "--no-audit", "--no-fund"], cwd=directory, check=True)


def install_assets(
    directory: Path | None = None,
    *,
    run_npm: bool = True,
    vendor_dir: Path | None = None,
) -> list[Path]:
    """Install the npm packages and copy their dist files into the vendor folder.

    Returns the copied files. ``run_npm=False`` only copies, for a
    node_modules that is already there.
    """
    directory = directory or project_dir()
    if not (directory / "package.json").exists():
        raise FileNotFoundError(f"{directory} 下没有 package.json")
    if run_npm:
        npm_install(directory)
    node_modules = directory / "node_modules"
    target = vendor_dir or VENDOR_DIR
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name, source in VENDOR_FILES.items():
        origin = node_modules / source
        if not origin.exists():
            raise FileNotFoundError(f"缺少前端文件 {origin}:请检查 package.json 并重新安装")
        destination = target / name
        shutil.copyfile(origin, destination)
        copied.append(destination)
    return copied


def main() -> int:
    run_npm = "--no-npm" not in sys.argv[1:]
    for path in install_assets(run_npm=run_npm):
        print(f"已复制 {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
