"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium."""

from __future__ import annotations

import base64
import io
import shutil
import tempfile

import numpy as np
from PIL import Image

CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1100",
)


def chromium_paths() -> tuple[str | None, str | None]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    return browser, shutil.which("chromedriver")


def start_chromium(profile: str):
    """A headless Chromium with a fresh profile folder and the browser log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def fresh_profile() -> str:
    return tempfile.mkdtemp(prefix="explorer-chromium-")


# Reads an <img> or <canvas> back as a PNG data URL (same origin, so the canvas is clean).
READ_PIXELS = """
const el = document.getElementById(arguments[0]);
if (el.tagName === 'CANVAS') return el.toDataURL('image/png');
if (!el.complete || !el.naturalWidth) return null;
const c = document.createElement('canvas');
c.width = el.naturalWidth; c.height = el.naturalHeight;
c.getContext('2d').drawImage(el, 0, 0);
return c.toDataURL('image/png');
"""


def element_pixels(driver, element_id: str) -> np.ndarray | None:
    """The pixels shown by an ``<img>`` or ``<canvas>`` as a float array (H, W, 4) in [0, 1]."""
    url = driver.execute_script(READ_PIXELS, element_id)
    if url is None:
        return None
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0


def severe_console_messages(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
