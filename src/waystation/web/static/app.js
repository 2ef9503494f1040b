// waystation explorer: edits a scenario object and asks the server to run it.
// The model lives on the server (the Python package); this page only draws.
"use strict";

const OUTCOMES = ["victory", "costly_non_failure", "failure"];
const OUTCOME_LABELS = { victory: "victory", costly_non_failure: "costly non-failure", failure: "failure" };
// The Okabe-Ito palette, safe for colour-blind readers (the report's, waystation.plots);
// series also differ by dash, so colour is never the only cue.
const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
const OUTCOME_COLOURS = { victory: "#009E73", costly_non_failure: "#E69F00", failure: "#D55E00", non_failure: "#0072B2" };
const DASHES = ["solid", "dot", "dashdot", "longdash", "dash", "longdashdot"];
const ACTOR_PARAMS = ["frontier", "safety_range", "safety_researchers", "capability_researchers", "compute_scale"];
// A short pause after an edit before running it: a newer edit stops older work on the
// server (same channel), so the first estimate need not wait for the slider to rest.
const DEBOUNCE_MS = 30;  // still more than a frame (16 ms): a drag's events run as one
// This tab's channels: a newer request on a channel stops the older one in its worker.
const TAB = Math.random().toString(36).slice(2, 10);
const CHANNEL = { run: `${TAB}/run`, levers: `${TAB}/levers`, compare: `${TAB}/compare` };
const UPLOAD = "__upload__";

const state = {
  registry: null, params: {}, levers: {}, strategies: {}, definitions: {},
  scenario: null, seq: 0, charts: 0, timer: null, controller: null, uploadName: null,
  base: null,          // the scenario as shipped or uploaded: the baseline of every edit
  baseName: null,      // the shipped scenario's name (null for an upload)
  setBy: { strategy: "", levers: {} },  // which levers the chosen strategy's rules set
  presets: null,       // the problem profile at its 5th/50th/95th percentiles
  selected: null,      // the control whose explanation is shown
  leverSeq: 0,         // the latest "Value the levers" request
};
window.lastRequest = null;  // the body of the latest POST /api/run (tests replay it)
window.lastResult = null;
window.runCount = 0;  // full results drawn so far
window.previewCount = 0;  // first estimates drawn so far
// What happened when (performance.now() ms): {seq, stage: "edit" | "preliminary" | "final", t,
// worlds, marked: whether the results were marked preliminary once drawn}.
window.runEvents = [];

function logEvent(seq, stage, worlds) {
  window.runEvents.push({ seq, stage, t: performance.now(), worlds, marked: !$("stage").hidden });
  if (window.runEvents.length > 200) window.runEvents.shift();
}

// Worlds of the server's first estimate (0: none).
function previewWorlds() { return (state.registry && state.registry.limits.preview_worlds) || 0; }

const $ = (id) => document.getElementById(id);

function clone(x) { return JSON.parse(JSON.stringify(x)); }

async function api(path, body, signal) {
  const init = body === undefined ? { signal } : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal,
  };
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (e) { data = { errors: [{ path: "", line: null, message: `bad response (${response.status})` }] }; }
  return { ok: response.ok, status: response.status, data };
}

function setStatus(kind, text) {
  document.body.dataset.state = kind;
  $("status").textContent = text;
  $("status").className = kind;
}

// ---------- errors ----------------------------------------------------------

function idForPath(path) {
  if (!state.scenario || !path) return null;
  let m = path.match(/^actors\[(\d+)\]\.levers\.(\w+)$/);
  if (m) { const a = state.scenario.actors[+m[1]]; return a ? `lever-${a.name}-${m[2]}` : null; }
  m = path.match(/^actors\[(\d+)\]\.(\w+)$/);
  if (m) { const a = state.scenario.actors[+m[1]]; return a ? `actor-${a.name}-${m[2]}` : null; }
  m = path.match(/^levers\.(\w+)$/);
  if (m) return `lever-global-${m[1]}`;
  m = path.match(/^(?:nature|world|time)\.(\w+)$/);
  if (m) return `param-${m[1]}`;
  return null;
}

function clearErrors() {
  const panel = $("errors");
  panel.hidden = true;
  panel.replaceChildren();
  for (const el of document.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

function showErrors(errors, source, title) {
  clearErrors();
  const panel = $("errors");
  const heading = document.createElement("strong");
  heading.textContent = title || "Problems";
  const list = document.createElement("ul");
  for (const e of errors || []) {
    const where = [source && e.line ? `${source}:${e.line}` : (e.line ? `line ${e.line}` : source), e.path]
      .filter(Boolean).join(": ");
    const item = document.createElement("li");
    item.textContent = where ? `${where}: ${e.message}` : e.message;
    list.appendChild(item);
    const id = source ? null : idForPath(e.path);
    const control = id && $(id);
    if (control) {
      control.classList.add("invalid");
      const slot = $(`${id}-error`);
      if (slot) slot.textContent = e.message;
    }
  }
  panel.append(heading, list);
  panel.hidden = false;
}

// ---------- controls --------------------------------------------------------

// One line of the registry of meanings (waystation.definitions, served by the API).
function define(key) {
  const d = state.definitions[key];
  return d ? d.text : "";
}

// Hover text of every element marked data-define="key [key ...]".
function applyDefinitions(root = document) {
  for (const el of root.querySelectorAll("[data-define]")) {
    el.title = el.dataset.define.split(/\s+/).map(define).filter(Boolean).join("\n");
  }
}

function tooltip(entry) {
  const [lo, hi] = entry.bounds;
  return `${define(entry.name) || entry.meaning}\n[bounds ${lo} to ${hi}; default ${entry.default}]\nSource: ${entry.source}`;
}

function parseValue(text) {
  const t = String(text).trim();
  if (t === "") return undefined;
  if (/^[-+]?(\d|\.\d)[\d.eE+-]*$/.test(t) && Number.isFinite(Number(t))) return Number(t);
  if (t.startsWith("{")) { try { return JSON.parse(t); } catch (e) { return t; } }
  return t;
}

function showValue(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Whether a registry entry's default is illustrative rather than a published figure.
function illustrative(entry) { return /^illustrative/i.test(entry.source || ""); }

// A range input moves only by dragging its thumb or by keys: a click on its track
// explains the control instead of jumping the value to where the track was clicked.
function guardTrack(input, onTrack) {
  const offThumb = (x) => {
    const box = input.getBoundingClientRect();
    const thumb = 8;  // half the thumb's width in Chromium and Firefox, px
    const lo = Number(input.min), hi = Number(input.max);
    const share = hi > lo ? (Number(input.value) - lo) / (hi - lo) : 0;
    const centre = box.left + thumb + share * (box.width - 2 * thumb);
    return Math.abs(x - centre) > thumb + 4;
  };
  input.addEventListener("mousedown", (e) => {
    if (offThumb(e.clientX)) { e.preventDefault(); input.focus(); onTrack(); }
  });
  input.addEventListener("touchstart", (e) => {
    if (e.touches.length === 1 && offThumb(e.touches[0].clientX)) { e.preventDefault(); onTrack(); }
  }, { passive: false });
}

function control(id, name, entry, value, kind, onChange) {
  const wrap = document.createElement("div");
  wrap.className = "control";
  wrap.dataset.name = entry.name;
  wrap.title = tooltip(entry);
  const show = () => explain(wrap, entry);
  wrap.addEventListener("focusin", (e) => { if (e.target.tagName !== "BUTTON") show(); });
  const label = document.createElement("label");
  label.htmlFor = id;
  label.innerHTML = `<span class="name"></span> <span class="unit"></span>`;
  label.querySelector(".name").textContent = name;
  label.querySelector(".unit").textContent = entry.unit;
  label.addEventListener("click", show);
  const info = document.createElement("button");
  info.type = "button";
  info.className = "info";
  info.textContent = "i";
  info.setAttribute("aria-label", `explain ${name}`);
  info.setAttribute("aria-controls", "explain");
  info.addEventListener("click", show);
  const head = document.createElement("div");
  head.className = "head";
  head.append(info, label);
  if (illustrative(entry)) {
    const mark = document.createElement("span");
    mark.className = "illustrative-mark";
    mark.textContent = "illustrative";
    mark.title = "an illustrative value, not a published figure";
    head.append(mark);
  }
  const input = document.createElement("input");
  input.id = id;
  input.title = wrap.title;
  const [lo, hi] = entry.bounds;
  const numeric = typeof value === "number";
  const out = document.createElement("output");
  if (kind === "slider" && numeric) {
    Object.assign(input, { type: "range", min: lo, max: hi, step: (hi - lo) / 100 });
    input.value = value;
    out.textContent = value;
    out.htmlFor = id;
    input.addEventListener("input", () => { out.textContent = input.value; onChange(Number(input.value)); });
    guardTrack(input, show);
  } else if (numeric && kind !== "text") {
    Object.assign(input, { type: "number", min: lo, max: hi, step: "any" });
    input.value = value;
    input.addEventListener("change", () => onChange(parseValue(input.value)));
  } else {
    input.type = "text";
    input.value = showValue(value);
    input.placeholder = showValue(entry.default);
    input.addEventListener("change", () => onChange(parseValue(input.value)));
  }
  const error = document.createElement("div");
  error.className = "field-error";
  error.id = `${id}-error`;
  wrap.append(head, input);
  if (input.type === "range") wrap.append(out);
  wrap.append(error);
  return wrap;
}

function setKey(obj, key, value) {
  if (value === undefined) delete obj[key]; else obj[key] = value;
}

// The empty objects the controls write into, so that a scenario and its
// baseline differ only where the user changed something.
function normalise(sc) {
  sc.levers = sc.levers || {};
  for (const group of ["nature", "world", "time"]) sc[group] = sc[group] || {};
  for (const actor of sc.actors || []) actor.levers = actor.levers || {};
  return sc;
}

function leverControl(id, lever, value, who, onChange) {
  const wrap = control(id, lever.name, lever, value, "slider", onChange);
  const set = (state.setBy.levers[lever.name] || {})[who];
  if (!set) return wrap;
  // The chosen strategy's rules set this lever: show their value and which rule.
  const input = wrap.querySelector("input");
  const out = wrap.querySelector("output");
  const rules = set.rules.map((r) => `${r.value}${r.when ? ` while ${r.when}` : ""} (rule ${r.rule})`).join("; ");
  const note = document.createElement("div");
  note.className = "rule-note";
  wrap.classList.add("set-by-strategy");
  wrap.dataset.setBy = state.setBy.strategy;
  if (set.fallback !== null) {
    // The scenario's own value is never used: show the strategy's value instead.
    input.value = set.fallback;
    input.disabled = true;
    if (out) out.textContent = set.fallback;
    note.textContent = `set by strategy ${state.setBy.strategy}: ${rules}`;
  } else {
    note.textContent = `set by strategy ${state.setBy.strategy}: ${rules}; otherwise the value on this slider`;
  }
  wrap.title = `${note.textContent}\n${wrap.title}`;
  wrap.insertBefore(note, wrap.querySelector(".field-error"));
  return wrap;
}

function buildControls() {
  const sc = normalise(state.scenario);
  const globals = $("global-levers"), actors = $("actor-levers"), params = $("params");
  const keep = state.selected;
  $("controls").append($("explain"));  // out of the containers about to be rebuilt
  globals.replaceChildren(); actors.replaceChildren(); params.replaceChildren();
  const allLevers = Object.values(state.levers);
  const global = document.createElement("fieldset");
  global.innerHTML = "<legend>all actors (global)</legend>";
  for (const lever of allLevers.filter((l) => l.scope === "global")) {
    const value = sc.levers[lever.name] ?? lever.default;
    global.append(leverControl(`lever-global-${lever.name}`, lever, value, "*",
      (v) => { setKey(sc.levers, lever.name, v); scheduleRun(); }));
  }
  globals.append(global);
  sc.actors.forEach((actor, i) => {
    const box = document.createElement("fieldset");
    box.className = "actor";
    box.style.borderColor = COLOURS[i % COLOURS.length];
    const legend = document.createElement("legend");
    legend.textContent = actor.name;
    legend.title = actor.description || "";
    box.append(legend);
    for (const lever of allLevers.filter((l) => l.scope === "actor")) {
      const value = actor.levers[lever.name] ?? sc.levers[lever.name] ?? lever.default;
      box.append(leverControl(`lever-${actor.name}-${lever.name}`, lever, value, actor.name,
        (v) => { setKey(actor.levers, lever.name, v); scheduleRun(); }));
    }
    actors.append(box);
  });
  params.append(presetRow());
  for (const group of ["nature", "world", "time"]) params.append(paramGroup(group));
  params.append(actorParams());
  const again = keep && document.querySelector(`.control[data-name="${keep.name}"] input[id="${keep.id}"]`);
  if (again) explain(again.closest(".control"), keep.entry); else $("explain").hidden = true;
}

// ---------- explaining the selected parameter ------------------------------

function explain(wrap, entry) {
  const panel = $("explain");
  const id = wrap.querySelector("input").id;
  state.selected = { name: entry.name, id, entry };
  const [lo, hi] = entry.bounds;
  const rows = [
    ["definition", (state.definitions[entry.name] || entry).meaning],
    ["unit", entry.unit || "—"],
    ["bounds", `${lo} to ${hi}`],
    [entry.group ? "prior (registry)" : "default", showValue(entry.default)],
    ["source", entry.source],
    ["status", illustrative(entry) ? "illustrative: not a published figure (see the source)" : "calibrated to the source"],
  ];
  if (entry.cost !== undefined) rows.splice(4, 0, ["cost", `${entry.cost} budget units per unit of lever`]);
  const note = wrap.querySelector(".rule-note");
  if (note) rows.push(["strategy", note.textContent]);
  const title = document.createElement("strong");
  title.textContent = entry.name;
  const list = document.createElement("dl");
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v;
    list.append(dt, dd);
  }
  panel.replaceChildren(title, list);
  panel.hidden = false;
  for (const el of document.querySelectorAll(".control.selected")) el.classList.remove("selected");
  wrap.classList.add("selected");
  if (wrap.nextSibling !== panel) wrap.after(panel);
}

// ---------- presets of the problem profile ---------------------------------

function presetRow() {
  const row = document.createElement("div");
  row.className = "row presets";
  const label = document.createElement("span");
  label.textContent = "Problem profile at percentile";
  label.dataset.define = "hardness";
  row.append(label);
  const choices = [["p05", "5th"], ["p50", "50th"], ["p95", "95th"], ["prior", "prior"]];
  for (const [key, text] of choices) {
    const button = document.createElement("button");
    button.type = "button";
    button.id = `preset-${key}`;
    button.textContent = text;
    button.title = key === "prior"
      ? "every nature input back to the scenario's own prior"
      : `every nature input fixed at the ${text} percentile of the scenario's prior (each input on its own; correlations between them dropped)`;
    button.disabled = key !== "prior" && !state.presets;
    button.addEventListener("click", () => applyPreset(key));
    row.append(button);
  }
  return row;
}

function applyPreset(key) {
  const sc = state.scenario;
  if (key === "prior") {
    sc.nature = clone(state.base.nature || {});
    if (state.base.correlations) sc.correlations = clone(state.base.correlations); else delete sc.correlations;
  } else {
    Object.assign(sc.nature, state.presets.presets[key]);
    // Fixed inputs are no longer uncertain, so rank correlations between them lapse.
    const fixed = new Set(state.presets.params);
    const kept = (sc.correlations || []).filter((c) => !c.between.some((n) => fixed.has(n)));
    if (kept.length) sc.correlations = kept; else delete sc.correlations;
  }
  buildControls();
  scheduleRun();
}

async function loadPresets() {
  state.presets = null;
  const r = await api("/api/presets", { scenario: state.base });
  if (r.ok) state.presets = r.data;
  for (const key of ["p05", "p50", "p95"]) { const b = $(`preset-${key}`); if (b) b.disabled = !state.presets; }
}

function paramGroup(group) {
  const sc = state.scenario;
  sc[group] = sc[group] || {};
  const details = document.createElement("details");
  details.open = group === "nature";
  details.innerHTML = `<summary>${group === "nature" ? "nature (the problem profile)" : group}</summary>`;
  for (const p of Object.values(state.params).filter((q) => q.group === group)) {
    details.append(valueControl(`param-${p.name}`, p, sc[group][p.name],
      (v) => { setKey(sc[group], p.name, v); scheduleRun(); }));
  }
  return details;
}

// A number input for constants; a text input holding the spec for distributions
// (empty with the prior as placeholder when the scenario leaves the key out).
function valueControl(id, p, set, onChange) {
  const value = set ?? p.default;
  const numeric = typeof value === "number";
  return control(id, p.name, p, !numeric && set === undefined ? undefined : value, numeric ? "number" : "text", onChange);
}

function actorParams() {
  const details = document.createElement("details");
  details.innerHTML = "<summary>actors' starting points</summary>";
  state.scenario.actors.forEach((actor) => {
    const box = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = actor.name;
    box.append(legend);
    for (const name of ACTOR_PARAMS) {
      box.append(valueControl(`actor-${actor.name}-${name}`, state.params[name], actor[name],
        (v) => { setKey(actor, name, v); scheduleRun(); }));
    }
    details.append(box);
  });
  return details;
}

// ---------- scenarios and strategies ----------------------------------------

function fillStrategySelect(select, own) {
  select.replaceChildren();
  if (own) select.append(new Option(`(scenario's own: ${own})`, ""));
  for (const name of Object.keys(state.strategies)) select.append(new Option(name, name));
}

// Show a scenario: `base` is what edits are measured against (the shipped or
// uploaded scenario), `name` the shipped scenario's name (null for an upload).
async function useScenario(scenario, base, name, strategy) {
  state.base = normalise(clone(base || scenario));
  state.baseName = name;
  state.scenario = normalise(clone(scenario));
  $("scenario-description").textContent = state.base.description || "";
  const s = state.base.strategy;
  const own = s && typeof s === "object" ? s.name : null;
  fillStrategySelect($("strategy-select"), own);
  const fallback = own ? "" : (typeof s === "string" ? s : "default");
  $("strategy-select").value = strategy !== undefined && strategy !== null ? strategy : fallback;
  if ($("strategy-select").selectedIndex < 0) $("strategy-select").value = fallback;
  describeStrategy();
  clearErrors();
  state.setBy = { strategy: "", levers: {} };
  buildControls();
  await Promise.all([loadPresets(), loadStrategyLevers()]);
}

function describeStrategy() {
  const name = $("strategy-select").value;
  const s = name ? state.strategies[name] : state.scenario.strategy;
  $("strategy-description").textContent = (s && s.description) || "";
}

function strategyValue() {
  const v = $("strategy-select").value;
  return v === "" ? null : v;
}

// Which levers the chosen strategy's rules set (asked of the server, which
// resolves the scenario's own strategy and rules for some actors).
async function loadStrategyLevers() {
  const r = await api("/api/strategy-levers", { scenario: state.scenario, strategy: strategyValue() });
  state.setBy = r.ok ? r.data : { strategy: "", levers: {} };
  buildControls();
}

async function loadShipped(name) {
  const r = await api(`/api/scenarios/${encodeURIComponent(name)}`);
  if (!r.ok) { showErrors(r.data.errors, null, "Could not load the scenario"); return; }
  markPreset(name, r.data.sources);
  await useScenario(r.data.scenario, null, name);
  runNow();
}

// Presets (waystation.presets): sets of beliefs, each a scenario file with its sources,
// listed at the top of the page; a preset opens as "preset:NAME" (also in links).
const PRESET = "preset:";

function fillPresets(presets) {
  const select = $("preset-select");
  const groups = { worlds: "Worlds at the tails (from the sensitivity analysis)", viewpoint: "Viewpoints (beliefs, with sources)" };
  for (const [kind, label] of Object.entries(groups)) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const p of presets.filter((q) => q.kind === kind)) {
      const o = new Option(p.title, PRESET + p.name);
      o.title = p.description;
      group.append(o);
    }
    if (group.children.length) select.append(group);
  }
  select.addEventListener("change", () => { if (select.value) loadShipped(select.value); });
}

function markPreset(name, sources) {
  const isPreset = name && name.startsWith(PRESET);
  $("preset-select").value = isPreset ? name : "";
  const select = $("scenario-select");
  let option = select.querySelector("option[data-preset]");
  if (isPreset) {
    if (!option) { option = new Option("", name); option.dataset.preset = "1"; select.append(option); }
    option.value = name;
    option.textContent = `preset: ${name.slice(PRESET.length)}`;
    select.value = name;
  } else if (option) {
    option.remove();
  }
  const note = $("preset-sources");
  note.textContent = isPreset && sources ? `Sources: ${sources.join("; ")}` : "";
}

async function upload(file) {
  const text = await file.text();
  setStatus("running", `checking ${file.name}…`);
  const r = await api("/api/validate-yaml", { yaml: text, source: file.name });
  $("upload").value = "";
  if (!r.ok) {
    showErrors(r.data.errors, file.name, `${file.name} is not a valid scenario`);
    setStatus("error", "upload refused");
    return;
  }
  markUpload(file.name);
  await useScenario(r.data.scenario, null, null);
  runNow();
}

function markUpload(label) {
  const select = $("scenario-select");
  let option = select.querySelector(`option[value="${UPLOAD}"]`);
  if (!option) { option = new Option("", UPLOAD); select.append(option); }
  option.textContent = `uploaded: ${label}`;
  select.value = UPLOAD;
}

// ---------- the link: the whole state in the URL hash -----------------------
// #v1.<token>: base64url of the deflated JSON {v: package version, b: shipped
// scenario name or u: uploaded scenario, e: edits as a JSON merge patch,
// st: strategy ("" = the scenario's own), w: worlds, s: seed}.

function isObject(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }

// A JSON merge patch (RFC 7386) taking `a` to `b`; undefined when they are equal.
function diff(a, b) {
  if (!isObject(a) || !isObject(b)) return JSON.stringify(a) === JSON.stringify(b) ? undefined : clone(b);
  const out = {};
  for (const k of Object.keys(b)) {
    const d = k in a ? diff(a[k], b[k]) : clone(b[k]);
    if (d !== undefined) out[k] = d;
  }
  for (const k of Object.keys(a)) if (!(k in b)) out[k] = null;
  return Object.keys(out).length ? out : undefined;
}

function patch(target, p) {
  if (!isObject(p)) return clone(p);
  const out = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(p)) {
    if (v === null) delete out[k]; else out[k] = patch(out[k], v);
  }
  return out;
}

function edits() { return diff(state.base, state.scenario); }

function toBase64url(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(token) {
  const text = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function squeeze(bytes, stream) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

async function encodeLink(data) {
  const json = new TextEncoder().encode(JSON.stringify(data));
  if (typeof CompressionStream === "undefined") return `j1.${toBase64url(json)}`;
  return `v1.${toBase64url(await squeeze(json, new CompressionStream("deflate-raw")))}`;
}

async function decodeLink(hash) {
  const m = hash.match(/^#?(v1|j1)\.([A-Za-z0-9_-]+)$/);
  if (!m) throw new Error("not a waystation link");
  let bytes = fromBase64url(m[2]);
  if (m[1] === "v1") bytes = await squeeze(bytes, new DecompressionStream("deflate-raw"));
  const data = JSON.parse(new TextDecoder().decode(bytes));
  if (!isObject(data)) throw new Error("not a waystation link");
  return data;
}

function linkState() {
  const body = requestBody();
  const out = { v: state.registry.version, st: $("strategy-select").value, w: body.worlds, s: body.seed };
  if (state.baseName) out.b = state.baseName; else out.u = state.base;
  const e = edits();
  if (e !== undefined) out.e = e;
  return out;
}

let hashSeq = 0;
async function updateLink() {
  if (!state.scenario || !state.registry) return;
  const seq = ++hashSeq;
  const token = await encodeLink(linkState());
  if (seq !== hashSeq) return;
  const url = `${location.pathname}${location.search}#${token}`;
  if (location.hash !== `#${token}`) history.replaceState(null, "", url);
  state.hash = `#${token}`;
  $("share-link").value = location.href;
}

async function copyLink() {
  await updateLink();
  const field = $("share-link");
  field.hidden = false;
  field.select();
  let copied = false;
  try { await navigator.clipboard.writeText(field.value); copied = true; } catch (e) { copied = false; }
  $("share-note").textContent = copied ? "link copied: it reopens this exact view" : "copy the link above: it reopens this exact view";
}

function showNotice(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = !text;
}

// Open the view a link describes; false when there is no link to open.
async function openLink() {
  if (!location.hash || location.hash === "#") return false;
  let data;
  try {
    data = await decodeLink(location.hash);
  } catch (e) {
    showNotice("This link could not be read (it may be cut short or altered); showing the default scenario instead.");
    return false;
  }
  if (data.v !== state.registry.version) {
    showNotice(`This link was made with waystation ${data.v || "(unknown version)"}; this server runs ` +
      `${state.registry.version}. The model may have changed, so its figures can differ from the ones the link's author saw.`);
  }
  let base;
  if (typeof data.b === "string") {
    const r = await api(`/api/scenarios/${encodeURIComponent(data.b)}`);
    if (!r.ok) { showErrors(r.data.errors, null, "The link names a scenario this server does not ship"); return false; }
    base = r.data.scenario;
    $("scenario-select").value = data.b;
    markPreset(data.b, r.data.sources);
  } else if (isObject(data.u)) {
    base = data.u;
    markUpload(`${base.name || "scenario"} (from a link)`);
  } else {
    return false;
  }
  if (Number.isInteger(data.w)) $("worlds").value = data.w;
  if (Number.isInteger(data.s)) $("seed").value = data.s;
  const edited = data.e === undefined ? base : patch(normalise(clone(base)), data.e);
  await useScenario(edited, base, typeof data.b === "string" ? data.b : null, typeof data.st === "string" ? data.st : null);
  runNow();
  return true;
}

// ---------- running ---------------------------------------------------------

function requestBody() {
  return {
    scenario: clone(state.scenario),
    strategy: strategyValue(),
    worlds: Math.max(1, Math.round(Number($("worlds").value) || 1)),
    seed: Math.max(0, Math.round(Number($("seed").value) || 0)),
  };
}

function scheduleRun() {
  updateLink();
  if (!$("auto-run").checked) return;
  logEvent(state.seq + 1, "edit", null);
  clearTimeout(state.timer);
  state.timer = setTimeout(runNow, DEBOUNCE_MS);
}

// Run the edited scenario; with edits, the baseline runs beside it on the same
// worlds (POST /api/edited) and the page shows both and edited - baseline.
// Past the server's preview size the answer comes in two stages: a first
// estimate from the first worlds (marked preliminary, wider intervals), then
// the full count, which adds worlds to those already run (the server keeps them).
async function runNow() {
  clearTimeout(state.timer);
  if (!state.scenario) return;
  updateLink();
  const body = requestBody();
  const edited = edits() !== undefined;
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  const controller = state.controller = new AbortController();
  window.lastRequest = body;  // what POST /api/run would answer with the edited results
  const path = edited ? "/api/edited" : "/api/run";
  const payload = edited ? { ...body, baseline: clone(state.base), channel: CHANNEL.run } : { ...body, channel: CHANNEL.run };
  const staged = previewWorlds() > 0 && body.worlds > previewWorlds();
  const what = edited ? " (edited and baseline)" : "";
  for (const preview of staged ? [true, false] : [false]) {
    setStatus("running", preview
      ? `first estimate from ${previewWorlds().toLocaleString()} worlds${what}…`
      : `running ${body.worlds.toLocaleString()} worlds${what}…`);
    let r;
    try {
      r = await api(path, preview ? { ...payload, preview: true } : payload, controller.signal);
    } catch (e) {
      if (e.name !== "AbortError" && seq === state.seq) setStatus("error", `request failed: ${e.message}`);
      return;
    }
    if (seq !== state.seq) return;
    if (!r.ok) {
      if (r.status === 499) return;  // replaced by a newer request
      showErrors(r.data.errors, null, "The scenario has problems");
      setStatus("error", "fix the highlighted inputs");
      return;
    }
    clearErrors();
    const res = edited ? r.data.edited : r.data;
    showStage(r.data);
    window.lastFigures = r.data.figures;
    window.lastResult = res;
    window.lastBaseline = edited ? r.data : null;
    const drawn = render(res, edited ? r.data : null, r.data.preliminary);
    showProvenance(r.data.provenance, body, edited);
    logEvent(seq, r.data.preliminary ? "preliminary" : "final", res.worlds);
    if (r.data.preliminary) {
      window.previewCount += 1;
      // the first estimate's charts, a frame later (benchmarks/web_page.py times both)
      drawn.then((done) => { if (done) logEvent(seq, "preliminary-charts", res.worlds); });
      continue;
    }
    window.runCount += 1;
    const served = r.data.cache && r.data.cache.served_worlds ? ` (${r.data.cache.served_worlds.toLocaleString()} worlds reused)` : "";
    setStatus("idle", `${res.worlds.toLocaleString()} worlds in ${r.data.elapsed_seconds.toFixed(2)} s${served}`);
  }
}

// Mark the results as a first estimate (preliminary) or as the full answer.
function showStage(data) {
  const badge = $("stage");
  document.body.dataset.stage = data.preliminary ? "preliminary" : "final";
  badge.hidden = !data.preliminary;
  badge.textContent = data.preliminary
    ? `preliminary: first ${previewWorlds().toLocaleString()} of ${data.target_worlds.toLocaleString()} worlds, wider intervals; refining…`
    : "";
}

// ---------- drawing ---------------------------------------------------------

// How numbers are written, from waystation.present (GET /api/definitions, "format"): "±" is
// the 95% interval's half-width, FORMAT.z95 standard errors. Intervals the server computed
// arrive already written ("shown"), exactly as the CLI and the report write them.
let FORMAT = { z95: 1.959963984540054, places: 4, missing: "—" };

function fmt(x, digits = 3) { return x === null || x === undefined ? FORMAT.missing : x.toFixed(digits); }

// An interval as the server wrote it (present.interval), or a dash when there is none.
function shown(d) { return d && d.shown ? d.shown : FORMAT.missing; }

// Whether a paired difference's 95% interval spans zero (cannot tell the two apart).
function spansZero(d) { return d && d.low <= 0 && d.high >= 0; }

// The numbers first; the charts with them, or (a first estimate: `later`) in the next frame,
// so the estimate and its interval show as soon as they arrive and the charts follow. A
// newer render cancels charts still waiting. Returns when the charts are drawn.
function render(res, pair, later = false) {
  for (const o of OUTCOMES) {
    const el = $(`p-${o}`);
    const se = res.standard_errors[o];
    el.textContent = fmt(res.probabilities[o], FORMAT.places);
    el.dataset.value = String(res.probabilities[o]);
    $(`se-${o}`).textContent = `± ${fmt(FORMAT.z95 * se, FORMAT.places)} (95% interval ${res.shown[`${o}_interval`]}; s.e. ${fmt(se, FORMAT.places)})`;
    const base = $(`base-${o}`), delta = $(`diff-${o}`);
    if (pair) {
      const d = pair.differences[o];
      base.textContent = `baseline ${fmt(pair.baseline.probabilities[o], FORMAT.places)}`;
      delta.textContent = `edited − baseline ${shown(d)}`;
      delta.dataset.value = String(d.estimate);
      delta.classList.toggle("unclear", spansZero(d));
    } else {
      base.textContent = "";
      delta.textContent = "";
      delete delta.dataset.value;
      delta.classList.remove("unclear");
    }
  }
  showPrecision(res, pair);
  const year = res.median_victory_year;
  $("run-summary").textContent = `${res.scenario} · strategy ${res.strategy} · ${res.worlds.toLocaleString()} worlds · seed ${res.seed}` +
    ` · median year of victory ${year === null ? "none" : year}`;
  drawWaystations(res);
  const token = ++state.charts;
  const charts = () => {
    if (token !== state.charts) return false;  // a newer answer has been drawn since
    drawOutcomes(res, pair);
    fillDiagramActors(res.actors);
    drawDiagram(res);
    if (window.lastFigures) drawSpec("over-time", window.lastFigures.over_time);
    return true;
  };
  if (!later) return Promise.resolve(charts());
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(charts()), 0)));
}

// What the run's precision allows a reader to conclude, in one line.
function showPrecision(res, pair) {
  const box = $("precision");
  box.classList.remove("warning");
  if (!pair) {
    box.textContent = state.base && edits() === undefined
      ? "No edits: this is the baseline (the scenario as shipped or uploaded, under the chosen strategy). Edit any input to see edited against baseline on the same worlds."
      : "";
    return;
  }
  const unclear = OUTCOMES.filter((o) => spansZero(pair.differences[o])).map((o) => OUTCOME_LABELS[o]);
  if (unclear.length) {
    box.classList.add("warning");
    box.textContent = `⚠ At ${res.worlds.toLocaleString()} worlds the 95% interval of edited − baseline spans zero for ` +
      `${unclear.join(", ")}: these runs cannot tell the edit from the baseline there. More worlds shrink the interval.`;
  } else {
    box.textContent = "Every difference's 95% interval excludes zero: at this precision the edit changes each outcome.";
  }
}

function drawOutcomes(res, pair) {
  if (!window.Plotly) return;
  const x = OUTCOMES.map((o) => OUTCOME_LABELS[o]);
  const bar = (r, name, colours, opacity) => ({
    type: "bar", name, x, y: OUTCOMES.map((o) => r.probabilities[o]), opacity,
    error_y: { type: "data", array: OUTCOMES.map((o) => FORMAT.z95 * r.standard_errors[o]), visible: true },
    marker: { color: colours }, hovertemplate: `${name} %{x}: %{y:.4f}<extra></extra>`,
  });
  const traces = [];
  if (pair) traces.push(bar(pair.baseline, "baseline", "#9aa3b0", 1));
  traces.push(bar(res, pair ? "edited" : "", OUTCOMES.map((o) => OUTCOME_COLOURS[o]), 1));
  Plotly.react("outcomes-chart", traces, {
    margin: { t: 10, r: 10, b: 30, l: 45 }, yaxis: { range: [0, 1], title: { text: "probability" } },
    barmode: "group", showlegend: Boolean(pair), legend: { orientation: "h", x: 1, xanchor: "right", y: 1 },
  }, { displayModeBar: false, responsive: true });
}

function band(x, lo, hi, colour, opacity, group) {
  return [
    { x, y: lo, type: "scatter", mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", legendgroup: group },
    { x, y: hi, type: "scatter", mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: rgba(colour, opacity),
      showlegend: false, hoverinfo: "skip", legendgroup: group },
  ];
}

function rgba(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function fillDiagramActors(actors) {
  const select = $("diagram-actor");
  const keep = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const a of actors) select.append(new Option(a, a));
  select.value = actors.includes(keep) ? keep : "";
}

// The diagram from the server's figure specification (waystation.figspecs; the report draws
// the same spec): a panel per actor with medians, 50% and 90% bands, the unsafe region,
// C_aar and C_si, waystation ticks, and a strip of the share of worlds beyond their safety
// range; the baseline's medians, thin and grey, on an edit's panels.
function drawDiagram(res) {
  if (!res || !window.lastFigures || !window.lastFigures.diagram) return;
  const only = $("diagram-actor").value;
  const extra = [];
  const pair = window.lastBaseline;
  if (pair && pair.baseline) {
    pair.baseline.actors.forEach((actor, k) => {
      if (only && actor !== only) return;
      for (const [variable, dash] of [["capability", "dot"], ["safety_range", "dashdot"]]) {
        extra.push({ panel: actor, x: pair.baseline.trajectories.years, y: pair.baseline.trajectories.actors[actor][variable].q50, type: "scatter", mode: "lines",
          name: "baseline medians", legendgroup: "baseline", showlegend: k === 0 && variable === "capability",
          line: { color: "#8a8f98", dash, width: 1.2 },
          hovertemplate: `baseline ${actor} ${variable.replace("_", " ")}<br>%{x}: %{y:.2f} OOM<extra></extra>` });
      }
    });
  }
  drawSpec("diagram", window.lastFigures.diagram, { only, extra });
}

// Draw a figure specification (waystation.figspecs) with plotly: lines, bands, shaded and
// hatched regions, threshold and date lines, date ticks, ranked interval bars, each on its
// panel (small multiples, `spec.columns` a row, fewer on a narrow screen). `only` keeps one
// group's marks (and the marks shown only for one group); panels left without marks are not
// drawn. `extra` adds traces (one with `panel` goes on that panel). Unknown mark kinds are
// skipped. The report draws the same specs with matplotlib (waystation.plots.specs).
function drawSpec(id, spec, opts = {}) {
  const div = $(id);
  if (!div || !spec) return;
  div.dataset.spec = spec.id;
  div.setAttribute("role", "img");
  div.setAttribute("aria-label", `${spec.title}. ${spec.caption}`);
  const caption = $(`${id}-caption`);
  if (caption) caption.textContent = spec.caption;
  if (!window.Plotly) return;
  const only = opts.only || "";
  const extra = opts.extra || [];
  const marks = spec.marks.filter((m) => !(only && m.group && m.group !== only) && !(m.only && !only));
  const every = spec.panels && spec.panels.length ? spec.panels : [{ id: null }];
  const panelOf = (m) => (m.panel === undefined || m.panel === null ? every[0].id : m.panel);
  let panels = every.filter((p) => marks.some((m) => panelOf(m) === p.id) || extra.some((t) => t.panel === p.id));
  if (!panels.length) panels = every.slice(0, 1);
  const faceted = Boolean(spec.panels && spec.panels.length);
  const narrow = div.clientWidth < 500;
  const asked = Math.max(1, spec.columns || 1);
  const columns = Math.max(1, Math.min(panels.length, narrow ? (asked >= 4 ? 2 : 1) : asked));
  const rows = Math.ceil(panels.length / columns);
  const shared = new Set(spec.shared || []);
  // each panel's axes: x, y for the first, x2, y2 for the second ...
  const axis = new Map(panels.map((p, k) => [p.id, k === 0 ? ["x", "y"] : [`x${k + 1}`, `y${k + 1}`]]));
  const traces = [], shapes = [], annotations = [], legended = new Set();
  let horizontal = false, ticksLabelled = false;
  const ends = new Map();  // panel id -> end values to place
  for (const m of marks) {
    const [xa, ya] = axis.get(panelOf(m));
    const on = { xaxis: xa, yaxis: ya };
    if (m.kind === "line") {
      const values = m.values ? { customdata: m.values, hovertemplate: `${m.label} = %{customdata:.3g}: %{y:.3f}<extra></extra>` }
        : { hovertemplate: `${m.label}<br>%{x}: %{y:.3f}<extra></extra>` };
      const first = !legended.has(m.label);
      legended.add(m.label);
      traces.push({ x: m.x, y: m.y, type: "scatter", mode: m.markers ? "lines+markers" : "lines", name: m.label,
        legendgroup: faceted ? m.label : m.group, showlegend: first, marker: { size: 6, color: m.colour },
        line: { color: m.colour, dash: m.dash, width: 2 }, ...values, ...on });
      if (m.end_value && m.y.length) {
        if (!ends.has(panelOf(m))) ends.set(panelOf(m), []);
        ends.get(panelOf(m)).push({ x: m.x[m.x.length - 1], y: m.y[m.y.length - 1], colour: m.colour, xa, ya });
      }
    } else if (m.kind === "band" || m.kind === "region") {
      const [lo, hi] = band(m.x, m.low, m.high, m.colour, m.opacity, m.group);
      if (m.pattern) Object.assign(hi, { fillcolor: "rgba(0,0,0,0)", fillpattern: { shape: m.pattern, fgcolor: rgba(m.colour, m.opacity), solidity: 0.15 } });
      if (m.kind === "region") {
        const first = !legended.has(m.label);
        legended.add(m.label);
        Object.assign(hi, { name: m.label, showlegend: first, hoverinfo: "name", line: { width: 0 }, legendgroup: faceted ? m.label : `unsafe-${m.group}` });
        lo.legendgroup = hi.legendgroup;
      }
      traces.push({ ...lo, ...on }, { ...hi, ...on });
    } else if (m.kind === "hline" || m.kind === "vline") {
      const h = m.kind === "hline";
      shapes.push(h ? { type: "line", xref: `${xa} domain`, yref: ya, x0: 0, x1: 1, y0: m.at, y1: m.at, line: { color: m.colour, dash: m.dash, width: 1 } }
        : { type: "line", yref: `${ya} domain`, xref: xa, y0: 0, y1: 1, x0: m.at, x1: m.at, line: { color: m.colour, dash: m.dash, width: 1 } });
      if (m.label) {
        annotations.push(h ? { xref: `${xa} domain`, yref: ya, x: 0.99, y: m.at, text: m.label, showarrow: false, xanchor: "right", yanchor: "bottom", font: { size: 10, color: m.colour }, bgcolor: "rgba(255,255,255,0.7)" }
          : { yref: `${ya} domain`, xref: xa, y: 1, x: m.at, text: m.label, showarrow: false, textangle: -90, xanchor: "right", yanchor: "top", font: { size: 10, color: m.colour } });
      }
    } else if (m.kind === "ticks") {
      m.at.forEach((year) => shapes.push({ type: "line", xref: xa, yref: `${ya} domain`, x0: year, x1: year, y0: 0.9, y1: 1, line: { color: m.colour, width: 1.5 } }));
      if (!ticksLabelled) {
        ticksLabelled = true;
        tickLabels(m, xa, ya, div.clientWidth / columns, spec, annotations);
      }
    } else if (m.kind === "bars") {
      horizontal = true;
      traces.push({ type: "bar", orientation: "h", y: m.labels, x: m.estimate, marker: { color: m.colour },
        error_x: { type: "data", symmetric: false, array: m.high.map((h, k) => h - m.estimate[k]), arrayminus: m.low.map((l, k) => m.estimate[k] - l), visible: true },
        hovertemplate: "%{y}: %{x:.4f}<extra></extra>", showlegend: false, ...on });
    }
  }
  for (const t of extra) {
    const { panel, ...trace } = t;
    const [xa, ya] = axis.get(panel === undefined ? panels[0].id : panel) || [];
    if (xa) traces.push({ ...trace, xaxis: xa, yaxis: ya });
  }
  for (const [id, list] of ends) annotations.push(...endValues(list, panels.find((p) => p.id === id), spec));
  // rows of panels, each as tall as its tallest panel's `height` (1 by default)
  const unit = narrow ? 200 : (columns >= 4 ? 190 : 240);
  const heights = [];
  for (let r = 0; r < rows; r += 1) {
    heights.push(Math.max(...panels.slice(r * columns, (r + 1) * columns).map((p) => p.height || 1)) * unit);
  }
  const titled = (r) => panels.slice(r * columns, (r + 1) * columns).some((p) => p.title || p.subtitle);
  const gaps = heights.map((_, r) => (!faceted ? 0 : (titled(r) ? (panels.some((p) => p.subtitle) ? 40 : 24) : 10)));
  const bottomTitle = faceted && !shared.has("x") ? 34 : 0;  // x titles between rows
  const area = heights.reduce((a, b) => a + b, 0) + gaps.reduce((a, b) => a + b, 0) + bottomTitle * (rows - 1);
  const shown = spec.legend !== false && !horizontal && legended.size > 0;
  const legendRows = shown ? Math.ceil(legended.size / (narrow ? 1 : 3)) : 0;
  const below = 58;  // tick labels and the x axis's title, above the key
  const margin = { t: 10, r: faceted && ends.size ? 34 : 10, b: below + 22 * legendRows, l: horizontal ? (narrow ? 110 : 190) : 55 };
  const layout = {
    margin, showlegend: shown, shapes, annotations,
    legend: { orientation: "h", x: 0, y: -below / area, yanchor: "top", font: { size: narrow ? 9 : 11 } },
  };
  const gapX = columns > 1 ? (shared.has("y") ? 0.04 : 0.07) : 0;
  const width = (1 - gapX * (columns - 1)) / columns;
  let top = area;
  panels.forEach((p, k) => {
    const r = Math.floor(k / columns), c = k % columns;
    if (c === 0) top = area - heights.slice(0, r).reduce((a, b) => a + b, 0) - gaps.slice(0, r + 1).reduce((a, b) => a + b, 0) - bottomTitle * r;
    const [xa, ya] = axis.get(p.id);
    const bottom = k + columns >= panels.length, left = c === 0;
    const x = { ...spec.x, ...(p.x || {}) }, y = { ...spec.y, ...(p.y || {}) };
    const xTitle = (p.x && p.x.title !== undefined) ? p.x.title : (bottom ? spec.x.title : "");
    const yTitle = (p.y && p.y.title !== undefined) ? p.y.title : (left ? spec.y.title : "");
    const domainY = [Math.max(0, (top - heights[r]) / area), Math.min(1, top / area)];
    layout[xa === "x" ? "xaxis" : `xaxis${k + 1}`] = {
      domain: [c * (width + gapX), c * (width + gapX) + width], anchor: ya, title: { text: xTitle }, range: x.range,
      zeroline: horizontal, matches: shared.has("x") && k > 0 ? "x" : undefined, showticklabels: !(shared.has("x") && !bottom),
    };
    layout[ya === "y" ? "yaxis" : `yaxis${k + 1}`] = {
      domain: domainY, anchor: xa, title: { text: yTitle }, range: y.range, automargin: true,
      autorange: horizontal ? "reversed" : (y.range ? false : true),
      matches: shared.has("y") && k > 0 ? "y" : undefined, showticklabels: !(shared.has("y") && !left),
    };
    const words = [p.title, p.subtitle].filter(Boolean);
    if (words.length) {
      annotations.push({ xref: `${xa} domain`, yref: `${ya} domain`, x: 0, y: 1, xanchor: "left", yanchor: "bottom", yshift: 2, showarrow: false, align: "left",
        text: p.subtitle ? `${p.title || ""}${p.title ? "<br>" : ""}<span style="font-size:10px">${p.subtitle}</span>` : p.title, font: { size: 12 } });
    }
  });
  if (faceted) {
    layout.height = area + margin.t + margin.b;
    div.style.height = `${layout.height}px`;
  }
  Plotly.react(div, traces, layout, { displayModeBar: false, responsive: true });
}

// Labels of a `ticks` mark along the top of its panel, in rows so that no two overlap
// (widths estimated from the panel's width in pixels and each label's length).
function tickLabels(m, xa, ya, panelPx, spec, annotations) {
  const xs = spec.x.range || [Math.min(...m.at), Math.max(...m.at)];
  const perChar = 6.5 * (xs[1] - xs[0]) / Math.max(100, panelPx - 70);  // x units per character
  const ends = [];
  m.at.map((at, k) => [at, m.labels[k]]).sort((a, b) => a[0] - b[0]).forEach(([at, text]) => {
    const half = perChar * (text.length + 1) / 2;
    const x = Math.min(Math.max(at, xs[0] + half), xs[1] - half);
    let row = ends.findIndex((end) => end < x - half);
    if (row < 0) { row = ends.length; ends.push(-Infinity); }
    ends[row] = x + half;
    annotations.push({ xref: xa, yref: `${ya} domain`, x, y: 0.88 - 0.1 * row, text, showarrow: false, xanchor: "center", yanchor: "top",
      font: { size: 10, color: m.colour }, bgcolor: "rgba(255,255,255,0.8)" });
  });
}

// The value at each line's end written past it, moved apart (7% of the panel's range at least).
function endValues(list, panel, spec) {
  const range = ((panel && panel.y && panel.y.range) || spec.y.range || [0, 1]);
  const gap = 0.07 * ((range[1] - range[0]) || 1);
  const sorted = [...list].sort((a, b) => a.y - b.y);
  const at = sorted.map((e) => e.y);
  for (let k = 1; k < at.length; k += 1) at[k] = Math.max(at[k], at[k - 1] + gap);
  const over = at.length ? at[at.length - 1] - range[1] : 0;
  if (over > 0) {
    for (let k = 0; k < at.length; k += 1) at[k] = Math.max(range[0], at[k] - over);
    for (let k = 1; k < at.length; k += 1) at[k] = Math.max(at[k], at[k - 1] + gap);
  }
  return sorted.map((e, k) => ({ xref: e.xa, yref: e.ya, x: e.x, y: at[k], text: e.y.toFixed(2), showarrow: false, xanchor: "left", xshift: 3,
    font: { size: 10, color: e.colour } }));
}

function drawWaystations(res) {
  const body = $("waystations-table").querySelector("tbody");
  body.replaceChildren();
  for (const [name, w] of Object.entries(res.waystations)) {
    const row = body.insertRow();
    row.dataset.waystation = name;
    row.title = define(name);
    for (const text of [name.replaceAll("_", " "), fmt(w.p_reached), w.median_year ?? "—",
      fmt(w.p_victory_given_reached), fmt(w.p_victory_given_not_reached)]) {
      row.insertCell().textContent = text;
    }
  }
}

// ---------- comparing -------------------------------------------------------

async function compare() {
  const base = strategyValue() ?? (state.scenario.strategy && state.scenario.strategy.name);
  const other = $("compare-strategy").value;
  const table = $("compare-table");
  if (!base || !(base in state.strategies)) {
    showErrors([{ path: "strategy", line: null, message: "pick a built-in strategy to compare" }]);
    return;
  }
  if (base === other) {
    showErrors([{ path: "strategies", line: null, message: "pick a different strategy to compare against" }]);
    return;
  }
  const body = { ...requestBody(), strategies: [base, other], channel: CHANNEL.compare };
  delete body.strategy;
  setStatus("running", `comparing ${base} with ${other}…`);
  const r = await api("/api/compare", body);
  if (!r.ok) { showErrors(r.data.errors, null, "Comparison failed"); setStatus("error", "comparison failed"); return; }
  window.lastComparison = r.data;
  drawSpec("compare-over-time", r.data.figures.over_time);
  const head = table.querySelector("thead"), rows = table.querySelector("tbody");
  head.innerHTML = "<tr><th>outcome</th><th></th><th></th><th data-define='difference difference_sign interval_95'></th></tr>";
  head.rows[0].cells[1].textContent = base;
  head.rows[0].cells[2].textContent = other;
  head.rows[0].cells[3].textContent = `${other} − ${base} (95% interval)`;
  applyDefinitions(head);
  rows.replaceChildren();
  const diffs = (r.data.differences || {})[other] || {};
  for (const o of OUTCOMES) {
    const row = rows.insertRow();
    row.className = "compare-row";
    row.dataset.outcome = o;
    row.title = define(o);
    const d = diffs[o] || {};
    const p = (name) => r.data.strategies[name].shown[o];  // "0.4123 ± 0.0069", as the CLI writes it
    for (const text of [OUTCOME_LABELS[o], p(base), p(other), shown(d)]) {
      row.insertCell().textContent = text;
    }
    if (spansZero(d)) {
      row.classList.add("unclear");
      row.cells[3].textContent += " ⚠ spans zero";
    }
  }
  const unclear = OUTCOMES.filter((o) => spansZero(diffs[o])).map((o) => OUTCOME_LABELS[o]);
  $("compare-note").textContent = unclear.length
    ? `⚠ At ${body.worlds.toLocaleString()} worlds the 95% interval spans zero for ${unclear.join(", ")}: these runs cannot tell the two strategies apart there.`
    : "";
  setStatus("idle", `compared ${base} with ${other} on ${body.worlds.toLocaleString()} worlds`);
}

// The levers' values, in two stages past the preview size: the ranking on the
// first worlds (preliminary), then on every requested world (the curves and the
// first worlds' runs are reused by the server).
async function valueLevers() {
  const body = { ...requestBody(), channel: CHANNEL.levers };
  const seq = ++state.leverSeq;
  const staged = previewWorlds() > 0 && body.worlds > previewWorlds();
  for (const preview of staged ? [true, false] : [false]) {
    setStatus("running", preview ? "valuing levers: first estimate…" : `valuing levers on ${body.worlds.toLocaleString()} worlds…`);
    const r = await api("/api/levers", preview ? { ...body, preview: true } : body);
    if (seq !== state.leverSeq) return;
    if (!r.ok) {
      if (r.status === 499) return;
      showErrors(r.data.errors, null, "Lever values failed");
      setStatus("error", "lever values failed");
      return;
    }
    showLevers(r.data, body);
  }
}

function showLevers(data, body) {
  const table = $("levers-table");
  table.dataset.stage = data.preliminary ? "preliminary" : "final";
  table.dataset.worlds = String(data.worlds);
  const rows = table.querySelector("tbody");
  rows.replaceChildren();
  for (const lever of data.levers) {
    const row = rows.insertRow();
    const shape = lever.shape ? lever.shape.words : "—";
    const flag = lever.sign_disagreement ? "⚠ next step and derivative disagree in sign" : "";
    for (const text of [lever.name, lever.scope, fmt(lever.cost, 1), shown(lever.per_cost), shown(lever.derivative), shape, flag]) {
      row.insertCell().textContent = text;
    }
  }
  window.lastLevers = data;
  drawSpec("lever-tornado", data.figures.tornado);
  drawSpec("lever-curves", data.figures.curves);
  const plan = data.plan || {};
  const used = plan.forward_worlds ?? body.worlds;
  const checks = `; curves and derivative checks on the first ${(plan.curve_worlds || 0).toLocaleString()} worlds; all paired`;
  if (data.preliminary) {
    $("levers-note").textContent = `Preliminary: ranked on the first ${used.toLocaleString()} of ${body.worlds.toLocaleString()} worlds${checks}. Refining…`;
    setStatus("running", `levers: first estimate on ${used.toLocaleString()} worlds; refining to ${body.worlds.toLocaleString()}…`);
    return;
  }
  $("levers-note").textContent = `Ranked on ${used.toLocaleString()} worlds${used < body.worlds ? ` (the work budget's share of the ${body.worlds.toLocaleString()} requested)` : ""}${checks}.`;
  setStatus("idle", `valued ${data.levers.length} levers on ${used.toLocaleString()} worlds`);
}

// ---------- downloads -------------------------------------------------------

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function downloadYaml() {
  const scenario = clone(state.scenario);
  const strategy = strategyValue();
  if (strategy) scenario.strategy = strategy;
  const r = await api("/api/yaml", { scenario });
  if (!r.ok) { showErrors(r.data.errors, null, "Cannot write the scenario"); return; }
  download(`${scenario.name}.yaml`, r.data.yaml, "application/x-yaml");
}

function flatten(x, prefix, rows) {
  if (x !== null && typeof x === "object") {
    for (const [k, v] of Object.entries(x)) flatten(v, Array.isArray(x) ? `${prefix}[${k}]` : (prefix ? `${prefix}.${k}` : k), rows);
  } else {
    rows.push([prefix, x === null ? "" : String(x)]);
  }
  return rows;
}

function csvCell(s) { return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s; }

function downloadCsv() {
  const res = window.lastResult;
  if (!res) return;
  const { trajectories, ...summary } = res;
  const rows = flatten(summary, "", []);
  download(`${res.scenario}-${res.strategy}-results.csv`,
    ["quantity,value", ...rows.map((r) => r.map(csvCell).join(","))].join("\n") + "\n", "text/csv");
}

function downloadJson() {
  const res = window.lastResult;
  if (!res) return;
  download(`${res.scenario}-${res.strategy}-results.json`,
    JSON.stringify({ request: window.lastRequest, results: res }, null, 2), "application/json");
}

// Per-world rows of the run shown (the same request again: the same worlds), as a file.
async function downloadWorlds(format) {
  const body = window.lastRequest;
  if (!body) return;
  const r = await api("/api/worlds", { ...body, format });
  if (!r.ok) { showErrors(r.data.errors, null, "Cannot export the worlds"); return; }
  const bytes = Uint8Array.from(atob(r.data.base64), (c) => c.charCodeAt(0));
  download(r.data.filename, bytes, r.data.media_type);
}

// ---------- cite this run ---------------------------------------------------

const PROVENANCE_LABELS = {
  date: "date (UTC)", waystation_version: "waystation version",
  model_version: "model version (hash of the equations' code)", backend: "backend",
  worlds: "worlds", seed: "seed", scenario_hash: "scenario hash", command: "command",
  permalink: "permalink",
};

function shellWord(s) { return /^[A-Za-z0-9_.\/-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`; }

// The run's provenance: the server's block, with the command that repeats it
// (the shipped scenario by name, or the file the Scenario YAML button saves)
// and this view's share link as the permalink.
function showProvenance(prov, body, edited) {
  if (!prov) return;
  const scenario = !edited && state.baseName ? state.baseName : `${body.scenario.name || "scenario"}.yaml`;
  const what = scenario.startsWith(PRESET) ? ["--preset", scenario.slice(PRESET.length)] : [scenario];
  const words = ["waystation", "run", ...what, "--worlds", String(body.worlds), "--seed", String(body.seed)];
  if (body.strategy) words.push("--strategy", body.strategy);
  const block = { ...prov, command: words.map(shellWord).join(" "), permalink: location.href };
  window.lastProvenance = block;
  const dl = $("provenance");
  dl.replaceChildren();
  for (const [key, label] of Object.entries(PROVENANCE_LABELS)) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.dataset.key = key;
    dd.textContent = String(block[key]);
    dl.append(dt, dd);
  }
  $("cite-bibtex").textContent = prov.cite.bibtex;
  $("cite-cff").textContent = prov.cite.cff;
}

// ---------- start -----------------------------------------------------------

async function start() {
  const [reg, strategies, scenarios, defs] = await Promise.all(
    [api("/api/registry"), api("/api/strategies"), api("/api/scenarios"), api("/api/definitions")]);
  if (!reg.ok || !strategies.ok || !scenarios.ok || !defs.ok) { setStatus("error", "could not reach the server"); return; }
  state.registry = reg.data;
  state.definitions = defs.data.definitions;
  FORMAT = defs.data.format || FORMAT;
  for (const p of reg.data.params) state.params[p.name] = p;
  for (const l of reg.data.levers) state.levers[l.name] = l;
  for (const s of strategies.data) state.strategies[s.name] = s;
  applyDefinitions();
  $("worlds").max = reg.data.limits.max_worlds;
  $("worlds").value = reg.data.limits.default_worlds;
  $("version").textContent = `v${reg.data.version}`;
  const query = new URLSearchParams(window.location.search);  // ?worlds=500&seed=3
  for (const id of ["worlds", "seed"]) if (/^\d+$/.test(query.get(id) || "")) $(id).value = query.get(id);
  const select = $("scenario-select");
  for (const s of scenarios.data) { const o = new Option(s.name, s.name); o.title = s.description; select.append(o); }
  fillStrategySelect($("compare-strategy"), null);
  $("compare-strategy").value = "cautious-lab" in state.strategies ? "cautious-lab" : Object.keys(state.strategies)[1];
  select.addEventListener("change", () => { if (select.value !== UPLOAD) loadShipped(select.value); });
  const presets = await api("/api/scenario-presets");
  if (presets.ok) fillPresets(presets.data);
  $("upload").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files[0]); });
  $("strategy-select").addEventListener("change", async () => {
    describeStrategy();
    updateLink();
    await loadStrategyLevers();
    scheduleRun();
  });
  for (const id of ["worlds", "seed"]) $(id).addEventListener("change", scheduleRun);
  $("run-button").addEventListener("click", runNow);
  $("copy-link").addEventListener("click", copyLink);
  $("diagram-actor").addEventListener("change", () => drawDiagram(window.lastResult));
  $("compare-run").addEventListener("click", compare);
  $("levers-run").addEventListener("click", valueLevers);
  $("download-yaml").addEventListener("click", downloadYaml);
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-json").addEventListener("click", downloadJson);
  $("download-worlds-csv").addEventListener("click", () => downloadWorlds("csv"));
  $("download-worlds-parquet").addEventListener("click", () => downloadWorlds("parquet"));
  $("download-dictionary").addEventListener("click", () => downloadWorlds("dictionary"));
  window.waystationLink = { encode: encodeLink, decode: decodeLink };  // for tests and the curious
  // A link pasted into this tab changes only the hash: open it as a fresh page.
  window.addEventListener("hashchange", () => { if (location.hash !== state.hash) location.reload(); });
  if (await openLink()) return;
  select.value = "default" in Object.fromEntries(scenarios.data.map((s) => [s.name, 1])) ? "default" : scenarios.data[0].name;
  await loadShipped(select.value);
}

document.addEventListener("DOMContentLoaded", start);
