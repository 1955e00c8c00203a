"""A real server on loopback survives a few hundred malformed and random requests: each gets a
status below 500 with a JSON message, and afterwards the server still answers correctly."""

from __future__ import annotations

import json
import random

import httpx
import numpy as np

from tests.explorer.live import live_server
from tests.explorer.test_api import pixels

REQUESTS = 300
PATHS = [
    "/api/runs/{run}",
    "/api/runs/{run}/sliders",
    "/api/runs/{run}/samples",
    "/api/runs/{run}/decode",
    "/api/runs/{run}/interpolate",
    "/api/runs/{run}/map",
    "/api/runs/{run}/images/{index}.png",
    "/api/runs/{run}/images/{index}/code",
    "/api/runs/{run}/image-to-image",
    "/api/runs/{run}/panel",
    "/api/runs/{run}/../../etc/passwd",
    "/static/../../{run}",
    "/{junk}",
]
RUNS = ["r0", "r1", "r7", "", "..", "%2e%2e", "r0;ls", "x" * 300]
INDICES = ["0", "-1", "99999999999999999999", "abc", "1.5", "%00", "3"]
QUERIES = [
    "",
    "?n=0",
    "?n=100000",
    "?seed=-5",
    "?temperature=nan",
    "?temperature=0",
    "?truncation=-1",
    "?projection=umapx",
    "?limit=1",
    "?limit=abc",
    "?n=3&seed=2",
]


def random_body(rng: random.Random) -> bytes:
    choices = [
        lambda: rng.randbytes(rng.randrange(0, 200)),
        lambda: b'{"z": [NaN, 1]}',
        lambda: b'{"z": "abc"}',
        lambda: json.dumps(
            {"z": [rng.uniform(-1e6, 1e6) for _ in range(rng.randrange(0, 9))]}
        ).encode(),  # noqa: E501
        lambda: json.dumps(
            {"a": [0.1] * 4, "b": [0.2] * 4, "steps": rng.randrange(-3, 80)}
        ).encode(),  # noqa: E501
        lambda: json.dumps({"index": rng.randrange(-5, 10**6), "direction": "zz"}).encode(),
        lambda: json.dumps({"image": "data:image/png;base64,!!!", "mask": 5}).encode(),
        lambda: json.dumps([[[]]]).encode(),
        lambda: b"{" * 5000,
        lambda: b"",
    ]
    return rng.choice(choices)()


def fire(client: httpx.Client, rng: random.Random) -> list[int]:
    """Send :data:`REQUESTS` random requests; each must get < 500 and a JSON message."""
    statuses = []
    for _ in range(REQUESTS):
        path = rng.choice(PATHS).format(
            run=rng.choice(RUNS), index=rng.choice(INDICES), junk=rng.choice(RUNS)
        ) + rng.choice(QUERIES)
        method = rng.choice(["GET", "POST", "POST", "PUT", "DELETE"])
        body = random_body(rng) if method in ("POST", "PUT") else None
        headers = {"content-type": rng.choice(["application/json", "text/plain"])}
        response = client.request(method, path, content=body, headers=headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, path, body, response.text)
        if response.status_code >= 400:
            assert isinstance(response.json()["error"], str), (path, response.text)
    return statuses


def test_server_survives_malformed_requests(explorer_runs):
    with (
        live_server(explorer_runs["vae"], explorer_runs["inpainting"]) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        statuses = fire(client, random.Random(0))
        assert sum(s >= 400 for s in statuses) > REQUESTS // 2  # mostly malformed indeed
        # still answering correctly: a decode equals the sample drawn with the same code
        samples = client.get("/api/runs/r0/samples?n=1&seed=4").json()
        png = client.post("/api/runs/r0/decode", json={"z": samples["codes"][0]})
        assert png.status_code == 200
        np.testing.assert_array_equal(pixels(png.content), pixels(samples["images"][0]))
