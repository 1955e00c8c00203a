// latentforge explore: the page. Plain JavaScript, no build step, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { run: null, sliders: null, z: null, a: null, b: null, map: null, pending: null, busy: false };
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function say(text) { $("status").textContent = text || ""; }

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}
const getJSON = async (path) => (await api(path)).json();
const postJSON = async (path, body) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const runPath = (suffix) => `/api/runs/${state.run.id}${suffix}`;
function guard(promise) { return promise.catch((err) => say(err.message)); }

// --- runs -------------------------------------------------------------------------------
async function start() {
  const runs = await getJSON("/api/runs");
  const select = $("run-select");
  for (const run of runs) select.add(new Option(`${run.name} (${run.model_type})`, run.id));
  select.addEventListener("change", () => guard(selectRun(runs.find((r) => r.id === select.value))));
  await selectRun(runs[0]);
  setInterval(() => guard(refreshPanel()), 5000);
}

async function selectRun(run) {
  state.run = run; state.z = null; state.a = null; state.b = null; state.map = null;
  const f = run.features;
  $("run-info").textContent = `${run.model_type}, images ${run.image_shape.join("x")}, ` +
    `capabilities: ${run.capabilities.join(", ")}, checkpoint ${run.checkpoint}`;
  $("samples").hidden = !f.samples; $("sliders").hidden = !f.sliders; $("map").hidden = !f.map;
  $("interpolation").hidden = !f.interpolation; $("image-to-image").hidden = !f.image_to_image;
  const jobs = [refreshPanel()];
  if (f.sliders) jobs.push(loadSliders().then(() => (f.samples ? drawSamples() : null)).then(() => (f.interpolation ? initInterpolation() : null)));
  if (f.map) { setupProjections(run); jobs.push(drawMap()); }
  if (f.image_to_image) jobs.push(setupImageToImage(run));
  await Promise.all(jobs);
  say("");
}

// --- samples ----------------------------------------------------------------------------
function noiseValue() { return parseFloat($("noise").value); }

async function drawSamples() {
  const truncation = state.run.noise_control === "truncation";
  $("noise-label").textContent = truncation ? "truncation (0 = none)" : "temperature";
  const value = noiseValue();
  $("noise-value").textContent = value.toFixed(2);
  const seed = Math.max(0, parseInt($("seed").value || "0", 10));
  const query = truncation ? `truncation=${value}` : `temperature=${Math.max(value, 0.05)}`;
  const data = await getJSON(runPath(`/samples?n=16&seed=${seed}&${query}`));
  const grid = $("sample-grid");
  grid.replaceChildren();
  data.images.forEach((src, i) => {
    const img = new Image();
    img.src = src; img.alt = `sample ${i}`;
    img.addEventListener("click", () => {
      grid.querySelectorAll("img").forEach((el) => el.classList.remove("pinned"));
      img.classList.add("pinned");
      setCode(data.codes[i]);
    });
    grid.append(img);
  });
  return data;
}

// --- sliders ----------------------------------------------------------------------------
async function loadSliders() {
  const s = await getJSON(runPath("/sliders"));
  state.sliders = s;
  $("slider-kind").textContent = `${s.kind}: ${s.description}`;
  const list = $("slider-list");
  list.replaceChildren();
  for (const slider of s.sliders) {
    const row = document.createElement("div");
    row.className = "slider-row";
    const input = document.createElement("input");
    Object.assign(input, { type: "range", min: slider.low, max: slider.high, step: (slider.high - slider.low) / 200 });
    input.className = "latent-slider";
    input.dataset.index = slider.index;
    input.addEventListener("input", () => moveSlider(slider, parseFloat(input.value)));
    const label = document.createElement("span");
    label.textContent = `${s.kind === "GANSpace" ? "pc" : "z"}${slider.index}`;
    label.title = `effect ${slider.effect.toFixed(4)}`;
    row.append(label, input);
    list.append(row);
  }
  await setCode(s.base);
}

function coordinate(slider, z) {
  let c = 0;
  for (let d = 0; d < z.length; d++) c += slider.unmixing[d] * (z[d] - state.sliders.mean[d]);
  return c;
}

function moveSlider(slider, value) {
  const delta = value - coordinate(slider, state.z);
  state.z = state.z.map((v, d) => v + delta * slider.direction[d]);
  requestDecode();
}

async function setCode(z) {
  state.z = z.slice();
  const inputs = $("slider-list").querySelectorAll("input");
  state.sliders.sliders.forEach((slider, i) => { inputs[i].value = coordinate(slider, state.z); });
  await requestDecode();
}

// One decode in flight at a time; moves made meanwhile collapse into the latest code.
async function requestDecode() {
  state.pending = state.z.slice();
  if (state.busy) return;
  state.busy = true;
  try {
    while (state.pending) {
      const z = state.pending; state.pending = null;
      const blob = await (await postJSON(runPath("/decode"), { z })).blob();
      const img = $("current-image");
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(blob);
    }
  } catch (err) { say(err.message); } finally { state.busy = false; }
}

async function randomCode() {
  const seed = Math.floor(Math.random() * 1e9);
  const data = await getJSON(runPath(`/samples?n=1&seed=${seed}`));
  await setCode(data.codes[0]);
}

// --- latent map -------------------------------------------------------------------------
function setupProjections(run) {
  const select = $("projection");
  select.replaceChildren();
  for (const name of run.projections) select.add(new Option(name === "tsne" ? "t-SNE" : name.toUpperCase(), name));
  $("map-note").textContent = run.umap ? "UMAP compiles on its first use (about half a minute)." :
    "UMAP is offered when umap-learn is installed (pip install 'latentforge[umap]').";
}

async function drawMap() {
  const limit = Math.max(2, parseInt($("map-limit").value || "2000", 10));
  const projection = $("projection").value || "pca";
  say("encoding the data for the map...");
  state.map = await getJSON(runPath(`/map?projection=${projection}&limit=${limit}`));
  paintMap();
  say("");
}

function viridis(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function normalised(values) {
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite), hi = Math.max(...finite);
  return values.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5));
}

function pointColours(map) {
  const by = $("colour-by").value;
  if (by === "label" && map.labels) {
    const names = map.class_names || [];
    $("map-legend").replaceChildren(...[...new Set(map.labels)].sort((a, b) => a - b).map((l) => {
      const entry = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.textContent = "\u25A0 ";
      swatch.style.color = PALETTE[l % PALETTE.length];
      entry.append(swatch, `${l}: ${names[l] || l}`);
      return entry;
    }));
    return map.labels.map((l) => PALETTE[l % PALETTE.length]);
  }
  if (by === "anomaly") {
    const t = map.anomaly.threshold;
    const above = map.anomaly.scores.filter((s) => s > t).length;
    $("map-legend").textContent = `red: score above the threshold ${t.toPrecision(4)} (${above} points); ` +
      `others shaded by score. Threshold from ${map.anomaly.source}.`;
    const shade = normalised(map.anomaly.scores);
    return map.anomaly.scores.map((s, i) => (s > t ? "#d62728" : viridis(shade[i] * 0.7)));
  }
  $("map-legend").textContent = by === "label" ? "the data have no labels" :
    "latent rarity: -log of the per-dimension histogram density (yellow = rare)";
  const shade = normalised(map.rarity);
  return shade.map(viridis);
}

function mapScale(map, canvas) {
  const pad = 12;
  const [x0, x1] = [Math.min(...map.x), Math.max(...map.x)], [y0, y1] = [Math.min(...map.y), Math.max(...map.y)];
  const sx = (canvas.width - 2 * pad) / (x1 - x0 || 1), sy = (canvas.height - 2 * pad) / (y1 - y0 || 1);
  return (i) => [pad + (map.x[i] - x0) * sx, canvas.height - pad - (map.y[i] - y0) * sy];
}

function paintMap() {
  const map = state.map, canvas = $("map-canvas"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const colours = pointColours(map), at = mapScale(map, canvas);
  for (let i = 0; i < map.count; i++) {
    const [px, py] = at(i);
    ctx.fillStyle = colours[i];
    ctx.fillRect(px - 2, py - 2, 4, 4);
  }
}

function nearestPoint(event) {
  const map = state.map, canvas = $("map-canvas");
  if (!map) return -1;
  const rect = canvas.getBoundingClientRect();
  const mx = (event.clientX - rect.left) * (canvas.width / rect.width);
  const my = (event.clientY - rect.top) * (canvas.height / rect.height);
  const at = mapScale(map, canvas);
  let best = -1, bestDistance = 100;  // within 10 pixels
  for (let i = 0; i < map.count; i++) {
    const [px, py] = at(i), d = (px - mx) ** 2 + (py - my) ** 2;
    if (d < bestDistance) { best = i; bestDistance = d; }
  }
  return best;
}

function hoverMap(event) {
  const i = nearestPoint(event);
  if (i >= 0) $("map-hover").src = runPath(`/images/${i}.png`);
}

async function clickMap(event) {
  const i = nearestPoint(event);
  if (i < 0) return;
  const data = await getJSON(runPath(`/images/${i}/code`));
  $("map-original").src = data.original;
  $("map-reconstruction").src = data.reconstruction;
  if (state.sliders) await setCode(data.code);
}

// --- interpolation ----------------------------------------------------------------------
async function initInterpolation() {
  const data = await getJSON(runPath("/samples?n=2&seed=1"));
  [state.a, state.b] = data.codes;
  await interpolate();
}

async function interpolate() {
  const steps = Math.min(32, Math.max(2, parseInt($("interp-steps").value || "8", 10)));
  const spherical = $("interp-mode").value === "spherical";
  const data = await (await postJSON(runPath("/interpolate"), { a: state.a, b: state.b, steps, spherical })).json();
  const strip = $("interp-strip");
  strip.replaceChildren(...data.images.map((src, i) => Object.assign(new Image(), { src, alt: `step ${i}` })));
  const s = data.smoothness, fmt = (v) => (v === null ? "n/a" : v.toFixed(3));
  $("smoothness").textContent = `smoothness: mean step ${fmt(s.mean_step)}, path ratio ${fmt(s.path_ratio)} ` +
    `(1 = straight cross-fade), largest step's share ${fmt(s.largest_share)} (even steps: ${(1 / (s.steps - 1)).toFixed(3)})`;
}

// --- image to image ---------------------------------------------------------------------
const i2i = { input: null, mask: null, painting: false, shape: null };

async function setupImageToImage(run) {
  const info = run.image_to_image;
  const inpaint = info.kind === "inpaint";
  $("i2i-title").textContent = { translate: "Translation", upscale: "Super-resolution", inpaint: "Inpainting" }[info.kind];
  $("i2i-hint").textContent = inpaint ? "Paint the hole with the mouse on the input; the output follows." :
    info.kind === "upscale" ? "The input is the data image shrunk by the model's scale, or your upload." : "";
  $("i2i-clear").hidden = !inpaint;
  const select = $("i2i-direction");
  select.replaceChildren(...info.directions.map((d) => new Option(d, d)));
  $("i2i-direction-label").hidden = info.directions.length < 2;
  i2i.mask = null;  // a new run: start from one of its own masks
  await convert({ index: parseInt($("i2i-index").value || "0", 10), fresh: true });
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img); img.onerror = () => reject(new Error("could not show the image"));
    img.src = src;
  });
}

async function convert(source) {
  const body = { ...source, direction: $("i2i-direction").value || "a2b" };
  if (state.run.image_to_image.kind === "inpaint" && i2i.mask && !source.fresh) body.mask = i2i.mask.toDataURL("image/png");
  delete body.fresh;
  const data = await (await postJSON(runPath("/image-to-image"), body)).json();
  i2i.source = source;
  $("i2i-output").src = data.output;
  if (data.target) $("i2i-target").src = data.target; else $("i2i-target").removeAttribute("src");
  $("i2i-target").parentElement.hidden = !data.target;
  const shown = await loadImage(data.input);
  i2i.input = shown;
  if (data.mask) {
    const maskImage = await loadImage(data.mask);
    const mask = document.createElement("canvas");
    mask.width = maskImage.width; mask.height = maskImage.height;
    mask.getContext("2d").drawImage(maskImage, 0, 0);
    i2i.mask = mask;
  }
  drawInput();
}

function drawInput() {
  const canvas = $("i2i-canvas"), ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(i2i.input, 0, 0, canvas.width, canvas.height);  // the hole is shown white
}

function paint(event) {
  if (!i2i.painting || !i2i.mask) return;
  const canvas = $("i2i-canvas"), rect = canvas.getBoundingClientRect();
  const u = (event.clientX - rect.left) / rect.width, v = (event.clientY - rect.top) / rect.height;
  const m = i2i.mask, r = Math.max(1, m.width / 12);
  const mctx = m.getContext("2d");
  mctx.fillStyle = "#fff";
  mctx.beginPath(); mctx.arc(u * m.width, v * m.height, r, 0, 2 * Math.PI); mctx.fill();
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.beginPath(); ctx.arc(u * canvas.width, v * canvas.height, r * canvas.width / m.width, 0, 2 * Math.PI); ctx.fill();
}

async function uploadFile(file) {
  const text = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result); reader.onerror = () => reject(new Error("could not read the file"));
    reader.readAsDataURL(file);
  });
  await convert({ image: text, fresh: true });
}

// --- the run panel ----------------------------------------------------------------------
function curveSvg(name, points) {
  const w = 220, h = 80;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const line = points.map((p) => `${((p[0] - x0) / (x1 - x0 || 1) * w).toFixed(1)},${(h - (p[1] - y0) / (y1 - y0 || 1) * h).toFixed(1)}`).join(" ");
  const div = document.createElement("div");
  div.className = "curve";
  div.innerHTML = `<svg viewBox="-2 -2 ${w + 4} ${h + 4}" preserveAspectRatio="none"><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${line}"/></svg>`;
  const caption = document.createElement("div");
  caption.textContent = `${name}: last ${ys[ys.length - 1].toPrecision(4)} (${y0.toPrecision(3)}..${y1.toPrecision(3)})`;
  div.append(caption);
  return div;
}

async function refreshPanel() {
  if (!state.run) return;
  const panel = await getJSON(runPath("/panel"));
  $("run-step").textContent = `checkpoint ${panel.checkpoint}, last logged step ${panel.step ?? "none"}` +
    (panel.reloaded ? " (new checkpoint loaded)" : "") + "; refreshed every 5 s";
  const names = Object.keys(panel.curves).sort();
  $("curves").replaceChildren(...names.map((n) => curveSvg(n, panel.curves[n])));
  $("warnings").replaceChildren(...(panel.warnings.length ? panel.warnings : [{ message: "none" }]).map((w) => {
    const li = document.createElement("li");
    li.textContent = w.kind ? `${w.kind} at step ${w.step}: ${w.message || ""}` : w.message;
    return li;
  }));
  $("config").textContent = JSON.stringify(panel.config, null, 2);
  if (panel.reloaded) {
    state.run = await getJSON(runPath(""));
    if (state.run.features.sliders) await loadSliders();
    if (state.run.features.map) await drawMap();
  }
}

// --- wiring -----------------------------------------------------------------------------
$("resample").addEventListener("click", () => guard(drawSamples()));
$("seed").addEventListener("change", () => guard(drawSamples()));
$("noise").addEventListener("change", () => guard(drawSamples()));
$("noise").addEventListener("input", () => { $("noise-value").textContent = noiseValue().toFixed(2); });
$("reset").addEventListener("click", () => guard(setCode(state.sliders.base)));
$("random").addEventListener("click", () => guard(randomCode()));
$("map-draw").addEventListener("click", () => guard(drawMap()));
$("projection").addEventListener("change", () => guard(drawMap()));
$("colour-by").addEventListener("change", () => state.map && paintMap());
$("map-canvas").addEventListener("mousemove", hoverMap);
$("map-canvas").addEventListener("click", (e) => guard(clickMap(e)));
$("set-a").addEventListener("click", () => { state.a = state.z.slice(); guard(interpolate()); });
$("set-b").addEventListener("click", () => { state.b = state.z.slice(); guard(interpolate()); });
$("interpolate").addEventListener("click", () => guard(interpolate()));
$("interp-mode").addEventListener("change", () => guard(interpolate()));
$("i2i-load").addEventListener("click", () => guard(convert({ index: parseInt($("i2i-index").value || "0", 10), fresh: true })));
$("i2i-direction").addEventListener("change", () => guard(convert({ index: parseInt($("i2i-index").value || "0", 10), fresh: true })));
$("i2i-upload").addEventListener("change", (e) => e.target.files[0] && guard(uploadFile(e.target.files[0])));
$("i2i-clear").addEventListener("click", () => {
  if (!i2i.mask) return;
  i2i.mask.getContext("2d").clearRect(0, 0, i2i.mask.width, i2i.mask.height);
  guard(convert({ index: parseInt($("i2i-index").value || "0", 10), fresh: true }));
});
const inputCanvas = $("i2i-canvas");
inputCanvas.addEventListener("mousedown", (e) => { i2i.painting = true; paint(e); });
inputCanvas.addEventListener("mousemove", paint);
window.addEventListener("mouseup", () => {
  if (!i2i.painting) return;
  i2i.painting = false;
  guard(convert(i2i.source && i2i.source.image ? { image: i2i.source.image } : { index: parseInt($("i2i-index").value || "0", 10) }));
});
guard(start());
