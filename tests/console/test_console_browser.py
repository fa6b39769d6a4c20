"""The web console end to end in a real browser (Playwright driving Debian's chromium) against a
local stack of the test's own: an operator signs in, opens a plan, dry-runs it, starts a drill,
watches the live page reach PAUSED (pause before wave 3), resumes it and sees COMPLETED; a recovery
manager terminates the recovery instances and sees the clean-up verified; a read-only user sees the same pages with no write action. Screenshots land in
tests/console/output/ (1280x800)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from own_stack import ROOT, own_stack_process

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).parent / "output"
DIST = ROOT / "console" / "dist" / "index.html"
PASSWORD = "Local-Passw0rd!"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
APP_SERVERS = ["s-55120d343418d3a0a", "s-6543d50b184fc2398"]  # app-01, app-02 (app-03 replicates STALLED)


def _idp_token(state: dict[str, Any], role: str) -> str:
    import boto3

    idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=state["motoUrl"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    out = idp.initiate_auth(ClientId=state["clientId"], AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": state["users"][role], "PASSWORD": PASSWORD})
    return str(out["AuthenticationResult"]["IdToken"])


def _seed_plan(state: dict[str, Any]) -> dict[str, Any]:
    """Three groups (two by tags, one by explicit servers) and a 3-wave plan pausing before wave 3,
    created by the admin: an operator may run plans but not create them."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {_idp_token(state, 'DRSOrchestrationAdmin')}"
    api = state["apiUrl"]
    bodies = [{"groupName": "Order db", "region": "us-east-1", "serverSelectionTags": {"Tier": "db"}},
              {"groupName": "Order app", "region": "us-east-1", "sourceServerIds": APP_SERVERS},
              {"groupName": "Order web", "region": "us-east-1", "serverSelectionTags": {"Tier": "web"}}]
    ids = []
    for body in bodies:
        r = s.post(f"{api}/protection-groups", json=body, timeout=60)
        assert r.status_code == 201, r.text
        ids.append(r.json()["groupId"])
    waves = [{"waveNumber": n, "waveName": name, "protectionGroupIds": [gid], "dependsOnWaves": [n - 1] if n > 1 else [],
              "pauseBeforeWave": n == 3} for n, name, gid in zip((1, 2, 3), ("db", "app", "web"), ids, strict=True)]
    r = s.post(f"{api}/recovery-plans", json={"planName": "Order system", "waves": waves}, timeout=60)
    assert r.status_code == 201, r.text
    plan: dict[str, Any] = r.json()
    return plan


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not DIST.is_file():
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "console", check=True)
    with own_stack_process(tmp_path_factory.mktemp("console-stack"), speed=150) as state:
        yield state


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: make install installs it"
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                   args=FLAGS, viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(30_000)
        yield ctx
        ctx.close()


def _sign_in(page: Any, state: dict[str, Any], role: str) -> None:
    page.goto(state["consoleUrl"])
    page.get_by_label("Email").fill(state["users"][role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"


def _open(page: Any, state: dict[str, Any], area: str) -> None:
    """An area of the console by its address (the side navigation may be collapsed on a busy page)."""
    page.goto(f"{state['consoleUrl']}#/{area}")


def _shot(page: Any, name: str) -> None:
    """A full-page screenshot, and an axe-core scan of the page: no serious or critical violation."""
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    (OUTPUT / f"{name}.axe.json").write_text(json.dumps(result, indent=1))
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def test_operator_dry_runs_and_drills_a_plan_to_completion(stack: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    plan = _seed_plan(stack)
    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSOperator")
    expect(page.get_by_role("button", name=stack["users"]["DRSOperator"])).to_be_visible()
    expect(page.get_by_role("heading", name="DRS capacity")).to_be_visible()
    expect(page.get_by_text("us-west-2").first).to_be_visible()
    _shot(page, "01-dashboard-operator")

    _open(page, stack, "groups")
    expect(page.get_by_text("Tier=web")).to_be_visible()
    expect(page.get_by_role("button", name="Create by tags")).to_have_count(0)  # an operator may not create groups
    _shot(page, "02-protection-groups")

    _open(page, stack, "plans")
    page.get_by_role("link", name="Order system").click()
    expect(page.get_by_test_id("effective-order")).to_contain_text("Step 3: wave 3")
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_test_id("dry-run-would-start")).to_have_text("yes")
    expect(page.get_by_test_id("dry-run-duration")).not_to_have_text("-")
    _shot(page, "03-plan-dry-run")

    page.get_by_role("button", name="Start drill").click()
    page.wait_for_url("**/#/executions/*")
    execution_id = page.url.rsplit("/", 1)[-1]
    status = page.get_by_test_id("execution-status")
    expect(status).to_have_text("PAUSED", timeout=90_000)
    _shot(page, "04-execution-paused")
    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text("COMPLETED", timeout=90_000)
    expect(page.get_by_text("i-", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("timeline-bar")).to_have_count(3)
    page.get_by_role("button", name="Job logs").click()
    page.get_by_role("table", name="Job log events").get_by_role("row").nth(3).wait_for()
    _shot(page, "05-execution-completed")
    # the console showed what the API says
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {_idp_token(stack, 'DRSOperator')}"
    ex = s.get(f"{stack['apiUrl']}/executions/{execution_id}", timeout=60).json()
    assert ex["planId"] == plan["planId"] and ex["status"] == "COMPLETED"
    assert ex["serverCounts"]["launched"] == 7
    # an operator may not terminate the recovery instances: the button is not there
    expect(page.get_by_role("button", name="Terminate instances")).to_have_count(0)
    page.close()

    # a recovery manager may: terminate, and the page follows the clean-up until it is verified
    page = browser.new_page()
    _sign_in(page, stack, "DRSRecoveryManager")
    page.goto(f"{stack['consoleUrl']}#/executions/{execution_id}")
    page.get_by_role("button", name="Terminate instances").click()
    expect(page.get_by_test_id("termination-status")).to_have_text("COMPLETED", timeout=90_000)
    expect(page.get_by_text("7 of 7")).to_be_visible()
    _shot(page, "06-execution-terminated")
    page.close()


def test_read_only_user_sees_no_write_actions(stack: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(stack["consoleUrl"])
    page.get_by_label("Email").fill(stack["users"]["DRSReadOnly"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("NotAuthorizedException")).to_be_visible()
    _shot(page, "00-sign-in-refused")
    _sign_in(page, stack, "DRSReadOnly")
    _open(page, stack, "plans")
    page.get_by_role("link", name="Order system").click()
    expect(page.get_by_test_id("effective-order")).to_be_visible()
    for name in ("Dry run", "Start drill", "Start recovery"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    _shot(page, "07-plan-read-only")
    _open(page, stack, "executions")
    expect(page.get_by_role("link", name="Order system")).to_have_count(1)
    _shot(page, "08-executions-read-only")
    page.get_by_role("link", name="Order system").first.click()
    expect(page.get_by_test_id("execution-status")).to_be_visible()
    for name in ("Pause", "Resume", "Cancel", "Terminate instances"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    page.set_viewport_size({"width": 1920, "height": 1080})
    _shot(page, "09-execution-read-only-1920")
    page.close()


def test_plan_manager_creates_a_tag_group_from_its_preview(stack: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    _sign_in(page, stack, "DRSPlanManager")
    _open(page, stack, "groups")
    page.get_by_role("button", name="Create by tags").click()
    page.get_by_role("textbox", name="Group name").fill("Payments web")
    page.get_by_role("textbox", name="Region").fill("us-west-2")
    page.get_by_role("textbox", name="Tags").fill("Application=Payments, Tier=web")
    page.get_by_role("button", name="Preview servers").click()
    expect(page.get_by_text("3 servers match")).to_be_visible()
    expect(page.get_by_role("table", name="Matched servers")).to_contain_text("web-03.payments.example.internal")
    _shot(page, "10-group-create-preview")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("cell", name="Payments web")).to_be_visible()
    expect(page.get_by_role("row", name="Payments web")).to_contain_text("Application=Payments, Tier=web")
    page.close()
