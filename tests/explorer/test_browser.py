"""The page in a real browser (headless Chromium) against a real server on a free loopback
port, serving a VAE and an inpainting run trained in the test session: it loads without
console errors, a slider re-decodes, a map click shows a reconstruction, the interpolation
strip appears, and the inpainting brush changes the output."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.explorer.browser import (
    chromium_paths,
    element_pixels,
    fresh_profile,
    severe_console_messages,
    start_chromium,
)
from tests.explorer.live import live_server
from tests.explorer.test_api import pixels

browser, driver_path = chromium_paths()
pytestmark = pytest.mark.skipif(
    browser is None or driver_path is None,
    reason="chromium and chromedriver are not installed (apt-get install chromium "
    "chromium-driver; .ci/run installs them)",
)
WAIT = 60


@pytest.fixture(scope="module")
def page(explorer_runs):
    """(driver, base URL) with the page loaded: r0 a VAE, r1 an inpainting model, r2 a DCGAN."""
    from selenium.webdriver.support.ui import WebDriverWait

    profile = fresh_profile()
    runs = (explorer_runs["vae"], explorer_runs["inpainting"], explorer_runs["dcgan"])
    with live_server(*runs) as url:
        driver = start_chromium(profile)
        try:
            driver.get(url + "/")
            wait = WebDriverWait(driver, WAIT)
            wait.until(lambda d: d.execute_script(
                "return document.getElementById('current-image').src.startsWith('blob:')"
                " && document.querySelectorAll('#interp-strip img').length > 0"
                " && state.map !== null"
            ))  # fmt: skip
            yield driver, url
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)


def wait_for_change(driver, element_id, before):
    from selenium.webdriver.support.ui import WebDriverWait

    def changed(d):
        now = element_pixels(d, element_id)
        return now is not None and (before is None or now.shape != before.shape
                                    or np.abs(now - before).max() > 0)  # fmt: skip

    WebDriverWait(driver, WAIT).until(changed)
    return element_pixels(driver, element_id)


def test_page_loads_without_console_errors(page):
    driver, _ = page
    assert driver.title == "latentforge explore"
    assert severe_console_messages(driver) == []
    assert driver.find_element("id", "samples").is_displayed()
    assert not driver.find_element("id", "image-to-image").is_displayed()  # a VAE: no i2i
    assert len(driver.find_elements("css selector", "#sample-grid img")) == 16
    curves = driver.find_elements("css selector", "#curves .curve")
    assert any(c.text.startswith("train/vae/loss: last") for c in curves), [c.text for c in curves]


def test_moving_a_slider_changes_the_decoded_image(page):
    from selenium.webdriver.common.keys import Keys

    driver, _ = page
    before = element_pixels(driver, "current-image")
    slider = driver.find_elements("css selector", "input.latent-slider")[0]
    slider.send_keys(Keys.END)  # the strongest dimension to the top of its range
    after = wait_for_change(driver, "current-image", before)
    assert after.shape == before.shape and np.abs(after - before).max() > 0
    assert severe_console_messages(driver) == []


def test_clicking_a_map_point_loads_its_reconstruction(page):
    import httpx
    from selenium.webdriver.common.action_chains import ActionChains

    driver, url = page
    x, y, width, height = driver.execute_script(
        "const c = document.getElementById('map-canvas'); const r = c.getBoundingClientRect();"
        "const [px, py] = mapScale(state.map, c)(5);"
        "return [px * r.width / c.width, py * r.height / c.height, r.width, r.height];"
    )
    canvas = driver.find_element("id", "map-canvas")
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(x - width / 2), int(y - height / 2)
    ).click().perform()
    shown = wait_for_change(driver, "map-reconstruction", None)
    index = driver.execute_script(
        "const c = document.getElementById('map-canvas'); const r = c.getBoundingClientRect();"
        f"return nearestPoint({{clientX: r.left + {x}, clientY: r.top + {y}}});"
    )
    expected = httpx.get(f"{url}/api/runs/r0/images/{index}/code").json()
    np.testing.assert_allclose(shown[..., 0], pixels(expected["reconstruction"]), atol=1 / 255)
    assert element_pixels(driver, "map-original") is not None


def test_interpolation_strip_appears(page):
    driver, _ = page
    assert len(driver.find_elements("css selector", "#interp-strip img")) == 8
    assert "path ratio" in driver.find_element("id", "smoothness").text


def test_inpainting_brush_changes_the_output(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    driver, _ = page
    before_input = element_pixels(driver, "i2i-canvas")
    Select(driver.find_element("id", "run-select")).select_by_value("r1")
    before = wait_for_change(driver, "i2i-output", None)
    wait_for_change(driver, "i2i-canvas", before_input)
    canvas = driver.find_element("id", "i2i-canvas")
    stroke = ActionChains(driver).move_to_element_with_offset(canvas, -60, -60).click_and_hold()
    stroke.move_by_offset(40, 10).move_by_offset(40, 10).release().perform()
    after = wait_for_change(driver, "i2i-output", before)
    assert after.shape == before.shape and np.abs(after - before).max() > 0
    assert severe_console_messages(driver) == []


def test_a_gan_gets_ganspace_sliders_and_truncation(page):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver, _ = page
    Select(driver.find_element("id", "run-select")).select_by_value("r2")
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element("id", "slider-kind").text.startswith("GANSpace:")
    )
    assert (
        "principal directions of the generator's output"
        in driver.find_element("id", "slider-kind").text
    )
    assert driver.find_element("id", "noise-label").text.startswith("truncation")
    assert not driver.find_element("id", "map").is_displayed()  # no encoder, no map
    assert severe_console_messages(driver) == []
