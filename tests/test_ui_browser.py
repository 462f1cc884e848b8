"""The Dagster UI as an operator sees it, in the same real headless Chromium as the status
reports (Debian's chromium and chromedriver): the dagster webserver on the shared pipeline
run's home, a model's checks page. Missing chromium or chromedriver fails (conftest.browser).

The screenshot is written under the test's folder (`pytest -rP tests/test_ui_browser.py`
prints the path)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not answer {url} in {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_a_models_row_rules_are_one_check_that_lists_them_in_the_dagster_ui(generated_run, browser, tmp_path):
    """Each model's rules are one dbt test and so one asset check (`row_rules_<model>`): the
    UI's checks page of a model shows it, passed after the shared run, with every rule (its
    unique key too) listed in its description."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, home = generated_run
    port = _free_port()
    log = tmp_path / "webserver.log"
    env = {**os.environ, "DAGSTER_HOME": str(home / "dagster"), "HELHEDSDATA_HOME": str(home),
           "HELHEDSDATA_PSEUDONYM_KEY": TEST_KEY}
    webserver = Path(sys.executable).parent / "dagster-webserver"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(webserver), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/server_info", proc, log)
        browser.set_window_size(1400, 1100)  # the UI's three columns side by side
        browser.get(f"{base}/assets/intermediate/int_generate_periods?view=checks")

        def page_text(driver):
            for skip in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
                skip.click()  # Dagster's one-time community dialog covers the page
            return driver.find_element(By.TAG_NAME, "body").text

        WebDriverWait(browser, 60).until(lambda d: "period_end is not before period_start" in page_text(d))
        text = page_text(browser)
        assert "row_rules_int_generate_periods" in text
        assert "Rules (failures = rows breaking a rule" in text
        for rule in ("calendar_end is not null", "period_complete is not null",
                     "period_type is null or one of: month, quarter, year",
                     "period_days = datediff('day', period_start, period_end) + 1",
                     "(period_type, period_start) is unique"):
            assert rule in text, rule
        assert "Checks (1)" in text  # its unique key is one of its rules, not a check of its own
        assert "Passed" in text or "Succeeded" in text
        shot = tmp_path / "dagster_ui_row_rules.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot: {shot}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
