"""The explorer's HTTP API and page: ``create_app(runs)``.

Every route names a run by the id it was given at start (``r0``, ``r1``, ...), never by a
path: the server reads only the runs named on the command line. Images travel as PNG
(``/decode``) or PNG data URLs inside JSON. Inference routes are plain functions, which
FastAPI runs in its thread pool, so slow work never blocks other requests.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Annotated

import torch
from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from latentforge.apps.interpolation import decode_walks, smoothness
from latentforge.errors import ConfigError, DataError
from latentforge.explorer import image_to_image
from latentforge.explorer.errors import BodyLimit, add_error_handlers
from latentforge.explorer.images import (
    bytes_from_data_url,
    data_url,
    data_urls,
    decode_upload,
    png_bytes,
    resize,
)
from latentforge.explorer.latent_map import (
    check_projection,
    first_images,
    fitted_detector,
    latent_map,
)
from latentforge.explorer.run_panel import run_panel
from latentforge.explorer.sampling import sample_codes
from latentforge.explorer.session import ExploredRun
from latentforge.explorer.sliders import sliders_for
from latentforge.models.capabilities import Decodes, Encodes

MAX_LATENT = 4096
MAX_CODE_VALUE = 1e4
MAX_DATA_URL = 3 * 1024 * 1024
Finite = Annotated[float, Field(allow_inf_nan=False)]
Code = Annotated[list[Finite], Field(min_length=1, max_length=MAX_LATENT)]


class DecodeRequest(BaseModel):
    z: Code


class InterpolateRequest(BaseModel):
    a: Code
    b: Code
    steps: int = Field(8, ge=2, le=32)
    spherical: bool = False


class ImageToImageRequest(BaseModel):
    index: int | None = Field(None, ge=0)
    image: str | None = Field(None, max_length=MAX_DATA_URL)
    mask: str | None = Field(None, max_length=MAX_DATA_URL)
    direction: str = Field("a2b", max_length=16)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def static_dir():
    return resources.files("latentforge.explorer") / "static"


def create_app(runs: list[ExploredRun]) -> FastAPI:
    """The application serving ``runs`` (already loaded) and the page."""
    by_id = {run.id: run for run in runs}
    app = FastAPI(title="latentforge explore", docs_url=None, redoc_url=None, openapi_url=None)
    add_error_handlers(app)
    app.add_middleware(BodyLimit)
    static = static_dir()
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    def get_run(run_id: str) -> ExploredRun:
        if run_id not in by_id:
            raise HTTPException(404, f"no run {run_id!r}; the runs are {', '.join(by_id)}")
        return by_id[run_id]

    def decoder(run: ExploredRun) -> Decodes:
        if not isinstance(run.model, Decodes):
            raise ConfigError(f"a {run.model.model_type} model does not decode latent codes")
        return run.model

    def encoder(run: ExploredRun) -> Encodes:
        if not isinstance(run.model, Encodes):
            raise ConfigError(
                f"a {run.model.model_type} model has no encoder: the latent map and "
                "reconstructions need an ae, vae or dbvae run"
            )
        return run.model

    def code_tensor(model: Decodes, values: list[float], what: str = "z") -> torch.Tensor:
        if len(values) != model.latent_dim:
            raise DataError(
                f"{what} has {len(values)} values, the model's codes have {model.latent_dim}"
            )
        if max(abs(v) for v in values) > MAX_CODE_VALUE:
            raise DataError(f"{what} has values beyond +-{MAX_CODE_VALUE:g}; send a usable code")
        return torch.tensor(values, dtype=torch.float32, device=model.device)[None]

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(static / "index.html"), media_type="text/html")

    @app.get("/api/runs")
    def list_runs() -> list[dict]:
        return [run.describe() for run in runs]

    @app.get("/api/runs/{run_id}")
    def describe(run_id: str) -> dict:
        return get_run(run_id).describe()

    @app.get("/api/runs/{run_id}/panel")
    def panel(run_id: str) -> dict:
        run = get_run(run_id)
        reloaded = run.refresh()
        return {**run_panel(run.path, run.checkpoint), "reloaded": reloaded}

    @app.get("/api/runs/{run_id}/sliders")
    def sliders(run_id: str) -> dict:
        run = get_run(run_id)
        model = decoder(run)
        with torch.no_grad():
            return run.cached("sliders", lambda: sliders_for(model)).to_dict()

    @app.get("/api/runs/{run_id}/samples")
    def samples(
        run_id: str,
        n: int = Query(16, ge=1, le=64),
        seed: int = Query(0, ge=0, le=2**31 - 1),
        temperature: float = Query(1.0, gt=0, le=10),
        truncation: float = Query(0.0, ge=0, le=10),
    ) -> dict:
        model = decoder(get_run(run_id))
        with torch.no_grad():
            codes = sample_codes(model, n, seed, temperature, truncation)
            images = model.decode(codes).clamp(0, 1)
        return {"codes": codes.cpu().tolist(), "images": data_urls(images)}

    @app.post("/api/runs/{run_id}/decode")
    def decode(run_id: str, request: DecodeRequest) -> Response:
        model = decoder(get_run(run_id))
        with torch.no_grad():
            image = model.decode(code_tensor(model, request.z))[0]
        return Response(png_bytes(image), media_type="image/png")

    @app.post("/api/runs/{run_id}/interpolate")
    def interpolate(run_id: str, request: InterpolateRequest) -> dict:
        model = decoder(get_run(run_id))
        a, b = code_tensor(model, request.a, "a"), code_tensor(model, request.b, "b")
        frames = decode_walks(model, a, b, request.steps, request.spherical)  # (1, S, C, H, W)
        measure = smoothness(frames).to_dict()
        return {
            "images": data_urls(frames[0]),
            "smoothness": {k: (v if math.isfinite(v) else None) for k, v in measure.items()},
        }

    @app.get("/api/runs/{run_id}/map")
    def latent_space_map(
        run_id: str,
        projection: str = Query("pca", max_length=16),
        limit: int = Query(2000, ge=2, le=20000),
    ) -> dict:
        run = get_run(run_id)
        model = encoder(run)

        check_projection(projection, min(limit, len(run.split())))

        def compute():
            images = first_images(run.split(), limit)
            detector, source = fitted_detector(model, run.detector(), run.bundle().train)
            return latent_map(model, images, projection, detector, source)

        result = run.cached(("map", projection, limit), compute)
        return result.to_dict(projection, run.bundle().class_names)

    @app.get("/api/runs/{run_id}/images/{index}.png")
    def data_image(run_id: str, index: int) -> Response:
        run = get_run(run_id)
        image = run.image(index)
        if image_to_image.is_image_to_image(run.model):
            image = image_to_image.from_data(run.model, image).input
        return Response(png_bytes(image[0]), media_type="image/png")

    @app.get("/api/runs/{run_id}/images/{index}/code")
    def image_code(run_id: str, index: int) -> dict:
        run = get_run(run_id)
        model = encoder(run)
        image = run.image(index).to(model.device)
        with torch.no_grad():
            code = model.encode(image)
            reconstruction = model.decode(code).clamp(0, 1)
        return {
            "index": index,
            "code": code[0].cpu().tolist(),
            "original": data_url(image[0]),
            "reconstruction": data_url(reconstruction[0]),
        }

    @app.post("/api/runs/{run_id}/image-to-image")
    def convert(run_id: str, request: ImageToImageRequest) -> dict:
        run = get_run(run_id)
        model = run.model
        if not image_to_image.is_image_to_image(model):
            raise ConfigError(f"a {model.model_type} model does not map images to images")
        image_to_image.check_direction(model, request.direction)
        shape = image_to_image.input_shape(model, request.direction)
        target = None
        if request.image is not None:
            upload = decode_upload(bytes_from_data_url(request.image), shape[0])
            image = resize(upload, shape[1:])
        elif request.index is not None:
            example = image_to_image.from_data(model, run.image(request.index), request.direction)
            image, target = example.input, example.target
        else:
            raise DataError("give an image: a data index or an uploaded image")
        mask = None
        if image_to_image.kind(model) == "inpaint":
            if request.mask is not None:
                painted = decode_upload(bytes_from_data_url(request.mask, "mask"), 1, "mask")
                mask = (resize(painted, shape[1:], nearest=True) > 0.5).float()
            else:
                generator = torch.Generator(device=model.device).manual_seed(request.seed)
                mask = model.masks(1, generator).float().cpu()
        output = image_to_image.apply(model, image, request.direction, mask).cpu()
        shown = image if mask is None else image_to_image.show_hole(image, mask)
        return {
            "input": data_url(shown[0]),
            "output": data_url(output[0]),
            "target": None if target is None else data_url(target[0]),
            "mask": None if mask is None else data_url(mask[0]),
        }

    return app
