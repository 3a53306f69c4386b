// ThresholdTuner: a histogram of a target over the accounts with green / amber / red bands set
// by two handles on its x axis. Plain ES module, vanilla DOM, no imports: static/prelude.js (the
// DOM helpers h, svg and the status words) is joined before it in Python. All text goes through
// textContent / setAttribute: never innerHTML. The handles snap to bin edges; moving one moves
// the handle, the bands and their colours here at once and sets `green` / `amber` in Python,
// which computes the band summary (Bins.band_summary, the one computation), writes the
// thresholds into the journey and sends back `bands` (or an `error` and the last good
// thresholds). Until `bands` answers for the handles' edges, the numbers are marked busy.

const W = 720; // chart viewBox width: the chart scales with the widget's width
const H = 230;
const ML = 52; // margins of the plot inside the viewBox
const MR = 16;
const MT = 30;
const MB = 36;
const PW = W - ML - MR;
const PH = H - MT - MB;
const BAND = STATUS; // the bands' icons and words (prelude.js)
const RECALLS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

function num(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  const r = Number(v.toPrecision(6));
  return Math.abs(r) >= 1000 ? r.toLocaleString("en-US") : String(r);
}

function pct(x, digits = 0) {
  return typeof x === "number" && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "—";
}

function capital(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function count(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : "—";
}

function niceTicks(lo, hi, target = 6) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / target;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => span / s <= target) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * span; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

// ---- the widget -------------------------------------------------------------------------------------

function render({ model, el }) {
  const root = h("div", { className: "cxtt", role: "region", "aria-label": "Threshold tuner" });
  el.appendChild(root);
  const prefix = Math.random().toString(36).slice(2, 8);
  let seq = 0;
  let refs = null; // elements updated in place when a handle moves
  let drag = null;

  function send(op, args = {}) {
    seq += 1;
    model.set("request", { id: `${prefix}-${seq}`, op, args });
    model.save_changes();
  }

  function state() {
    const bins = model.get("bins") || [];
    const info = model.get("info") || {};
    const edges = bins.length ? [bins[0].lo, ...bins.map((b) => b.hi)] : [];
    const higher = info.higher_is_better !== false;
    const allowed = info.allowed || [0, Math.max(edges.length - 1, 0)];
    return { bins, info, edges, higher, allowed, hasOutcome: Boolean(info.outcome) };
  }

  // The x axis: linear over the bins, except a long-tail last bin (much wider than the others:
  // see bin_edges in cxwidgets/analysis/thresholds.py), drawn one standard bin wide.
  function axis(st) {
    const { bins, edges } = st;
    const lo = edges[0];
    const hi = edges[edges.length - 1];
    const widths = bins.map((b) => b.hi - b.lo).sort((a, b) => a - b);
    const step = widths[Math.floor(widths.length / 2)] || 1;
    const last = bins[bins.length - 1];
    const tail = bins.length > 2 && last.hi - last.lo > 3 * step ? { from: last.lo, to: last.hi } : null;
    const cap = tail ? tail.from : hi;
    const span = tail ? cap - lo + step : hi - lo || 1;
    const toFrac = (v) => (!tail || v <= cap ? (v - lo) / span : (cap - lo + ((v - cap) / (tail.to - cap)) * step) / span);
    const fromFrac = (f) => {
      const x = f * span;
      return !tail || x <= cap - lo ? lo + x : cap + ((x - (cap - lo)) / step) * (tail.to - cap);
    };
    return { lo, hi, cap, step, tail, toFrac, fromFrac };
  }

  function edgeIndex(edges, v, allowed) {
    let best = allowed[0];
    for (let k = allowed[0]; k <= allowed[1]; k += 1) if (Math.abs(edges[k] - v) < Math.abs(edges[best] - v)) best = k;
    return best;
  }

  // left handle = the lower value: amber when higher is better, green when lower is better
  function handleNames(higher) {
    return higher ? ["amber", "green"] : ["green", "amber"];
  }

  function bandOf(i, kGreen, kAmber, higher) {
    if (higher) return i < kAmber ? "red" : i < kGreen ? "amber" : "green";
    return i < kGreen ? "green" : i < kAmber ? "amber" : "red";
  }

  function unitText(info) {
    return info.unit ? ` ${info.unit}` : "";
  }

  function rulesText(info, green, amber, higher) {
    const u = unitText(info);
    if (higher) return [["red", `below ${num(amber)}${u}`], ["amber", `${num(amber)} to below ${num(green)}${u}`], ["green", `${num(green)}${u} and above`]];
    return [["green", `${num(green)}${u} or less`], ["amber", `above ${num(green)} to ${num(amber)}${u}`], ["red", `above ${num(amber)}${u}`]];
  }

  function chip(band) {
    const b = BAND[band];
    return h("span", { className: `cxtt-chip cxtt-chip-${band}` }, h("span", { "aria-hidden": "true", text: b.icon }), ` ${b.label}`);
  }

  // ---- building (when the target, its bins or the messages change) ---------------------------------

  function header(info) {
    const targets = model.get("targets") || [];
    const current = model.get("target");
    const picker = h(
      "select",
      {
        className: "cxtt-target",
        "aria-label": "What to tune",
        dataset: { key: "target" },
        onChange: (ev) => {
          model.set("target", ev.target.value);
          model.save_changes();
        },
      },
      targets.map((t) => h("option", { value: t.key, text: t.label, selected: t.key === current })),
    );
    // the bands per group of a dimension (Python sends group_bands), or all accounts only
    const dims = model.get("dimensions") || [];
    const by = model.get("by");
    const byPicker = h(
      "select",
      {
        className: "cxtt-by",
        "aria-label": "Show the bands per group of",
        dataset: { key: "by" },
        onChange: (ev) => {
          model.set("by", ev.target.value === "" ? null : ev.target.value);
          model.save_changes();
        },
      },
      h("option", { value: "", text: "all accounts", selected: by === null || by === undefined }),
      dims.map((d) => h("option", { value: d, text: `each ${d}`, selected: d === by })),
    );
    return h(
      "div",
      { className: "cxtt-header" },
      h("div", { className: "cxtt-title", role: "heading", "aria-level": "3", text: "Thresholds" }),
      h("label", { className: "cxtt-picker" }, h("span", { text: "Tune " }), picker),
      dims.length ? h("label", { className: "cxtt-picker" }, h("span", { text: "Bands for " }), byPicker) : null,
      info.outcome ? h("span", { className: "cxtt-outcome", text: `Outcome: ${info.outcome}` }) : h("span", { className: "cxtt-outcome", text: "No outcome given: counts only" }),
    );
  }

  function errorBanner() {
    const message = model.get("error");
    if (!message) return null;
    return h(
      "div",
      { className: "cxtt-error", role: "alert" },
      h("strong", { text: "Not applied: " }),
      h("span", { className: "cxtt-error-text", text: message }),
      h("button", {
        className: "cxtt-btn cxtt-error-close",
        type: "button",
        "aria-label": "Dismiss message",
        text: "×",
        onClick: () => {
          model.set("error", "");
          model.save_changes();
        },
      }),
    );
  }

  function chart(st) {
    const { bins, edges, info } = st;
    const ax = axis(st);
    const { lo, cap, step, tail } = ax;
    const xOf = (v) => ML + ax.toFrac(v) * PW;
    // per standard step: an honest histogram (the long-tail bin is drawn one step wide)
    const heights = bins.map((b, i) => (tail && i === bins.length - 1 ? b.n : (b.n * step) / (b.hi - b.lo)));
    const top = Math.max(1, ...heights);
    const yOf = (v) => MT + PH - (v / top) * PH;
    const g = svg("svg", { class: "cxtt-svg", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Histogram of ${info.label || "the target"} over the accounts` });
    const regions = {};
    for (const band of ["red", "amber", "green"]) {
      regions[band] = svg("rect", { class: `cxtt-region cxtt-region-${band}`, y: MT, height: PH });
      g.append(regions[band]);
    }
    for (const t of niceTicks(0, top, 4)) {
      g.append(svg("line", { class: "cxtt-grid", x1: ML, x2: W - MR, y1: yOf(t), y2: yOf(t) }));
      g.append(svg("text", { class: "cxtt-axis", x: ML - 6, y: yOf(t) + 4, "text-anchor": "end" }, count(Math.round(t))));
    }
    const bars = bins.map((b, i) => {
      const x0 = xOf(b.lo);
      const x1 = xOf(b.hi);
      const r = svg("rect", { class: "cxtt-bar", x: x0 + 0.3, width: Math.max(x1 - x0 - 0.6, 0.6), y: yOf(heights[i]), height: MT + PH - yOf(heights[i]) });
      r.append(svg("title", {}, `${num(b.lo)} to ${num(b.hi)}: ${count(b.n)} accounts${st.hasOutcome ? `, ${count(b.events)} ${info.outcome}` : ""}`));
      g.append(r);
      return r;
    });
    g.append(svg("line", { class: "cxtt-axis-line", x1: ML, x2: W - MR, y1: MT + PH, y2: MT + PH }));
    for (const t of niceTicks(lo, cap, tail ? 6 : 7)) {
      g.append(svg("line", { class: "cxtt-axis-line", x1: xOf(t), x2: xOf(t), y1: MT + PH, y2: MT + PH + 4 }));
      g.append(svg("text", { class: "cxtt-axis", x: xOf(t), y: MT + PH + 17, "text-anchor": "middle" }, num(t)));
    }
    if (tail) {
      // the long tail: one bar, labelled with where it ends
      g.append(svg("text", { class: "cxtt-axis cxtt-tail", x: xOf(tail.to), y: MT + PH + 30, "text-anchor": "end" }, `last bar: ${num(tail.from)} to ${num(tail.to)}`));
    }
    g.append(svg("text", { class: "cxtt-axis-title", x: ML + PW / 2, y: H - 3, "text-anchor": "middle" }, info.axis || info.label || ""));
    g.append(svg("text", { class: "cxtt-axis-title", x: 4, y: 14 }, step === 1 ? "accounts" : `accounts per ${num(step)}`));
    const labels = {};
    for (const band of ["red", "amber", "green"]) {
      labels[band] = svg("text", { class: "cxtt-region-label", y: MT - 8, "text-anchor": "middle" });
      g.append(labels[band]);
    }
    const lines = {
      green: svg("line", { class: "cxtt-cut cxtt-cut-green", y1: MT - 2, y2: MT + PH }),
      amber: svg("line", { class: "cxtt-cut cxtt-cut-amber", y1: MT - 2, y2: MT + PH }),
    };
    g.append(lines.green, lines.amber);
    return { g, bars, regions, labels, lines, xOf };
  }

  function rail(st) {
    const track = h("div", { className: "cxtt-track" });
    const wrap = h("div", { className: "cxtt-rail", style: `padding: 0 ${(MR / W) * 100}% 0 ${(ML / W) * 100}%` }, track);
    const handles = {};
    for (const name of ["amber", "green"]) {
      const label = h("span", { className: "cxtt-handle-label" });
      const knob = h("div", {
        className: `cxtt-handle cxtt-handle-${name}`,
        role: "slider",
        tabindex: "0",
        "aria-label": `${BAND[name].label} threshold`,
        "aria-orientation": "horizontal",
        dataset: { key: `handle-${name}`, name },
        onKeydown: (ev) => onKey(ev, name),
        onPointerdown: (ev) => startDrag(ev, name),
      });
      const box = h("div", { className: `cxtt-handle-box cxtt-handle-box-${name}` }, knob, label);
      track.append(box);
      handles[name] = { box, knob, label };
    }
    return { wrap, track, handles };
  }

  function table(st) {
    const outcome = st.info.outcome;
    const head = h(
      "tr",
      {},
      h("th", { scope: "col", text: "Band" }),
      h("th", { scope: "col", text: "Rule" }),
      h("th", { scope: "col", className: "cxtt-num", text: "Accounts" }),
      h("th", { scope: "col", className: "cxtt-num", text: "Share" }),
      outcome ? h("th", { scope: "col", className: "cxtt-num", text: capital(outcome) }) : null,
      outcome ? h("th", { scope: "col", className: "cxtt-num", text: `${capital(outcome)} rate` }) : null,
    );
    const rows = {};
    const order = st.higher ? ["red", "amber", "green"] : ["green", "amber", "red"];
    const body = h("tbody");
    for (const band of order) {
      const cells = {
        rule: h("td", { className: "cxtt-rule" }),
        n: h("td", { className: "cxtt-num cxtt-n" }),
        share: h("td", { className: "cxtt-num" }),
        events: outcome ? h("td", { className: "cxtt-num" }) : null,
        rate: outcome ? h("td", { className: "cxtt-num cxtt-rate" }) : null,
      };
      body.append(h("tr", { className: `cxtt-row cxtt-row-${band}`, dataset: { band } }, h("td", {}, chip(band)), cells.rule, cells.n, cells.share, cells.events, cells.rate));
      rows[band] = cells;
    }
    return { el: h("table", { className: "cxtt-table" }, h("thead", {}, head), body), rows };
  }

  // One small table per group of the chosen dimension: the band summary Python computed over
  // that group's accounts (Bins.band_summary per group), sent in group_bands.
  function groupTables(st) {
    const groups = model.get("group_bands") || [];
    const by = model.get("by");
    if (!by || !groups.length) return [];
    const outcome = st.info.outcome;
    const order = st.higher ? ["red", "amber", "green"] : ["green", "amber", "red"];
    return groups.map((g) => {
      const head = h(
        "tr",
        {},
        h("th", { scope: "col", text: "Band" }),
        h("th", { scope: "col", className: "cxtt-num", text: "Accounts" }),
        h("th", { scope: "col", className: "cxtt-num", text: "Share" }),
        outcome ? h("th", { scope: "col", className: "cxtt-num", text: `${capital(outcome)} rate` }) : null,
      );
      const rows = order.map((band) => {
        const b = g[band] || EMPTY;
        return h(
          "tr",
          { className: `cxtt-group-row cxtt-group-row-${band}`, dataset: { band } },
          h("td", {}, chip(band)),
          h("td", { className: "cxtt-num cxtt-group-n", text: count(b.n) }),
          h("td", { className: "cxtt-num", text: pct(b.share) }),
          outcome ? h("td", { className: "cxtt-num cxtt-group-rate", text: b.known ? `${pct(b.rate, 1)} (${count(b.events)})` : "—" }) : null,
        );
      });
      const facts = outcome
        ? h("div", { className: "cxtt-group-facts", text: `Red: precision ${pct(g.precision, 1)}, recall ${pct(g.recall, 1)} of ${count(g.events)} ${outcome}` })
        : null;
      const caption = h("caption", {}, h("span", { className: "cxtt-group-name", text: g.group }), h("span", { className: "cxtt-label", text: ` · ${count(g.n)} accounts` }));
      return h(
        "div",
        { className: "cxtt-group", dataset: { group: g.group } },
        h("table", { className: "cxtt-table cxtt-group-table" }, caption, h("thead", {}, head), h("tbody", {}, rows)),
        facts,
      );
    });
  }

  function renderGroups() {
    if (!refs || !refs.groups) return;
    const by = model.get("by");
    const tables = groupTables(refs.st);
    refs.groups.replaceChildren(
      ...(tables.length ? [h("div", { className: "cxtt-groups-title", role: "heading", "aria-level": "4", text: `Bands for each ${by}` }), h("div", { className: "cxtt-groups-grid" }, tables)] : []),
    );
    refs.groups.hidden = !tables.length;
  }

  function suggestion(st) {
    const s = model.get("suggested") || {};
    if (!st.hasOutcome) return null;
    const recall = model.get("target_recall");
    const picker = h(
      "select",
      {
        className: "cxtt-recall",
        "aria-label": "Target recall of red",
        dataset: { key: "recall" },
        onChange: (ev) => {
          model.set("target_recall", Number(ev.target.value));
          model.save_changes();
        },
      },
      (RECALLS.includes(recall) ? RECALLS : [...RECALLS, recall].sort()).map((r) => h("option", { value: String(r), text: pct(r), selected: r === recall })),
    );
    // a pair whose red band does not separate the outcome is shown as evidence, not offered as a suggestion
    const weak = typeof s.green === "number" && !s.separates;
    const lead = weak ? "Best red band that catches at least " : "Suggest thresholds so red catches at least ";
    const box = h("div", { className: "cxtt-suggest" }, h("label", {}, h("span", { text: lead }), picker, h("span", { text: ` of ${st.info.outcome}${weak ? " (no suggestion)" : ""}:` })));
    if (typeof s.green === "number") {
      const u = unitText(st.info);
      const two = (x) => num(Math.round((x || 0) * 100) / 100);
      // the evidence: the red band's lift (rate in red / overall rate) with its 95% interval
      const interval = typeof s.lift_low === "number" ? `, 95% interval ${two(s.lift_low)} to ${typeof s.lift_high === "number" ? two(s.lift_high) : "∞"}` : "";
      box.append(
        h("span", {
          className: "cxtt-suggest-text",
          text: ` amber ${num(s.amber)}${u}, green ${num(s.green)}${u}; red would catch ${pct(s.recall)} at precision ${pct(s.precision)} (lift ${two(s.lift)}×${interval}).`,
        }),
      );
      if (s.separates) {
        box.append(h("button", { className: "cxtt-btn cxtt-take", type: "button", text: "Use suggestion", dataset: { key: "take" }, onClick: () => send("take_suggestion") }));
      } else {
        // no plain suggestion: the red band warns no better than chance at this sample size
        box.classList.add("cxtt-suggest-weak");
        box.append(h("button", { className: "cxtt-btn cxtt-take-anyway", type: "button", text: "Use anyway", title: "These thresholds do not separate the outcome; apply them all the same", dataset: { key: "take-anyway" }, onClick: () => send("take_suggestion", { force: true }) }));
      }
      if (s.note) box.append(h("div", { className: "cxtt-note", role: s.separates ? null : "status", text: s.note }));
    } else if (s.note) {
      box.append(h("span", { className: "cxtt-note", text: ` ${s.note}` }));
    }
    return box;
  }

  function build() {
    const focus = captureFocus();
    const st = state();
    const parts = [header(st.info), errorBanner()];
    if (!st.bins.length) {
      parts.push(h("p", { className: "cxtt-empty", text: "No values to show." }));
      root.replaceChildren(...parts.filter(Boolean));
      refs = null;
      return;
    }
    const c = chart(st);
    const r = rail(st);
    const t = table(st);
    const rules = h("div", { className: "cxtt-rules", "aria-live": "polite" });
    const warning = st.hasOutcome ? h("div", { className: "cxtt-warning", "aria-live": "polite" }) : null;
    const notes = (st.info.notes || []).map((n) => h("li", { text: n }));
    const tools = h(
      "div",
      { className: "cxtt-tools" },
      h("button", { className: "cxtt-btn cxtt-reset", type: "button", text: "Reset", title: "Back to the journey's thresholds", dataset: { key: "reset" }, onClick: () => send("reset") }),
    );
    const groups = h("div", { className: "cxtt-groups", "aria-live": "polite" });
    parts.push(
      h("div", { className: "cxtt-chart" }, c.g, r.wrap),
      rules,
      h("div", { className: "cxtt-body" }, t.el, h("div", { className: "cxtt-side" }, warning, suggestion(st), tools)),
      groups,
      notes.length ? h("ul", { className: "cxtt-notes" }, notes) : null,
    );
    root.replaceChildren(...parts.filter(Boolean));
    refs = { st, chart: c, rail: r, table: t, rules, warning, groups };
    lastSummary = null; // a new target: only its own summary
    update();
    renderGroups();
    restoreFocus(focus);
  }

  // ---- updating in place (when a handle moves) -------------------------------------------------------

  function current() {
    const { st } = refs;
    const kg = edgeIndex(st.edges, model.get("green"), st.allowed);
    const ka = edgeIndex(st.edges, model.get("amber"), st.allowed);
    return { kg, ka };
  }

  // The band summary Python computed (Bins.band_summary) when it is for the handles' edges;
  // while a move is on its way to Python, the last summary, marked busy (aria-busy, dimmed).
  const EMPTY = { n: null, share: null, known: null, events: null, rate: null };
  let lastSummary = null;
  function summary(st, kg, ka) {
    const b = model.get("bands") || {};
    const fresh = typeof b.green_at === "number" && edgeIndex(st.edges, b.green_at, st.allowed) === kg && edgeIndex(st.edges, b.amber_at, st.allowed) === ka;
    if (fresh) lastSummary = b;
    const src = (fresh ? b : lastSummary) || {};
    const s = { ...src, precision: src.precision ?? null, recall: src.recall ?? null, lift: src.lift ?? null, base_rate: src.base_rate ?? null };
    for (const band of ["red", "amber", "green"]) s[band] = src[band] || EMPTY;
    for (const el of [refs.table.el, refs.warning]) {
      if (!el) continue;
      if (fresh) el.removeAttribute("aria-busy");
      else el.setAttribute("aria-busy", "true");
    }
    return s;
  }

  function update() {
    if (!refs) return;
    const bins = model.get("bins") || [];
    if (bins.length !== refs.st.bins.length || bins[0].lo !== refs.st.bins[0].lo) {
      build();
      return;
    }
    const { st, chart: c, rail: r, table: t } = refs;
    const { kg, ka } = current();
    const green = st.edges[kg];
    const amber = st.edges[ka];
    const s = summary(st, kg, ka);
    c.bars.forEach((bar, i) => bar.setAttribute("class", `cxtt-bar cxtt-bar-${bandOf(i, kg, ka, st.higher)}`));
    const lo = st.edges[0];
    const hi = st.edges[st.edges.length - 1];
    const [left, right] = handleNames(st.higher);
    const at = { green, amber };
    const spans = st.higher
      ? { red: [lo, amber], amber: [amber, green], green: [green, hi] }
      : { green: [lo, green], amber: [green, amber], red: [amber, hi] };
    for (const band of ["red", "amber", "green"]) {
      const [a, b] = spans[band];
      const x0 = c.xOf(a);
      const x1 = c.xOf(b);
      c.regions[band].setAttribute("x", x0);
      c.regions[band].setAttribute("width", Math.max(x1 - x0, 0));
      const label = c.labels[band];
      label.setAttribute("x", (x0 + x1) / 2);
      label.textContent = x1 - x0 >= 70 ? `${BAND[band].label} ${count(s[band].n)}` : x1 - x0 >= 34 ? BAND[band].label : "";
    }
    for (const name of ["green", "amber"]) {
      c.lines[name].setAttribute("x1", c.xOf(at[name]));
      c.lines[name].setAttribute("x2", c.xOf(at[name]));
      const hd = r.handles[name];
      const frac = axis(st).toFrac(at[name]);
      hd.box.style.left = `${frac * 100}%`;
      const text = `${BAND[name].label} ${st.higher ? "≥" : "≤"} ${num(at[name])}${unitText(st.info)}`;
      hd.label.textContent = text;
      hd.knob.setAttribute("aria-valuemin", String(st.edges[st.allowed[0]]));
      hd.knob.setAttribute("aria-valuemax", String(st.edges[st.allowed[1]]));
      hd.knob.setAttribute("aria-valuenow", String(at[name]));
      hd.knob.setAttribute("aria-valuetext", text);
    }
    // keep the two labels from overlapping: the left one hangs left, the right one right,
    // each shifted back inside the widget when it would stick out
    r.handles[left].box.classList.add("cxtt-left");
    r.handles[left].box.classList.remove("cxtt-right");
    r.handles[right].box.classList.add("cxtt-right");
    r.handles[right].box.classList.remove("cxtt-left");
    const outer = root.getBoundingClientRect();
    for (const name of [left, right]) {
      const label = r.handles[name].label;
      label.style.transform = "";
      const box = label.getBoundingClientRect();
      if (!box.width || !outer.width) continue;
      const dx = box.left < outer.left + 4 ? outer.left + 4 - box.left : box.right > outer.right - 4 ? outer.right - 4 - box.right : 0;
      if (dx) label.style.transform = `translateX(${dx}px)`;
    }
    const rules = rulesText(st.info, green, amber, st.higher);
    refs.rules.replaceChildren(
      h("span", { className: "cxtt-label", text: "Bands: " }),
      ...rules.flatMap(([band, rule], i) => [i ? h("span", { className: "cxtt-sep", text: " · " }) : null, h("strong", { text: BAND[band].label }), ` ${rule}`]).filter(Boolean),
    );
    for (const [band, rule] of rules) {
      const row = t.rows[band];
      row.rule.textContent = rule;
      row.n.textContent = count(s[band].n);
      row.share.textContent = pct(s[band].share);
      if (row.events) row.events.textContent = count(s[band].events);
      if (row.rate) row.rate.textContent = pct(s[band].rate, 1);
    }
    if (refs.warning) {
      const o = st.info.outcome;
      refs.warning.replaceChildren(
        h("div", { className: "cxtt-warning-title", text: `Red as an early warning of ${o}` }),
        h(
          "div",
          { className: "cxtt-facts" },
          h("div", {}, h("span", { className: "cxtt-label", text: "Precision: " }), h("span", { className: "cxtt-precision", text: `${pct(s.precision, 1)} of red accounts ${o === "churned" ? "churned" : `had ${o}`}` })),
          h("div", {}, h("span", { className: "cxtt-label", text: "Recall: " }), h("span", { className: "cxtt-recall-value", text: `red catches ${pct(s.recall, 1)} of ${o}` })),
          h("div", {}, h("span", { className: "cxtt-label", text: "Lift: " }), h("span", { className: "cxtt-lift", text: s.lift === null ? "—" : `${s.lift.toFixed(2)}× the base rate of ${pct(s.base_rate, 1)}` })),
        ),
      );
    }
  }

  // ---- moving the handles ----------------------------------------------------------------------------

  function bounds(name, st, kg, ka) {
    // a handle stays between the allowed edges and on its side of the other handle
    const strict = st.info.strict !== false ? 1 : 0;
    const [left] = handleNames(st.higher);
    const other = name === "green" ? ka : kg;
    return name === left ? [st.allowed[0], other - strict] : [other + strict, st.allowed[1]];
  }

  function move(name, k) {
    if (!refs) return;
    const { st } = refs;
    const { kg, ka } = current();
    const [a, b] = bounds(name, st, kg, ka);
    const next = Math.max(a, Math.min(b, k));
    if (next === (name === "green" ? kg : ka)) return;
    model.set(name, st.edges[next]);
    model.save_changes();
    update();
  }

  function onKey(ev, name) {
    if (!refs) return;
    const { kg, ka } = current();
    const k = name === "green" ? kg : ka;
    const { st } = refs;
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
    if (ev.key in steps) move(name, k + steps[ev.key]);
    else if (ev.key === "Home") move(name, st.allowed[0]);
    else if (ev.key === "End") move(name, st.allowed[1]);
    else return;
    ev.preventDefault();
  }

  function startDrag(ev, name) {
    if (!refs) return;
    ev.preventDefault();
    const knob = ev.currentTarget;
    knob.focus();
    knob.setPointerCapture(ev.pointerId);
    drag = { name, knob, id: ev.pointerId };
    knob.addEventListener("pointermove", onDrag);
    const stop = () => {
      knob.removeEventListener("pointermove", onDrag);
      knob.removeEventListener("pointerup", stop);
      knob.removeEventListener("pointercancel", stop);
      drag = null;
    };
    knob.addEventListener("pointerup", stop);
    knob.addEventListener("pointercancel", stop);
  }

  function onDrag(ev) {
    if (!drag || !refs) return;
    const rect = refs.rail.track.getBoundingClientRect();
    const { st } = refs;
    const frac = Math.max(0, Math.min(1, (ev.clientX - rect.left) / Math.max(rect.width, 1)));
    move(drag.name, edgeIndex(st.edges, axis(st).fromFrac(frac), st.allowed));
  }

  function captureFocus() {
    const a = document.activeElement;
    return a && root.contains(a) && a.dataset && a.dataset.key ? a.dataset.key : null;
  }

  function restoreFocus(key) {
    if (!key) return;
    const target = [...root.querySelectorAll("[data-key]")].find((n) => n.dataset.key === key);
    if (target) target.focus({ preventScroll: true });
  }

  const rebuildOn = ["bins", "info", "targets", "target", "error", "suggested", "target_recall", "by", "dimensions"].map((k) => `change:${k}`);
  const updateOn = ["green", "amber", "bands"].map((k) => `change:${k}`);
  for (const e of rebuildOn) model.on(e, build);
  for (const e of updateOn) model.on(e, update);
  model.on("change:group_bands", renderGroups);
  build();
  return () => {
    for (const e of rebuildOn) model.off(e, build);
    for (const e of updateOn) model.off(e, update);
    model.off("change:group_bands", renderGroups);
    root.remove();
  };
}

export default { render };
