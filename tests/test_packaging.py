"""The package list in pyproject.toml names every package folder, so an installed wheel holds
every module (the wheel itself is tested end to end in e2e/test_install.py)."""

from __future__ import annotations

import tomllib

from tests.support import PROJECT_ROOT


def test_every_package_folder_is_listed_and_every_data_folder_is_mapped():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {".".join(p.parent.relative_to(PROJECT_ROOT).parts)
               for p in (PROJECT_ROOT / "assistant").rglob("__init__.py")}
    assert folders <= listed
    mapped = config["package-dir"]
    assert {mapped[name] for name in listed - folders - {"assistant.web.static"}} == {
        "prompts", "evals"}
    assert (PROJECT_ROOT / "assistant" / "web" / "static" / "page.css").is_file()
