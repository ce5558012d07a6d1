"""The review page in a real browser (Chromium through Playwright): keys and mouse as a person uses them,
a killed server restarted, and OUT holding every decision once. Saves a screenshot of the page to
/tmp/review_page.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import review_fixtures as F

from spacy_progner.review.decisions import read_reviewed

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium browser at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENSHOT = Path("/tmp/review_page.png")


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def drag(page, first: str, last: str) -> None:
    """Press on the word `first` and release on `last`, as a person selects words."""
    page.locator("#text .tok", has_text=first).first.hover()
    page.mouse.down()
    page.locator("#text .tok", has_text=last).first.hover()
    page.mouse.up()


def test_review_in_a_browser_survives_a_killed_server(browser, tmp_path):
    expect = sync_api.expect
    corpus = F.write_corpus(tmp_path / "corpus.jsonl", F.corpus())
    out = tmp_path / "out.jsonl"
    server = F.Server(corpus, out)
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 620})
        page.goto(server.url)
        text = page.locator("#text")
        expect(text).to_contain_text("Kastor Hall")  # t1, the least certain, first
        expect(page.locator("#priority")).to_contain_text("2 disagreements with the cross-check")
        page.screenshot(path=str(SCREENSHOT))
        page.keyboard.press("2")  # the selected entity (Velden, ORG) retyped LOC
        expect(page.locator("mark.entity.selected .label")).to_have_text("LOC")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")  # Sunday, a student proposal
        page.keyboard.press("x")
        expect(page.locator("mark.entity")).to_have_count(2)
        page.keyboard.press("Enter")
        expect(text).to_contain_text("Quillfeather")  # t4
        drag(page, "Quillfeather", "Quillfeather")
        page.keyboard.press("3")  # ORG
        expect(page.locator("mark.entity", has_text="Quillfeather")).to_contain_text("ORG")
        page.keyboard.press("a")
        expect(text).to_contain_text("Jonas Pell")  # t2
        expect(page.locator("#progress")).to_contain_text("2 / 5 reviewed")
        server.kill()
    finally:
        server.stop()
    assert [row["id"] for row in F.log_lines(out)] == ["t1", "t4"]

    server = F.Server(corpus, out)
    try:
        page.goto(server.url)
        expect(page.locator("#progress")).to_contain_text("2 reviewed earlier")
        expect(text).to_contain_text("Jonas Pell")  # resumed after the last reviewed text
        page.keyboard.press("Enter")
        expect(text).to_contain_text("Mira Olsen")  # t0
        page.keyboard.press("Enter")
        expect(text).to_contain_text("quiet harbour")  # t3
        drag(page, "quiet", "harbour")
        page.keyboard.press("2")
        expect(page.locator("mark.entity")).to_contain_text("quiet harbour")
        page.keyboard.press("u")  # undo the addition (in the page)
        expect(page.locator("mark.entity")).to_have_count(0)
        drag(page, "harbour", "harbour")
        page.keyboard.press("2")
        page.keyboard.press("Enter")
        expect(text).to_contain_text("All texts of this session are reviewed")
    finally:
        server.stop()
    lines = F.log_lines(out)
    assert sorted(row["id"] for row in lines) == ["t0", "t1", "t2", "t3", "t4"]  # every decision, once
    final = {row["id"]: row for row in read_reviewed(out)}
    assert [(e["text"], e["label"]) for e in final["t1"]["entities"]] == [("Velden", "LOC"), ("Kastor Hall", "PER")]
    assert (final["t1"]["retypes"], final["t1"]["removals"], final["t1"]["accepts"]) == (1, 1, 1)
    assert ("Quillfeather", "ORG") in [(e["text"], e["label"]) for e in final["t4"]["entities"]]
    assert final["t4"]["additions"] == 1
    assert [(e["text"], e["label"]) for e in final["t3"]["entities"]] == [("harbour", "LOC")]
    assert final["t2"]["accepts"] == 2 and final["t2"]["additions"] == final["t2"]["removals"] == 0
