"""The GitHub Pages workflow is valid and publishes everything the page loads."""

import re
import shlex

import pytest

from repo import ROOT

yaml = pytest.importorskip("yaml")  # a test extra (pyproject.toml); CI installs it

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def _workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_is_valid_yaml_with_a_pages_deploy():
    flow = _workflow()
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on"
    triggers = flow.get("on", flow.get(True))
    assert "push" in triggers and triggers["push"]["branches"] == ["main"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = flow["jobs"]["deploy"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses.index("actions/upload-pages-artifact") < uses.index("actions/deploy-pages")
    for step in steps:
        assert step.get("uses") is None or re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step


def _published():
    """The paths the workflow copies into the site."""
    run = next(step["run"] for step in _workflow()["jobs"]["deploy"]["steps"]
               if step.get("name") == "Collect the site")
    copy = next(line for line in run.splitlines() if line.strip().startswith("cp "))
    words = shlex.split(copy)
    return [w for w in words[1:-1] if not w.startswith("-")]


def test_site_holds_every_local_file_the_page_loads():
    published = _published()
    for path in published:
        assert (ROOT / path).exists(), path
    page = (ROOT / "index.html").read_text()
    local = [ref for ref in re.findall(r'(?:src|href)="([^"#?]+)', page)
             if not re.match(r"[a-z]+:", ref)]
    assert local, "no local references found"
    for ref in local:
        assert (ROOT / ref).exists(), f"index.html loads {ref}, which does not exist"
        assert ref.split("/")[0] in published, f"index.html loads {ref}, which is not published"
