"""The web console end to end in a real browser (Playwright driving Debian's chromium) against a
local stack of the test's own. A plan manager creates three tag groups (live preview) and a 3-wave
plan with a pause before wave 3 in the wave editor, and validates it; an operator dry-runs it,
starts a drill, watches the live page reach PAUSED, resumes it and sees COMPLETED; a recovery
manager terminates the recovery instances, sees the clean-up verified in the run report, and opens
history, accounts and settings; a read-only user sees the same pages with no write action. Every
page is screenshotted into tests/console/output/ (1280x800) and scanned by axe-core: no serious or
critical violation."""

from __future__ import annotations

import json
import re
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
SPOKE = "111111111111"  # the fleet's second account (Inventory, CustomerPortal)


def _idp_token(state: dict[str, Any], role: str) -> str:
    import boto3

    idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=state["motoUrl"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    out = idp.initiate_auth(ClientId=state["clientId"], AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": state["users"][role], "PASSWORD": PASSWORD})
    return str(out["AuthenticationResult"]["IdToken"])


def _api(state: dict[str, Any], role: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {_idp_token(state, role)}"
    return s


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not DIST.is_file():
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "console", check=True)
    with own_stack_process(tmp_path_factory.mktemp("console-stack"), speed=150) as state:
        yield state


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # two shared cores: a page may take more than the default 5 s
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
    """A full-page screenshot, and an axe-core scan of the page: no serious or critical violation.
    Animations are run to their end first: an alert caught while it fades in looked disabled."""
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True, animations="disabled")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    (OUTPUT / f"{name}.axe.json").write_text(json.dumps(result, indent=1))
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def _dashboard_loaded(page: Any) -> None:
    """The dashboard once its lists have been read: each count shown, nothing loading."""
    from playwright.sync_api import expect

    for title in ("Active executions", "Recent executions"):
        expect(page.get_by_role("heading", name=re.compile(rf"^{title} \(\d+\)"))).to_be_visible()
    expect(page.get_by_role("table", name="DRS capacity").get_by_role("row")).not_to_have_count(1)  # rows, not the header only
    expect(page.get_by_text(re.compile("^Loading"))).to_have_count(0)


def _create_tag_group(page: Any, name: str, tags: str, matched: int, shot: str | None = None) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Create group").first.click()  # the header's (an empty list offers one too)
    page.get_by_role("textbox", name="Group name").fill(name)
    page.get_by_role("textbox", name="Tags").fill(tags)
    expect(page.get_by_text(f"{matched} servers match")).to_be_visible()  # the live preview, no button
    if shot:
        _shot(page, shot)
        # the other way to choose servers: the picker over the region's source servers
        page.get_by_text("By explicit servers").click()
        picker = page.get_by_role("table", name="Source servers")
        expect(picker).to_contain_text("STALLED")
        expect(picker).to_contain_text("Order db")  # owned by the first group: shown, not selectable
        _shot(page, "03-group-server-picker")
        page.get_by_text("By tags", exact=True).click()
        expect(page.get_by_text(f"{matched} servers match")).to_be_visible()
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def _fill_wave(page: Any, n: int, name: str, group: str) -> None:
    wave = page.get_by_test_id(f"wave-editor-{n}")
    wave.get_by_role("textbox", name=f"Wave {n} name").fill(name)
    missing = wave.get_by_text("choose at least one protection group")
    for _ in range(3):  # a dropdown re-rendered under the click (the group list refetched) is opened again
        wave.get_by_role("button", name=re.compile(f"Wave {n} protection groups")).click()
        wave.get_by_role("option", name=re.compile(group)).click()
        page.keyboard.press("Escape")
        try:
            missing.wait_for(state="detached", timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again
            continue
    pytest.fail(f"wave {n}: {group} could not be chosen")


def test_plan_manager_builds_groups_and_a_plan_in_the_editor(stack: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSPlanManager")
    # nothing yet: each list says what to do next, with the action that does it
    _open(page, stack, "plans")
    empty = page.get_by_test_id("empty-state")
    expect(empty).to_contain_text("No recovery plans")
    expect(empty.get_by_role("link", name="Create plan")).to_be_visible()
    expect(page.get_by_role("heading", name="Recovery plans (0)")).to_be_visible()
    _shot(page, "01b-plans-empty")
    _open(page, stack, "groups")
    expect(page.get_by_test_id("empty-state").get_by_role("button", name="Create group")).to_be_visible()
    _create_tag_group(page, "Order db", "Application=OrderSystem, Tier=db", 2)
    _create_tag_group(page, "Order app", "Application=OrderSystem, Tier=app", 3, shot="02-group-create-tags-preview")
    _create_tag_group(page, "Order web", "Application=OrderSystem, Tier=web", 3)
    expect(page.get_by_role("row", name=re.compile("Order web"))).to_contain_text("Application=OrderSystem, Tier=web")
    _shot(page, "04-protection-groups")
    page.get_by_role("link", name="Order app", exact=True).click()
    expect(page.get_by_role("table", name="Launch-settings status by server").get_by_role("row")).to_have_count(4)
    _shot(page, "05-group-launch-settings")

    _open(page, stack, "plans")
    page.get_by_role("link", name="Create plan").first.click()
    page.get_by_role("textbox", name="Plan name").fill("Order system")
    for n, (name, group) in enumerate((("db", "Order db"), ("app", "Order app"), ("web", "Order web")), start=1):
        if n > 1:
            page.get_by_role("button", name="Add wave").click()
        _fill_wave(page, n, name, group)
    page.get_by_test_id("wave-editor-3").get_by_text("Pause before wave 3").click()
    _shot(page, "06-plan-wave-editor")
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_test_id("effective-order")).to_contain_text("Step 3: wave 3")
    expect(page.get_by_test_id("wave-node")).to_have_count(3)
    expect(page.get_by_test_id("wave-pause")).to_have_count(1)
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_test_id("lint-valid")).to_have_text("OK")
    expect(page.get_by_test_id("wave-finding").first).to_contain_text("REPLICATION_UNHEALTHY")  # app-03, at wave 2
    _shot(page, "07-plan-graph-validated")
    page.close()


def test_operator_dry_runs_and_drills_the_plan_to_completion_and_it_is_cleaned_up(stack: dict[str, Any], browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSOperator")
    expect(page.get_by_role("button", name=stack["users"]["DRSOperator"])).to_be_visible()
    _dashboard_loaded(page)
    _shot(page, "01-dashboard-operator")

    _open(page, stack, "plans")
    page.get_by_role("link", name="Order system", exact=True).click()
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_test_id("dry-run-would-start")).to_have_text("yes")
    expect(page.get_by_test_id("dry-run-duration")).not_to_have_text("-")
    _shot(page, "08-plan-dry-run")

    page.get_by_role("button", name="Start drill").click()
    page.wait_for_url("**/#/executions/*")
    execution_id = page.url.rsplit("/", 1)[-1]
    status = page.get_by_test_id("execution-status")
    expect(status).to_have_text("PAUSED", timeout=90_000)
    _shot(page, "09-execution-paused")
    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text("COMPLETED", timeout=90_000)
    expect(page.get_by_test_id("timeline-bar")).to_have_count(3)
    page.get_by_role("button", name="Job logs").click()
    page.get_by_role("table", name="Job log events").get_by_role("row").nth(3).wait_for()
    _shot(page, "10-execution-completed")
    ex = _api(stack, "DRSOperator").get(f"{stack['apiUrl']}/executions/{execution_id}", timeout=60).json()
    assert ex["status"] == "COMPLETED" and ex["serverCounts"]["launched"] == 8
    expect(page.get_by_role("button", name="Terminate instances")).to_have_count(0)  # an operator may not
    page.close()

    # a recovery manager terminates; the page follows the clean-up until it is verified
    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSRecoveryManager")
    page.goto(f"{stack['consoleUrl']}#/executions/{execution_id}")
    page.get_by_role("button", name="Terminate instances").click()
    expect(page.get_by_test_id("termination-status")).to_have_text("COMPLETED", timeout=90_000)
    expect(page.get_by_text("8 of 8")).to_be_visible()
    _shot(page, "11-execution-terminated")
    page.get_by_role("link", name="Run report").click()
    expect(page.get_by_test_id("report-status")).to_have_text("COMPLETED")
    expect(page.get_by_test_id("report-cleanup")).to_have_text("COMPLETED")
    expect(page.get_by_test_id("report-waves").get_by_role("row")).to_have_count(4)
    _shot(page, "12-run-report")

    _open(page, stack, "executions")
    table = page.get_by_role("table", name="Executions")
    expect(table.get_by_role("link", name="Order system", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Type").click()
    page.get_by_role("option", name="RECOVERY").click()
    expect(table.get_by_role("link", name="Order system", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Type").click()
    page.get_by_role("option", name="DRILL").click()
    table.get_by_role("checkbox", name=re.compile("select Order system")).check()
    expect(page.get_by_role("button", name="Delete 1")).to_be_enabled()
    _shot(page, "13-history")

    _api(stack, "DRSOrchestrationAdmin").post(f"{stack['apiUrl']}/accounts/targets", timeout=60, json={
        "accountId": SPOKE, "accountName": "Inventory", "roleArn": f"arn:aws:iam::{SPOKE}:role/drs-orch-spoke"})
    _open(page, stack, "accounts")
    inventory = page.get_by_role("table", name="Target accounts").get_by_role("row", name=re.compile("Inventory"))
    expect(inventory).to_contain_text("Never")  # not validated yet
    page.get_by_role("radio", name="select Inventory").check()
    # the spoke's role does not exist on the local stack: its capacity says why it is unknown
    usage = page.get_by_role("table", name=f"Capacity by account of {SPOKE}")
    expect(usage).to_contain_text("Cannot be reached")
    expect(page.get_by_text(re.compile(rf"^Capacity of {SPOKE} and its staging accounts UNREACHABLE$"))).to_be_visible()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("table", name=f"Checks of {SPOKE}")).to_contain_text("assumeRole")
    expect(inventory).to_contain_text("FAILED")  # the list shows the validation just made
    expect(page.get_by_role("table", name="DRS capacity")).to_contain_text("UNREACHABLE")  # listed, not left out
    # the all-accounts list names it, and leaves the reason to its capacity above (said once on the page)
    expect(page.get_by_test_id("capacity-unanswered")).to_contain_text("Inventory")
    expect(page.get_by_test_id("capacity-unanswered")).to_contain_text("why is shown above")
    assert page.locator("body").inner_text().count("STS refused to let the hub assume") == 2  # validation, capacity
    _shot(page, "14-accounts")

    _open(page, stack, "settings")
    page.get_by_role("button", name="Run tag sync now").click()
    expect(page.get_by_test_id("tag-sync-last")).to_contain_text("servers")
    expect(page.get_by_test_id("tag-sync-errors")).to_contain_text(SPOKE)  # partial: which account, and why
    _shot(page, "15-settings")
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
    # the executions cannot be read: the dashboard says so where the counts would be, never "0"
    page.route(re.compile(r"/executions(\?|$)"), lambda route: route.fulfill(
        status=503, content_type="application/json", body=json.dumps({"error": "SERVICE_UNAVAILABLE", "message": "the table is not reachable"})))
    page.reload()
    expect(page.get_by_role("table", name="Active executions")).to_contain_text("Could not load the executions", timeout=30_000)
    expect(page.get_by_role("heading", name="Active executions", exact=True)).to_be_visible()  # no count
    expect(page.get_by_text("SERVICE_UNAVAILABLE")).to_be_visible()
    expect(page.get_by_role("table", name="DRS capacity").get_by_role("row")).not_to_have_count(1)
    _shot(page, "19-dashboard-executions-unreadable")
    page.unroute(re.compile(r"/executions(\?|$)"))
    writes = re.compile(r"^(Create group|Create plan|Edit waves|Edit|Dry run|Start drill|Start recovery|Pause|Resume|Cancel|"
                        r"Terminate instances|Delete.*|Re-apply launch settings|Resolve again|Edit launch settings|Run tag sync now|"
                        r"Edit schedule|Export configuration|Import|Validate account)$")

    def no_writes() -> None:
        expect(page.get_by_role("button", name=writes)).to_have_count(0)

    _open(page, stack, "groups")
    page.get_by_role("link", name="Order web", exact=True).click()
    expect(page.get_by_role("table", name="Launch-settings status by server")).to_be_visible()
    no_writes()
    _open(page, stack, "plans")
    page.get_by_role("link", name="Order system", exact=True).click()
    expect(page.get_by_test_id("effective-order")).to_be_visible()
    no_writes()
    _shot(page, "16-plan-read-only")
    _open(page, stack, "executions")
    expect(page.get_by_role("link", name="Order system", exact=True)).to_have_count(1)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    no_writes()
    _shot(page, "17-history-read-only")
    page.get_by_role("link", name="Order system", exact=True).first.click()
    expect(page.get_by_test_id("execution-status")).to_be_visible()
    no_writes()
    page.set_viewport_size({"width": 1920, "height": 1080})
    _shot(page, "18-execution-read-only-1920")
    _open(page, stack, "settings")
    expect(page.get_by_test_id("tag-sync-schedule")).to_be_visible()
    no_writes()
    page.close()


_IN_VIEW = """el => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right > window.innerWidth) return false;
  for (let p = el.parentElement; p; p = p.parentElement) {
    if (!/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) continue;
    const box = p.getBoundingClientRect();
    if (r.left < box.left - 1 || r.right > box.right + 1) return false;  // cut off by a scrolled or clipped box
  }
  return true;
}"""


def _navigation_open(page: Any) -> None:
    """The side navigation open (the layout may have closed it while the page was being laid out)."""
    from playwright.sync_api import expect

    history = page.get_by_role("link", name="History", exact=True)
    if not history.is_visible():
        page.get_by_role("button", name="Open navigation").click()
    expect(history).to_be_visible()
    expect(history).to_be_in_viewport()


def _in_view(locator: Any) -> bool:
    """The element is fully in the width of the window and of every box that scrolls or clips it."""
    return bool(locator.evaluate(_IN_VIEW))


def test_a_failed_server_s_reason_and_the_run_report_are_in_view_at_1280(stack: dict[str, Any], browser: Any) -> None:
    """The drill of the plan again, with db-01's launch failing (an emulator fault): at 1280 px with the
    navigation open the failure reason is in view without scrolling sideways, and so is History's report link."""
    from playwright.sync_api import expect

    api = _api(stack, "DRSOperator")
    groups = api.get(f"{stack['apiUrl']}/protection-groups", timeout=60).json()["groups"]
    db = next(g for g in groups if g["groupName"] == "Order db")
    server_id = api.get(f"{stack['apiUrl']}/protection-groups/{db['groupId']}", timeout=60).json()["sourceServerIds"][0]
    reason = "the EC2 launch was refused: InsufficientInstanceCapacity for r5.2xlarge in us-east-1a"
    requests.post(f"{stack['drsUrl']}/_emulator/faults", timeout=60,
                  json={"kind": "launch_failure", "serverId": server_id, "count": 1, "reason": reason}).raise_for_status()
    plans = api.get(f"{stack['apiUrl']}/recovery-plans", timeout=60).json()["recoveryPlans"]
    plan = next(p for p in plans if p["planName"] == "Order system")
    started = api.post(f"{stack['apiUrl']}/recovery-plans/{plan['planId']}/execute", timeout=60, json={"executionType": "DRILL"})
    assert started.status_code in (200, 202), started.text
    execution_id = started.json()["executionId"]

    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSOperator")
    page.goto(f"{stack['consoleUrl']}#/executions/{execution_id}")
    failure = page.get_by_test_id("failure-reason")
    expect(failure).to_contain_text("InsufficientInstanceCapacity", timeout=90_000)
    _navigation_open(page)
    header = page.get_by_role("table", name="Servers of wave 1").get_by_role("columnheader", name="Failure reason")
    assert _in_view(header) and _in_view(failure), "the failure reason is cut off at 1280 px"
    _shot(page, "20-execution-failed-server-1280")

    _open(page, stack, "executions")
    report = page.get_by_role("link", name=re.compile("^Run report of Order system"))
    expect(report).not_to_have_count(0, timeout=60_000)
    _navigation_open(page)
    expect(report.first).to_be_visible()
    assert _in_view(report.first), "History's Run report column is cut off at 1280 px"
    _shot(page, "21-history-1280")
    page.close()


def test_hundreds_of_source_servers_page_and_filter_in_the_server_picker(stack: dict[str, Any], browser: Any) -> None:
    """300 more servers in the hub's us-west-2 (the emulator's seed): the picker pages through them 10 at
    a time and its filter finds one; the page stays usable."""
    from playwright.sync_api import expect

    fleet = {"accounts": [{"accountId": "123456789012", "regions": [{"region": "us-west-2", "servers": [
        {"hostname": "batch-{n:03d}.example.internal", "count": 300, "tags": {"Application": "Batch", "Tier": "app"}}]}]}]}
    requests.post(f"{stack['drsUrl']}/_emulator/seed", json=fleet, timeout=300).raise_for_status()

    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSPlanManager")
    _open(page, stack, "groups")
    page.get_by_role("button", name="Create group").first.click()
    page.get_by_role("textbox", name="Region").fill("us-west-2")
    page.get_by_text("By explicit servers").click()
    picker = page.get_by_role("table", name="Source servers")
    expect(page.get_by_role("heading", name=re.compile(r"^Source servers in us-west-2 \(0 selected of 306\)"))).to_be_visible(timeout=60_000)
    rows = picker.get_by_role("row")
    expect(rows).to_have_count(11)  # the header and a page of 10
    expect(rows.nth(3)).to_contain_text("batch-001.example.internal")  # by name: app-01, app-02 (Payments), batch-001
    first = rows.nth(1).inner_text()
    page.get_by_role("dialog", name="Create a protection group").get_by_role("button", name="Next page").click()
    expect(rows.nth(1)).not_to_have_text(first)
    expect(rows).to_have_count(11)
    _shot(page, "22-server-picker-300-servers")
    page.get_by_role("searchbox", name="Find servers").fill("batch-257")
    expect(page.get_by_text("1 match", exact=True).first).to_be_visible()
    expect(rows).to_have_count(2)
    picker.get_by_role("checkbox", name="select batch-257.example.internal").check()
    expect(page.get_by_role("heading", name=re.compile(r"^Source servers in us-west-2 \(1 selected of 306\)"))).to_be_visible()
    _shot(page, "23-server-picker-filtered")
    page.close()


def test_a_large_wave_under_way_pages_its_servers(stack: dict[str, Any], browser: Any) -> None:
    """A drill of 600 servers in one wave (6 DRS jobs, the sixth queued behind DRS's 500 servers in
    jobs), 100 of them launching in seconds and 500 slowly: mid-launch the execution page gives the
    wave's counts and jobs, and its servers 50 a page from the wave's own listing (the execution's
    details hold at most 500 servers); the next page reads on."""
    from playwright.sync_api import expect

    region = "ca-central-1"
    fleet = {"accounts": [{"accountId": "123456789012", "regions": [{"region": region, "servers": [
        {"hostname": "quick-{n:03d}.example.internal", "count": 100, "tags": {"Application": "Estate"},
         "launch": {"durationSeconds": 300}},
        {"hostname": "slow-{n:03d}.example.internal", "count": 500, "tags": {"Application": "Estate"},
         "launch": {"durationSeconds": 90_000}}]}]}]}
    requests.post(f"{stack['drsUrl']}/_emulator/seed", json=fleet, timeout=300).raise_for_status()
    manager = _api(stack, "DRSPlanManager")
    made = manager.post(f"{stack['apiUrl']}/protection-groups", timeout=120, json={
        "groupName": "Estate", "region": region, "serverSelectionTags": {"Application": "Estate"}})
    assert made.status_code == 201, made.text
    assert len(made.json()["sourceServerIds"]) == 600
    plan = manager.post(f"{stack['apiUrl']}/recovery-plans", timeout=60, json={"planName": "Estate", "waves": [
        {"waveNumber": 1, "waveName": "everything", "protectionGroupIds": [made.json()["groupId"]]}]})
    assert plan.status_code == 201, plan.text
    operator = _api(stack, "DRSOperator")
    started = operator.post(f"{stack['apiUrl']}/executions", timeout=120, json={
        "planId": plan.json()["planId"], "executionType": "DRILL", "pollIntervalSeconds": 30})
    assert started.status_code == 202, started.text
    execution_id = started.json()["executionId"]

    page = browser.new_page()
    page.on("pageerror", lambda e: pytest.fail(f"console error: {e}"))
    _sign_in(page, stack, "DRSOperator")
    page.goto(f"{stack['consoleUrl']}#/executions/{execution_id}")
    expect(page.get_by_test_id("execution-status")).to_have_text("RUNNING", timeout=90_000)
    expect(page.get_by_text("600 servers, 50 a page")).to_be_visible(timeout=60_000)
    # the sixth job says why it has not started
    expect(page.get_by_text(re.compile(r"Jobs: .*not started: waiting for DRS capacity in 123456789012 / ca-central-1: "
                                       r"500 of 500 servers are in active jobs; this job needs 100"))).to_be_visible(timeout=60_000)
    table = page.get_by_role("table", name="Servers of wave 1")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(51)  # the header and a page of 50
    expect(table).to_contain_text("LAUNCHING", timeout=60_000)
    expect(table).to_contain_text("LAUNCHED", timeout=90_000)  # quick servers on this page have launched
    # ... and the counts above say so: the page is read again only after the execution is
    expect(page.get_by_text(re.compile(r"^[1-9]\d* launched, \d+ launching, 100 pending"))).to_be_visible()
    body = operator.get(f"{stack['apiUrl']}/executions/{execution_id}", timeout=60).json()
    assert body["serversIncluded"] <= 500 < body["serversTotal"] == 600, body["serversIncluded"]
    assert body["waves"][0]["serversTruncated"] is True and body["waves"][0]["status"] == "LAUNCHING"
    assert 0 < body["serverCounts"].get("launched", 0) < 600
    assert [j["status"] for j in body["waves"][0]["jobs"]].count("QUEUED") == 1
    _shot(page, "24-large-wave-under-way")
    first = rows.nth(1).inner_text()
    page.get_by_role("button", name="Next page").first.click()
    expect(rows.nth(1)).not_to_have_text(first)
    expect(rows).to_have_count(51)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("execution-status")).to_have_text(re.compile("CANCELLING|CANCELLED"), timeout=60_000)
    page.close()
