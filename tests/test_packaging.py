"""environment.yml and pyproject.toml name the same packages with the same minimum versions."""

import re
import tomllib

import yaml

from benchmarks.config import paths


def _req(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec).groups()
    return re.sub(r"\[.*\]", "", name).lower().replace("_", "-"), version.replace(" ", "")


def test_environment_yml_matches_pyproject():
    root = paths().root
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = dict(_req(s) for s in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda = dict(_req(d) for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",))
    conda.pop("python")
    assert conda == wanted
    assert project["requires-python"] == ">=3.11"
    assert "benchmarks" in project["scripts"]


def test_makefile_help_lists_the_readme_targets():
    makefile = (paths().root / "Makefile").read_text()
    for target in ("help", "demo", "test"):
        assert re.search(rf"^{target}:.*## ", makefile, re.M), target
    readme = (paths().root / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (paths().root / ".ci" / "run").read_text()
