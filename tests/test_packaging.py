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


def test_the_package_data_carries_every_notebook_and_page_template():
    """An installed package (pip install without -e) renders from any folder: the package-data globs of
    pyproject.toml take every file of src/benchmarks/notebooks/ and templates/ into the wheel."""
    from benchmarks.config import PACKAGE
    from benchmarks.reports.kinds import REPORT_KINDS

    globs = tomllib.loads((paths().root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {f for pattern in globs["benchmarks"] for f in PACKAGE.glob(pattern) if f.is_file()}
    needed = {f for folder in ("notebooks", "templates") for f in (PACKAGE / folder).rglob("*")
              if f.is_file() and ".ipynb_checkpoints" not in f.parts}
    assert needed and not needed - shipped
    assert {PACKAGE / "notebooks" / kind.notebook for kind in REPORT_KINDS.values()} <= shipped
