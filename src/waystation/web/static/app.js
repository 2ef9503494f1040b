// waystation explorer: edits a scenario object and asks the server to run it.
// The model lives on the server (the Python package); this page only draws.
"use strict";

const OUTCOMES = ["victory", "costly_non_failure", "failure"];
const OUTCOME_LABELS = { victory: "victory", costly_non_failure: "costly non-failure", failure: "failure" };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const ACTOR_PARAMS = ["frontier", "safety_range", "safety_researchers", "capability_researchers", "compute_scale"];
const DEBOUNCE_MS = 300;
const UPLOAD = "__upload__";

const state = {
  registry: null, params: {}, levers: {}, strategies: {},
  scenario: null, seq: 0, timer: null, controller: null, uploadName: null,
};
window.lastRequest = null;  // the body of the latest POST /api/run (tests replay it)
window.lastResult = null;
window.runCount = 0;  // results drawn so far

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

function tooltip(entry) {
  const [lo, hi] = entry.bounds;
  return `${entry.meaning} [${entry.unit}; bounds ${lo} to ${hi}; default ${entry.default}]\nSource: ${entry.source}`;
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

function control(id, name, entry, value, kind, onChange) {
  const wrap = document.createElement("div");
  wrap.className = "control";
  wrap.title = tooltip(entry);
  const label = document.createElement("label");
  label.htmlFor = id;
  label.innerHTML = `<span class="name"></span> <span class="unit"></span>`;
  label.querySelector(".name").textContent = name;
  label.querySelector(".unit").textContent = entry.unit;
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
  wrap.append(label, input);
  if (input.type === "range") wrap.append(out);
  wrap.append(error);
  return wrap;
}

function setKey(obj, key, value) {
  if (value === undefined) delete obj[key]; else obj[key] = value;
}

function buildControls() {
  const sc = state.scenario;
  sc.levers = sc.levers || {};
  const globals = $("global-levers"), actors = $("actor-levers"), params = $("params");
  globals.replaceChildren(); actors.replaceChildren(); params.replaceChildren();
  const allLevers = Object.values(state.levers);
  const global = document.createElement("fieldset");
  global.innerHTML = "<legend>all actors (global)</legend>";
  for (const lever of allLevers.filter((l) => l.scope === "global")) {
    const value = sc.levers[lever.name] ?? lever.default;
    global.append(control(`lever-global-${lever.name}`, lever.name, lever, value, "slider",
      (v) => { setKey(sc.levers, lever.name, v); scheduleRun(); }));
  }
  globals.append(global);
  sc.actors.forEach((actor, i) => {
    actor.levers = actor.levers || {};
    const box = document.createElement("fieldset");
    box.className = "actor";
    box.style.borderColor = COLOURS[i % COLOURS.length];
    const legend = document.createElement("legend");
    legend.textContent = actor.name;
    legend.title = actor.description || "";
    box.append(legend);
    for (const lever of allLevers.filter((l) => l.scope === "actor")) {
      const value = actor.levers[lever.name] ?? sc.levers[lever.name] ?? lever.default;
      box.append(control(`lever-${actor.name}-${lever.name}`, lever.name, lever, value, "slider",
        (v) => { setKey(actor.levers, lever.name, v); scheduleRun(); }));
    }
    actors.append(box);
  });
  for (const group of ["nature", "world", "time"]) params.append(paramGroup(group));
  params.append(actorParams());
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

function useScenario(scenario) {
  state.scenario = scenario;
  $("scenario-description").textContent = scenario.description || "";
  const s = scenario.strategy;
  const own = s && typeof s === "object" ? s.name : null;
  fillStrategySelect($("strategy-select"), own);
  $("strategy-select").value = own ? "" : (typeof s === "string" ? s : "default");
  describeStrategy();
  clearErrors();
  buildControls();
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

async function loadShipped(name) {
  const r = await api(`/api/scenarios/${encodeURIComponent(name)}`);
  if (!r.ok) { showErrors(r.data.errors, null, "Could not load the scenario"); return; }
  useScenario(r.data.scenario);
  runNow();
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
  const select = $("scenario-select");
  let option = select.querySelector(`option[value="${UPLOAD}"]`);
  if (!option) { option = new Option("", UPLOAD); select.append(option); }
  option.textContent = `uploaded: ${file.name}`;
  select.value = UPLOAD;
  useScenario(r.data.scenario);
  runNow();
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
  if (!$("auto-run").checked) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(runNow, DEBOUNCE_MS);
}

async function runNow() {
  clearTimeout(state.timer);
  if (!state.scenario) return;
  const body = requestBody();
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  state.controller = new AbortController();
  window.lastRequest = body;
  setStatus("running", `running ${body.worlds.toLocaleString()} worlds…`);
  let r;
  try {
    r = await api("/api/run", body, state.controller.signal);
  } catch (e) {
    if (e.name !== "AbortError" && seq === state.seq) setStatus("error", `request failed: ${e.message}`);
    return;
  }
  if (seq !== state.seq) return;
  if (!r.ok) {
    showErrors(r.data.errors, null, "The scenario has problems");
    setStatus("error", "fix the highlighted inputs");
    return;
  }
  clearErrors();
  window.lastResult = r.data;
  render(r.data);
  window.runCount += 1;
  setStatus("idle", `${r.data.worlds.toLocaleString()} worlds in ${r.data.elapsed_seconds.toFixed(2)} s`);
}

// ---------- drawing ---------------------------------------------------------

function fmt(x, digits = 3) { return x === null || x === undefined ? "—" : x.toFixed(digits); }

function render(res) {
  for (const o of OUTCOMES) {
    const el = $(`p-${o}`);
    el.textContent = fmt(res.probabilities[o], 4);
    el.dataset.value = String(res.probabilities[o]);
    $(`se-${o}`).textContent = `± ${fmt(1.96 * res.standard_errors[o], 4)} (95%)`;
  }
  const year = res.median_victory_year;
  $("run-summary").textContent = `${res.scenario} · strategy ${res.strategy} · ${res.worlds.toLocaleString()} worlds · seed ${res.seed}` +
    ` · median year of victory ${year === null ? "none" : year}`;
  drawOutcomes(res);
  fillDiagramActors(res.actors);
  drawDiagram(res);
  drawWaystations(res);
}

function drawOutcomes(res) {
  if (!window.Plotly) return;
  const trace = {
    type: "bar", x: OUTCOMES.map((o) => OUTCOME_LABELS[o]), y: OUTCOMES.map((o) => res.probabilities[o]),
    error_y: { type: "data", array: OUTCOMES.map((o) => 1.96 * res.standard_errors[o]), visible: true },
    marker: { color: ["#2e8540", "#d08c00", "#c0392b"] }, hovertemplate: "%{x}: %{y:.4f}<extra></extra>",
  };
  Plotly.react("outcomes-chart", [trace], {
    margin: { t: 10, r: 10, b: 30, l: 45 }, yaxis: { range: [0, 1], title: { text: "probability" } },
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
  for (const a of actors) select.append(new Option(`${a} (50% and 90% bands)`, a));
  select.value = actors.includes(keep) ? keep : "";
}

function drawDiagram(res) {
  if (!window.Plotly || !res) return;
  const x = res.trajectories.years;
  const traces = [];
  const only = $("diagram-actor").value;
  res.actors.forEach((actor, i) => {
    if (only && actor !== only) return;
    const actorColour = COLOURS[i % COLOURS.length];
    for (const [variable, dash, label] of [["capability", "solid", "capability frontier"], ["safety_range", "dash", "safety range"]]) {
      const q = res.trajectories.actors[actor][variable];
      const colour = only && variable === "safety_range" ? "#2e8540" : actorColour;
      const group = `${actor}-${variable}`;
      if (only) traces.push(...band(x, q.q05, q.q95, colour, 0.1, group));
      traces.push(...band(x, q.q25, q.q75, colour, only ? 0.25 : 0.15, group));
      traces.push({ x, y: q.q50, type: "scatter", mode: "lines", name: `${actor}: ${label}`, legendgroup: group,
        line: { color: colour, dash, width: 2 }, hovertemplate: `${actor} ${label}<br>%{x}: %{y:.2f} OOM<extra></extra>` });
    }
  });
  Plotly.react("diagram", traces, {
    margin: { t: 10, r: 10, b: 40, l: 55 }, legend: { orientation: "h", y: -0.2 },
    xaxis: { title: { text: "year" } }, yaxis: { title: { text: "OOM above the 2026 frontier" } },
  }, { displayModeBar: false, responsive: true });
}

function drawWaystations(res) {
  const body = $("waystations-table").querySelector("tbody");
  body.replaceChildren();
  for (const [name, w] of Object.entries(res.waystations)) {
    const row = body.insertRow();
    row.dataset.waystation = name;
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
  const body = { ...requestBody(), strategies: [base, other] };
  delete body.strategy;
  setStatus("running", `comparing ${base} with ${other}…`);
  const r = await api("/api/compare", body);
  if (!r.ok) { showErrors(r.data.errors, null, "Comparison failed"); setStatus("error", "comparison failed"); return; }
  window.lastComparison = r.data;
  const head = table.querySelector("thead"), rows = table.querySelector("tbody");
  head.innerHTML = "<tr><th>outcome</th><th></th><th></th><th>difference (95% interval)</th></tr>";
  head.rows[0].cells[1].textContent = base;
  head.rows[0].cells[2].textContent = other;
  rows.replaceChildren();
  const diffs = (r.data.differences || {})[other] || {};
  for (const o of OUTCOMES) {
    const row = rows.insertRow();
    row.className = "compare-row";
    row.dataset.outcome = o;
    const d = diffs[o] || {};
    const sign = (v) => (v > 0 ? "+" : "") + fmt(v, 4);
    for (const text of [OUTCOME_LABELS[o], fmt(r.data.strategies[base].probabilities[o], 4),
      fmt(r.data.strategies[other].probabilities[o], 4),
      d.estimate === undefined ? "—" : `${sign(d.estimate)} [${sign(d.low)}, ${sign(d.high)}]`]) {
      row.insertCell().textContent = text;
    }
  }
  setStatus("idle", `compared ${base} with ${other} on ${body.worlds.toLocaleString()} worlds`);
}

async function valueLevers() {
  const body = requestBody();
  setStatus("running", "valuing levers…");
  const r = await api("/api/levers", body);
  if (!r.ok) { showErrors(r.data.errors, null, "Lever values failed"); setStatus("error", "lever values failed"); return; }
  const rows = $("levers-table").querySelector("tbody");
  rows.replaceChildren();
  const interval = (d) => (d ? `${fmt(d.estimate, 4)} [${fmt(d.low, 4)}, ${fmt(d.high, 4)}]` : "—");
  for (const lever of r.data.levers) {
    const row = rows.insertRow();
    for (const text of [lever.name, lever.scope, fmt(lever.cost, 1), interval(lever.derivative), interval(lever.per_cost)]) {
      row.insertCell().textContent = text;
    }
  }
  setStatus("idle", `valued ${r.data.levers.length} levers on ${body.worlds.toLocaleString()} worlds`);
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

// ---------- start -----------------------------------------------------------

async function start() {
  const [reg, strategies, scenarios] = await Promise.all([api("/api/registry"), api("/api/strategies"), api("/api/scenarios")]);
  if (!reg.ok || !strategies.ok || !scenarios.ok) { setStatus("error", "could not reach the server"); return; }
  state.registry = reg.data;
  for (const p of reg.data.params) state.params[p.name] = p;
  for (const l of reg.data.levers) state.levers[l.name] = l;
  for (const s of strategies.data) state.strategies[s.name] = s;
  $("worlds").max = reg.data.limits.max_worlds;
  const query = new URLSearchParams(window.location.search);  // ?worlds=500&seed=3
  for (const id of ["worlds", "seed"]) if (/^\d+$/.test(query.get(id) || "")) $(id).value = query.get(id);
  const select = $("scenario-select");
  for (const s of scenarios.data) { const o = new Option(s.name, s.name); o.title = s.description; select.append(o); }
  fillStrategySelect($("compare-strategy"), null);
  $("compare-strategy").value = "cautious-lab" in state.strategies ? "cautious-lab" : Object.keys(state.strategies)[1];
  select.addEventListener("change", () => { if (select.value !== UPLOAD) loadShipped(select.value); });
  $("upload").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files[0]); });
  $("strategy-select").addEventListener("change", () => { describeStrategy(); scheduleRun(); });
  for (const id of ["worlds", "seed"]) $(id).addEventListener("change", scheduleRun);
  $("run-button").addEventListener("click", runNow);
  $("diagram-actor").addEventListener("change", () => drawDiagram(window.lastResult));
  $("compare-run").addEventListener("click", compare);
  $("levers-run").addEventListener("click", valueLevers);
  $("download-yaml").addEventListener("click", downloadYaml);
  $("download-csv").addEventListener("click", downloadCsv);
  $("download-json").addEventListener("click", downloadJson);
  select.value = "default" in Object.fromEntries(scenarios.data.map((s) => [s.name, 1])) ? "default" : scenarios.data[0].name;
  await loadShipped(select.value);
}

document.addEventListener("DOMContentLoaded", start);
