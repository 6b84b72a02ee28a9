"""app.py in a real browser (Playwright + Debian's Chromium, headless): upload, and the microphone path.

Screenshots go to $WHO_ARTIFACTS_DIR (default tests/artifacts/) for people to look at.
"""

import io
from pathlib import Path

import numpy as np
import pytest

from tests.app_server import running_app
from tests.synthetic import write_audio
from tests.tiny_model import species_cry, trained_tiny_model

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def app_url():
    with running_app(trained_tiny_model()) as url:
        yield url


def _launch(playwright, *extra_args):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args])


def _sprite_png() -> bytes:
    """A stand-in sprite, served in place of the real URL (tests never go online)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((18, 26, 78, 86), fill=(240, 128, 48, 255), outline=(90, 40, 10, 255), width=3)
    draw.ellipse((34, 42, 44, 52), fill=(20, 20, 20, 255))
    draw.ellipse((52, 42, 62, 52), fill=(20, 20, 20, 255))
    draw.polygon([(60, 20), (70, 4), (76, 24)], fill=(255, 200, 40, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _answer(page) -> str:
    page.wait_for_selector("#who-card .who-name, #who-card .who-not-sure", timeout=30_000)
    page.wait_for_function("!document.querySelector('#who-label .pending')", timeout=30_000)
    return page.inner_text("#who-card").replace("\u00a0", " ")


def test_upload_submit_read_the_label(app_url, artifacts, tmp_path):
    from playwright.sync_api import sync_playwright

    cry = write_audio(tmp_path / "charmander.ogg", species_cry("Charmander", 1.5, 44100, seed=21), 44100, channels=2)
    sprite = _sprite_png()
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        page = browser.new_page(viewport=DESKTOP)
        page.route("https://raw.githubusercontent.com/**", lambda route: route.fulfill(body=sprite, content_type="image/png"))
        page.goto(app_url)
        page.wait_for_selector("#who-go")

        page.click("#who-go")  # nothing recorded yet: a helpful error, not a crash
        page.get_by_text("No recording yet").first.wait_for(timeout=15_000)
        page.locator(".toast-close").first.click()

        page.click("#who-audio button[aria-label='Upload file']")
        page.set_input_files("#who-audio input[type=file]", str(cry))
        page.wait_for_selector("#who-audio [data-testid='audio-player-Cry']", state="attached", timeout=15_000)
        page.click("#who-go")
        card = _answer(page)
        assert "Charmander" in card and "#0004" in card and "Fire" in card and "Generation I" in card and "Confidence" in card
        assert "Charmander" in page.inner_text("#who-label")
        assert page.eval_on_selector("#who-card img", "img => img.complete && img.naturalWidth") == 96
        page.screenshot(path=str(artifacts / "upload.png"), full_page=True)

        page.locator("#who-language input").click()
        page.get_by_role("option", name="Français").click()
        page.wait_for_function("document.querySelector('#who-card').innerText.includes('Salamèche')", timeout=15_000)
        assert "Salamèche" in page.inner_text("#who-label")

        noise = write_audio(tmp_path / "noise.wav", 0.1 * np.random.default_rng(0).standard_normal(3 * 16_000).astype(np.float32))
        page.locator("#who-audio button[aria-label='Clear']").first.click()
        page.click("#who-audio button[aria-label='Upload file']")
        page.set_input_files("#who-audio input[type=file]", str(noise))
        page.wait_for_selector("#who-audio [data-testid='audio-player-Cry']", state="attached", timeout=15_000)
        page.click("#who-go")
        page.wait_for_selector("#who-card .who-not-sure", timeout=30_000)
        assert "Not sure — try again closer to the speaker" in page.inner_text("#who-card")
        page.screenshot(path=str(artifacts / "not-sure.png"), full_page=True)

        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "upload-phone.png"), full_page=True)
        browser.close()


def test_microphone_record_stop_submit(app_url, artifacts, tmp_path):
    import soundfile as sf
    from playwright.sync_api import sync_playwright

    rate = 48_000
    gap = np.zeros(rate // 2, np.float32)
    sf.write(tmp_path / "mic.wav", np.concatenate([gap, species_cry("Squirtle", 1.5, rate, seed=3), gap]), rate, subtype="PCM_16")
    fake_mic = [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={tmp_path / 'mic.wav'}",
    ]
    with sync_playwright() as playwright:
        browser = _launch(playwright, *fake_mic)
        context = browser.new_context(viewport=PHONE, permissions=["microphone"])
        page = context.new_page()
        page.goto(app_url)  # the sprite URL is not routed: offline, the answer must not wait for it
        page.wait_for_selector("#who-audio button.record-button")
        page.click("#who-audio button.record-button")
        page.wait_for_timeout(2_600)
        page.click("#who-audio button.stop-button")
        page.wait_for_selector("#who-audio [data-testid='audio-player-Cry']", state="attached", timeout=15_000)
        page.click("#who-go")
        card = _answer(page)
        assert "Squirtle" in card and "#0007" in card and "Water" in card
        assert "Squirtle" in page.inner_text("#who-label")
        page.screenshot(path=str(artifacts / "microphone.png"), full_page=True)
        browser.close()
