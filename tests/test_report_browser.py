"""The status reports as a reader sees them: opened in a real headless Chromium (Debian's
chromium and chromedriver, driven by Selenium; never a downloaded browser or driver). No console
error, every chart drawn (its marks are in the rendered page), `x` where the published table
withholds a figure, Danish number formats, a screenshot and an A4 PDF print written under the
test's folder (the path is printed: `pytest -rP tests/test_report_browser.py`).

Missing chromium or chromedriver FAILS these tests (`make test` installs them): a browser test
that skips proves nothing."""
from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest

from report.build import build
from tests.conftest import query
from tests.report_helpers import (CPR_SHAPE, ISHOEJ, PSEUDONYM_SHAPE, SOENDERBORG, cells, plans,
                                  small_person_counts, soenderborg_publication)

ENGLISH_NUMBER = re.compile(r"\b\d+\.\d+\s?%|\b\d{1,3},\d{3}\b(?!,)")
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm


def read_as_a_reader(driver, html_path: Path, out: Path) -> dict:
    """Open a report, check what a reader sees, write its screenshot and A4 print; return what was seen."""
    from selenium.webdriver.common.by import By

    driver.get_log("browser")  # drop what an earlier page logged
    driver.get(html_path.resolve().as_uri())
    source = html_path.read_text(encoding="utf-8")
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == source.count('class="chart"')
    for chart in charts:
        marks = chart.find_elements(By.CSS_SELECTOR, 'g[id^="series-"] path, g[id^="series-"] use')
        assert marks, f"chart {chart.get_attribute('data-chart')} has no marks"
        assert chart.size["width"] > 300 and chart.size["height"] > 100, chart.size
        drawn = driver.execute_script(
            "const g = arguments[0].querySelector('g[id^=\"series-\"]'); const b = g.getBBox(); return b.width * b.height;",
            chart)
        assert drawn > 0, f"chart {chart.get_attribute('data-chart')}: its series has no extent on the page"
    withheld = driver.find_elements(By.CSS_SELECTOR, "a.withheld")
    assert all(w.text == "x" for w in withheld)
    text = driver.find_element(By.TAG_NAME, "body").text
    assert not ENGLISH_NUMBER.search(text), ENGLISH_NUMBER.search(text).group(0)
    # the whole page, as a picture, and the print on A4
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1000, height + 50)
    screenshot = out / f"{html_path.stem}.png"
    assert driver.save_screenshot(str(screenshot))
    driver.set_window_size(1000, 1400)
    pdf = base64.b64decode(driver.print_page(_a4()))
    pdf_path = out / f"{html_path.stem}.pdf"
    pdf_path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    boxes = [tuple(float(v) for v in m.decode().split()[2:4]) for m in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
    assert boxes and all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in boxes), boxes
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"{html_path.name}: screenshot {screenshot}, A4 print {pdf_path} ({pages} pages)")
    return {"charts": len(charts), "withheld": len(withheld), "text": text, "pages": pages}


def _a4():
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    options.background = True
    return options


@pytest.mark.slow  # a browser of its own
def test_hand_made_reports_in_chromium(browser, tmp_path):
    pub = soenderborg_publication(tmp_path / "publication.duckdb")
    out = tmp_path / "reports"
    build(pub, plans(), out)
    seen = read_as_a_reader(browser, out / f"{SOENDERBORG}.html", tmp_path)
    assert seen["charts"] == 4 + 2  # the four measurable indicators outside the activities, two målgruppe charts
    assert seen["withheld"] == 7
    for danish in ("19,14 %", "1.740", "28.02.2021", "85,00 %"):
        assert danish in seen["text"], danish
    ishoej = read_as_a_reader(browser, out / f"{ISHOEJ}.html", tmp_path)
    assert ishoej["charts"] == 0 and "ingen tal for planen" in ishoej["text"]
    index = read_as_a_reader(browser, out / "index.html", tmp_path)
    assert "Status pr. 01.03.2021" in index["text"]


@pytest.mark.slow
def test_the_reports_the_pipeline_wrote_read_in_chromium(generated_run, browser, tmp_path):
    """After the run's publication the asset `status_reports` wrote both shipped plans' reports
    (a Sønderborg inbox: the Ishøj plan says its area is not covered)."""
    _, home = generated_run
    reports = home / "reports"
    assert sorted(p.name for p in reports.glob("*.html")) == sorted(["index.html", f"{ISHOEJ}.html", f"{SOENDERBORG}.html"])
    published = home / "publication.duckdb"
    assert (reports / f"{SOENDERBORG}.html").stat().st_mtime >= published.stat().st_mtime
    html = (reports / f"{SOENDERBORG}.html").read_text(encoding="utf-8")
    as_of = query(published, "SELECT max(as_of_date) FROM published.maalgruppe_status")[0][0]
    # every withheld cell of the målgruppe table (afdelinger, helhedsplan) and of the activities shows x
    withheld_status = query(published, """SELECT count(*) FROM published.maalgruppe_status WHERE as_of_date = ?
        AND suppressed AND area_level IN ('afdeling', 'helhedsplan')""", [as_of])[0][0]
    latest_year = query(published, """SELECT count(*) FROM published.indicator_values WHERE plan_id = ? AND suppressed
        AND period_type = 'year' AND indicator_id IN ('deltagere', 'selvforsoergende_efter', 'i_uddannelse_efter',
        'afslutningsstatus', 'maalgruppe_ved_start') AND year(period_start) IN (
            SELECT max(year(period_start)) FROM published.indicator_values WHERE period_type = 'year'
            AND period_end <= (SELECT max(momentum_extract_date) FROM published.publication_log WHERE status = 'published'))""",
                        [SOENDERBORG])[0][0]
    latest_values = query(published, """SELECT count(*) FROM (SELECT suppressed, row_number() OVER (PARTITION BY
        delmaal_id, indicator_id, variant, area_id ORDER BY period_end DESC) AS n FROM published.indicator_values
        WHERE plan_id = ? AND indicator_id NOT IN ('deltagere', 'selvforsoergende_efter', 'i_uddannelse_efter',
        'afslutningsstatus', 'maalgruppe_ved_start')) WHERE n = 1 AND suppressed""", [SOENDERBORG])[0][0]
    assert cells(html).withheld == withheld_status + latest_year + latest_values
    assert small_person_counts(html) == []
    seen = read_as_a_reader(browser, reports / f"{SOENDERBORG}.html", tmp_path)
    assert seen["withheld"] == cells(html).withheld
    assert seen["charts"] >= 5 and f"Målgrupper {as_of:%d.%m.%Y}" in seen["text"]
    ishoej = read_as_a_reader(browser, reports / f"{ISHOEJ}.html", tmp_path)
    assert "ingen tal for planen" in ishoej["text"] and "kommune 540" in ishoej["text"]
    read_as_a_reader(browser, reports / "index.html", tmp_path)
    # no CPR number and no pseudonym of the run's persons anywhere in a report
    keys = {str(k) for (k,) in query(home / "warehouse.duckdb", "SELECT DISTINCT person_key FROM raw.momentum__maalgruppe")}
    assert len(keys) > 1000
    for path in reports.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not CPR_SHAPE.search(text) and not PSEUDONYM_SHAPE.search(text), path.name
        found = set(re.findall(r"-?\d{12,}", text)) & keys
        assert not found, path.name
