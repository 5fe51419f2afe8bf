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


def test_every_data_file_inside_the_package_is_shipped():
    """A fitted model or table beside its module (``chooser.json``, ``int8.json``, …) is
    named in package-data, or an installed wheel would lack it."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = {(package, name) for package, names in config["package-data"].items()
               for name in names}
    found = {(".".join(p.parent.relative_to(PROJECT_ROOT).parts), p.name)
             for p in (PROJECT_ROOT / "assistant").rglob("*.json")}
    assert found and found <= shipped
