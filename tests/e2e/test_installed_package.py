"""The built wheel, installed outside the checkout, runs the demo from an unrelated folder."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from newsflow.lake import read_table

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


def test_wheel_installs_without_generic_top_level_names_and_runs_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, timeout=300)
    wheel = next(dist.glob("newsflow-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"newsflow"}
    for data in ("newsflow/expectations/articles.json", "newsflow/tasks/data/regions.csv",
                 "newsflow/seeds/000_5746d6ddd9dd780a.txt", "newsflow/flows/ingest.py",
                 "newsflow/data/world_countries.json"):
        assert data in names

    # A fresh venv gets the wheel; its dependencies come from the test's own environment through a
    # .pth line (not from the registry: the test must not reinstall spaCy and Prefect each run).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Without the outer PYTHONPATH: a checkout on it (with the newsflow.egg-info a wheel build
    # leaves there) makes pip think newsflow is installed already, and it installs nothing.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "PREFECT_API", "NEWSFLOW_"))}
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, timeout=300, env=env)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # A plain path line: the outer environment's own .pth files (its editable newsflow) are not read.
    Path(site, "outer_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import newsflow; print(newsflow.__file__)"], cwd=elsewhere,
                           env=env, check=True, capture_output=True, text=True).stdout
    assert where.startswith(site)

    demo = subprocess.run([str(env_dir / "bin" / "newsflow"), "demo", "--output", str(elsewhere / "out")],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Vladimir Putin" in demo.stdout
    assert read_table(elsewhere / "out", "entities", columns=["article_id"]).num_rows > 0
