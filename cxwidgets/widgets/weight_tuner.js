// WeightTuner: panels of sliders (<details>, one open at a time) beside three bar charts (MIS by
// moment, by stage, by a dimension of the accounts). Plain ES module, vanilla DOM, no imports:
// static/prelude.js (the DOM helpers h, svg and the status words) is joined before it in Python.
// All text goes through textContent / setAttribute: never innerHTML. A slider move sets
// `values` in Python, which debounces, sets the model and sends back `views` (the rows of the
// three charts: aggregates only) or a `message` and the last good `values` (the slider springs
// back). No ipywidgets, no chart library: it draws in every host anywidget reaches.

const CHARTS = {
  moment: { label: 190, plot: 200 },
  stage: { label: 150, plot: 150 },
  segment: { label: 120, plot: 150 },
};
const TEXT_W = 130; // room for "88.3 · Green · ▲2" after a bar
const ROW = 22;
const TOP = 26;
const AXIS = 34;

function clip(text, n) {
  const s = String(text);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function drawChart(view, level) {
  const size = CHARTS[level] || CHARTS.stage;
  const rows = (view && view.rows) || [];
  const title = (view && view.title) || "";
  const W = size.label + size.plot + TEXT_W;
  const H = TOP + Math.max(rows.length, 1) * ROW + AXIS;
  const x = (v) => size.label + (Math.max(0, Math.min(100, v)) / 100) * size.plot;
  const root = svg("svg", {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": title, class: "cxwt-svg",
  });
  root.append(svg("rect", { class: "background", x: 0, y: 0, width: W, height: H, fill: "none" }));
  root.append(svg("text", { class: "cxwt-title", x: 0, y: 16 }, title));
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const g = svg("g", { class: "cxwt-row", "data-status": r.status });
    g.append(svg("title", {}, `${r.label}: ${r.text}`));
    g.append(svg("text", { class: "cxwt-label", x: size.label - 6, y: y + ROW / 2, "text-anchor": "end",
      "dominant-baseline": "middle" }, clip(r.label, Math.floor(size.label / 6.5))));
    const end = r.mis === null || r.mis === undefined ? x(0) : x(r.mis);
    g.append(svg("rect", { class: `cxwt-bar cxwt-${r.status}`, x: size.label, y: y + ROW * 0.15,
      width: Math.max(end - size.label, 0), height: ROW * 0.7 }));
    g.append(svg("text", { class: "cxwt-value", x: end + 4, y: y + ROW / 2, "dominant-baseline": "middle" }, r.text));
    root.append(g);
  });
  const axisY = TOP + Math.max(rows.length, 1) * ROW + 2;
  const axis = svg("g", { class: "role-axis" });
  axis.append(svg("line", { x1: size.label, x2: size.label + size.plot, y1: axisY, y2: axisY }));
  for (const t of [0, 25, 50, 75, 100]) {
    axis.append(svg("line", { x1: x(t), x2: x(t), y1: axisY, y2: axisY + 4 }));
    axis.append(svg("text", { class: "cxwt-tick", x: x(t), y: axisY + 15, "text-anchor": "middle" }, t));
  }
  axis.append(svg("text", { class: "cxwt-tick", x: size.label + size.plot / 2, y: axisY + 29, "text-anchor": "middle" },
    "MIS (0-100)"));
  root.append(axis);
  return root;
}

function render({ model, el }) {
  const root = h("div", { className: "cxwt cx-weight-tuner", role: "region", "aria-label": "Weight tuner" });
  el.appendChild(root);
  // keys pressed in the tuner (arrows on a slider, text in the path) are the tuner's: the
  // notebook around it must not take them as its own shortcuts (JupyterLab moves between cells)
  root.addEventListener("keydown", (e) => e.stopPropagation());
  const prefix = Math.random().toString(36).slice(2, 8);
  let seq = 0;
  let inputs = {}; // slider key -> {range, out, row}
  let settingsEls = null;

  function send(op, args = {}) {
    seq += 1;
    model.set("request", { id: `${prefix}-${seq}`, op, args });
    model.save_changes();
  }

  const message = h("div", { className: "cx-tuner-message", "aria-live": "polite" });
  const panels = h("div", { className: "cxwt-panels" });
  const picker = h("select", { className: "cxwt-by-select", "aria-label": "MIS by" });
  const charts = {
    moment: h("div", { className: "cx-chart", dataset: { level: "moment" } }),
    stage: h("div", { className: "cx-chart", dataset: { level: "stage" } }),
    segment: h("div", { className: "cx-chart", dataset: { level: "segment" } }),
  };
  const byBox = h("div", { className: "cxwt-by-box" },
    h("label", { className: "cxwt-by" }, h("span", { text: "MIS by" }), picker), charts.segment);
  const right = h("div", { className: "cxwt-charts" }, charts.moment,
    h("div", { className: "cxwt-small" }, charts.stage, byBox));
  const ranks = h("div", { className: "cxwt-ranks" });
  const path = h("input", { type: "text", className: "cxwt-path", "aria-label": "Save to" });
  const actions = h("div", { className: "cxwt-actions" },
    h("button", { type: "button", className: "cxwt-reset", title: "Back to the journey's weights", text: "Reset",
      onClick: () => send("reset") }),
    h("label", { className: "cxwt-path-label" }, h("span", { text: "Save to" }), path),
    h("button", { type: "button", className: "cxwt-save", title: "Write the tuned journey file", text: "Save config",
      onClick: () => send("save") }));
  root.append(message, h("div", { className: "cxwt-body" }, panels, right), ranks, actions);

  picker.addEventListener("change", () => {
    model.set("by", picker.value);
    model.save_changes();
  });
  path.addEventListener("change", () => {
    model.set("path", path.value);
    model.save_changes();
  });

  function setValue(key, v) {
    model.set("values", { ...model.get("values"), [key]: v });
    model.save_changes();
  }

  function sliderRow(row) {
    seq += 1;
    const id = `${prefix}-s${seq}`;
    const range = h("input", { type: "range", id, min: 0, step: row.step, title: row.tooltip,
      "aria-label": row.tooltip });
    const out = h("output", { className: "cxwt-readout", for: id });
    const div = h("div", { className: "cxwt-slider", dataset: { key: row.key } },
      h("label", { for: id, title: row.tooltip, text: row.label }), range, out);
    range.addEventListener("input", () => {
      const v = Number(range.value);
      out.textContent = v.toFixed(2);
      setValue(row.key, v);
    });
    inputs[row.key] = { range, out, div };
    return div;
  }

  function settingsRows() {
    const select = h("select", { className: "cxwt-missing", "aria-label": "A missing signal" });
    for (const [value, label] of model.get("missing_options") || []) select.append(h("option", { value, text: label }));
    const box = h("input", { type: "checkbox", className: "cxwt-arr", title: "multiply each account's weight in the roll-ups by its ARR" });
    select.addEventListener("change", () => {
      model.set("settings", { ...model.get("settings"), missing: select.value });
      model.save_changes();
    });
    box.addEventListener("change", () => {
      model.set("settings", { ...model.get("settings"), arr_weighting: box.checked });
      model.save_changes();
    });
    settingsEls = { select, box };
    return [
      h("label", { className: "cxwt-setting" }, h("span", { text: "A missing signal" }), select),
      h("label", { className: "cxwt-setting" }, box, h("span", { text: "Weight accounts by ARR" })),
    ];
  }

  function buildPanels() {
    panels.replaceChildren();
    inputs = {};
    settingsEls = null;
    (model.get("sections") || []).forEach((sec, i) => {
      const body = h("div", { className: "cxwt-section-body" });
      if (sec.settings) body.append(...settingsRows());
      for (const row of sec.rows || []) {
        body.append(row.heading !== undefined ? h("div", { className: "cx-tuner-moment", text: row.heading }) : sliderRow(row));
      }
      const det = h("details", { className: "cxwt-section", dataset: { index: String(i) } },
        h("summary", { text: sec.title }), body);
      det.addEventListener("toggle", () => {
        if (!det.open || model.get("open_section") === i) return;
        for (const other of panels.querySelectorAll("details")) if (other !== det) other.open = false;
        model.set("open_section", i);
        model.save_changes();
      });
      panels.append(det);
    });
    updateOpen();
    updateValues();
    updateSettings();
    updateFocus();
  }

  function updateOpen() {
    const open = model.get("open_section");
    for (const det of panels.querySelectorAll("details")) det.open = Number(det.dataset.index) === open;
  }

  function updateValues() {
    const values = model.get("values") || {};
    const maxima = model.get("maxima") || {};
    for (const [key, { range, out }] of Object.entries(inputs)) {
      if (maxima[key] !== undefined) range.max = String(maxima[key]);
      const v = values[key];
      if (typeof v !== "number") continue;
      if (Number(range.value) !== v) range.value = String(v);
      out.textContent = v.toFixed(2);
    }
  }

  function updateSettings() {
    if (!settingsEls) return;
    const s = model.get("settings") || {};
    settingsEls.select.value = s.missing;
    settingsEls.box.checked = Boolean(s.arr_weighting);
  }

  function updateFocus() {
    const focused = new Set(model.get("focused") || []);
    for (const [key, { div }] of Object.entries(inputs)) div.classList.toggle("cx-focus", focused.has(key));
  }

  function drawCharts() {
    const views = model.get("views") || {};
    for (const [level, box] of Object.entries(charts)) box.replaceChildren(drawChart(views[level], level));
  }

  function updatePicker() {
    const by = model.get("by");
    const options = model.get("by_options") || [];
    picker.replaceChildren(...options.map((o) => h("option", { value: o, text: o })));
    picker.value = by;
  }

  function showMessage() {
    const text = model.get("message") || "";
    const kind = model.get("message_kind") || "";
    message.replaceChildren();
    if (!text) return;
    message.append(h("span", { className: kind === "error" ? "cx-tuner-error" : "cx-tuner-ok",
      role: kind === "error" ? "alert" : "status", text }));
  }

  function showRanks() {
    ranks.textContent = model.get("ranks") || "";
  }

  function showPath() {
    if (document.activeElement !== path) path.value = model.get("path") || "";
  }

  const handlers = {
    "change:sections": buildPanels,
    "change:missing_options": buildPanels,
    "change:values": updateValues,
    "change:maxima": updateValues,
    "change:settings": updateSettings,
    "change:open_section": updateOpen,
    "change:focused": updateFocus,
    "change:views": drawCharts,
    "change:by": updatePicker,
    "change:by_options": updatePicker,
    "change:message": showMessage,
    "change:message_kind": showMessage,
    "change:ranks": showRanks,
    "change:path": showPath,
  };
  for (const [e, fn] of Object.entries(handlers)) model.on(e, fn);
  buildPanels();
  drawCharts();
  updatePicker();
  showMessage();
  showRanks();
  showPath();
  return () => {
    for (const [e, fn] of Object.entries(handlers)) model.off(e, fn);
    root.remove();
  };
}

export default { render };
