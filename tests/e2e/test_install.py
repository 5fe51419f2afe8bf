"""The package installed from its wheel (not editable) works away from the checkout.

A wheel is built from the checkout and installed into a fresh venv whose dependencies are the
ones already installed for the tests (a path entry to their site-packages, so nothing is
downloaded). From a working directory outside the checkout, ``assistant ingest`` and ``ask``
answer the demo question, ``eval`` finds its default golden set, and the prompts and page files
load from the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support import MODEL_CACHE, PROJECT_ROOT

pytestmark = pytest.mark.e2e


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{command[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A venv holding the wheel, and the environment to run its command in."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"  # built from a copy, so the checkout gets no build folder
    shutil.copytree(PROJECT_ROOT, source, ignore=shutil.ignore_patterns(
        ".*", "__pycache__", "build", "dist", "*.egg-info", "index", "reports", "corpora",
        "tests", "benchmarks"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", str(root / "dist"), str(source)], cwd=root)
    wheel = next((root / "dist").glob("news_assistant-*.whl"))
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
               cwd=root).stdout.strip()
    # The test venv's packages serve as the dependencies; a plain path entry, so the
    # editable install of the checkout found there is not activated.
    Path(site, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        cwd=root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH="",
               ASSISTANT_MODEL_CACHE_DIR=str(MODEL_CACHE))
    return venv, env


def test_the_installed_package_answers_from_another_directory(installed, tmp_path):
    venv, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(PROJECT_ROOT / "corpus", tmp_path / "articles")
    assistant = str(venv / "bin" / "assistant")
    paths = ["--corpus", str(tmp_path / "articles"), "--index", str(tmp_path / "index")]

    where = run([str(venv / "bin" / "python"), "-c",
                 "import assistant, assistant.prompts, assistant.settings as s, "
                 "assistant.web.page as p; print(assistant.__file__); "
                 "print(s.bundled('prompts')); print((p.STATIC / 'page.css').is_file())"],
                cwd=elsewhere, env=env).stdout.split()
    assert where[0].startswith(str(venv)) and not where[0].startswith(str(PROJECT_ROOT))
    assert where[1].startswith(str(venv)) and where[2] == "True"

    run([assistant, *paths, "ingest"], cwd=elsewhere, env=env)
    asked = run([assistant, *paths, "ask", "--json", "Who denied the deployment?"],
                cwd=elsewhere, env=env)
    answer = json.loads(asked.stdout)
    assert answer["short_answer"] == "North Korea" and not answer["refused"]
    assert "North Korea has officially denied sending troops to Russia" in \
        answer["citations"][0]["quote"]
    refused = json.loads(run([assistant, *paths, "ask", "--json",
                              "What did Xi Jinping say about the troops?"],
                             cwd=elsewhere, env=env).stdout)
    assert refused["refused"] and "Xi Jinping" in refused["answer"]

    evaluated = run([assistant, *paths, "eval", "--reports", "reports"], cwd=elsewhere, env=env)
    report = json.loads((elsewhere / "reports" / "eval.json").read_text())
    assert report["golden"].startswith(str(venv)) and report["metrics"]["cases"] >= 90
    assert report["threshold_failures"] == [] and "passed every check" in evaluated.stdout
