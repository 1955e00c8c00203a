"""Screenshots of the explorer's page for the docs, taken in headless Chromium.

    python docs/scripts/explorer_screenshots.py --vae runs/demo --gan runs/dcgan \
        --inpainting runs/inpainting --out docs/images

Starts the explorer on a free loopback port, drives the page as a person would (pin a sample,
move a slider, click a map point, paint a hole) and saves ``explorer-*.png``. Uses the
Chromium helpers of the browser tests (``tests/explorer/browser.py``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.explorer.browser import fresh_profile, start_chromium  # noqa: E402

from latentforge.explorer.server import load_runs, serving_in_thread  # noqa: E402


def wait_for(driver, script: str, timeout: float = 300.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def click_map_point(driver, index: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    x, y, w, h = driver.execute_script(
        "const c = document.getElementById('map-canvas'); const r = c.getBoundingClientRect();"
        f"const [px, py] = mapScale(state.map, c)({index});"
        "return [px * r.width / c.width, py * r.height / c.height, r.width, r.height];"
    )
    canvas = driver.find_element("id", "map-canvas")
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(x - w / 2), int(y - h / 2)
    ).click().perform()


def shoot(driver, element_id: str | None, path: Path) -> None:
    time.sleep(1.0)
    if element_id is None:
        driver.save_screenshot(str(path))
    else:
        driver.find_element("id", element_id).screenshot(str(path))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vae", type=Path, required=True, help="a VAE run (make demo's)")
    parser.add_argument("--gan", type=Path, required=True, help="a GAN run")
    parser.add_argument("--inpainting", type=Path, required=True, help="an inpainting run")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    runs = load_runs([args.vae, args.gan, args.inpainting], None, None, "cpu")
    profile = fresh_profile()
    with serving_in_thread(runs) as url:
        driver = start_chromium(profile)
        try:
            driver.set_window_size(1400, 1500)
            driver.get(url + "/")
            wait_for(driver, "return state.map !== null && "
                     "document.querySelectorAll('#interp-strip img').length > 0")  # fmt: skip
            driver.find_elements("css selector", "#sample-grid img")[3].click()
            for _ in range(12):
                driver.find_elements("css selector", "input.latent-slider")[0].send_keys(
                    Keys.ARROW_RIGHT
                )
            click_map_point(driver, 7)
            wait_for(driver, "return document.getElementById('map-reconstruction').src !== ''")
            shoot(driver, None, args.out / "explorer-vae.png")
            Select(driver.find_element("id", "colour-by")).select_by_value("anomaly")
            shoot(driver, "map", args.out / "explorer-map-anomaly.png")

            Select(driver.find_element("id", "run-select")).select_by_value("r1")
            wait_for(driver, "return state.sliders && state.sliders.kind === 'GANSpace'")
            wait_for(driver, "return document.querySelectorAll('#sample-grid img').length > 0")
            driver.find_elements("css selector", "#sample-grid img")[2].click()
            shoot(driver, "sliders", args.out / "explorer-gan-sliders.png")

            Select(driver.find_element("id", "run-select")).select_by_value("r2")
            wait_for(driver, "return document.getElementById('i2i-output').src.startsWith('data:')")
            canvas = driver.find_element("id", "i2i-canvas")
            stroke = ActionChains(driver).move_to_element_with_offset(canvas, -50, 10)
            stroke.click_and_hold().move_by_offset(50, 0).move_by_offset(40, 0).release().perform()
            shoot(driver, "image-to-image", args.out / "explorer-inpainting.png")
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
