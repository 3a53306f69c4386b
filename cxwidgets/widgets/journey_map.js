// JourneyMap: stages as columns, moments as cards, an MIS curve and a per-persona emotion curve.
// Plain ES module, vanilla DOM, no imports: static/prelude.js (the DOM helpers h, svg and the
// status words) is joined before it in Python. All user text goes through textContent / value /
// setAttribute on known attributes: never innerHTML. Edits are sent to Python as a `request`
// ({id, op, args}); Python applies them through the Journey's editing methods and sends back
// `journey_data` (or `error`). The map never changes the journey itself, so it always shows the
// last good state.

const COL_W = 204; // stage column width (px) before the map knows its own width
const MIN_W = 168; // narrowest stage column in one row: below this the stages wrap onto rows
const MAX_W = 260;
const FLOOR_W = 120; // narrowest column at all (one stage a row on a very narrow screen)
const PRESENT_SCALE = 1.35; // presentation mode: larger type, so wider columns
const BAND_GAP = 4; // gap between the stage bands of a chart when the stages wrap
const LABEL_H = 18; // the stage names under a chart's bands when the stages wrap
const ADD_W = 170; // the "add a stage" column (workshop mode)
const GAP = 12; // gap between columns
const PAD = 12; // board padding
const AXIS_W = 26; // the charts' axis labels, left of a hint laid over a chart
const EMOTIONS = [
  [2, "+2 very positive"],
  [1, "+1 positive"],
  [0, "0 neutral"],
  [-1, "-1 negative"],
  [-2, "-2 very negative"],
];
const DEFAULT_PERSONA = "Customer";
const MAX_PERSONAS = 5; // cxwidgets.journey.workshop.MAX_PERSONAS
const SCORE = [1, 2, 3, 4, 5]; // an opportunity's scores: cxwidgets.journey.workshop.SCORE_RANGE
const SCORE_NAMES = [
  ["customer_value", "Customer value"],
  ["business_value", "Business value"],
  ["effort", "Effort"],
];

// ---- formatting ---------------------------------------------------------------------------------

function fmt(x, digits = 0) {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "—";
}

function numOrNull(text) {
  const t = String(text).trim();
  if (t === "") return null;
  const x = Number(t);
  return Number.isFinite(x) ? x : t; // let Python say what is wrong with non-numbers
}

function signed(v) {
  return v > 0 ? `+${v}` : String(v);
}

// ---- the widget ---------------------------------------------------------------------------------

function render({ model, el }) {
  const root = h("div", { className: "cxjm", role: "region", "aria-label": "Journey map" });
  el.appendChild(root);
  // pending "delete?" key; column width, stages per row, the map's width, a ballot's votes used
  // ballot: this participant's votes by moment (kept in the page only: the journey keeps totals)
  const ui = { confirm: null, colW: COL_W, perRow: 0, wrapped: false, width: 0, ballot: {} };
  const prefix = Math.random().toString(36).slice(2, 8);
  let seq = 0;

  function send(op, args) {
    seq += 1;
    model.set("request", { id: `${prefix}-${seq}`, op, args });
    model.save_changes();
  }

  function select(name) {
    const current = model.get("selected_moment");
    model.set("selected_moment", current === name ? null : name);
    model.save_changes();
  }

  function setTrait(key, value) {
    model.set(key, value);
    model.save_changes();
  }

  // commit a text field on Enter or when it loses focus (the "change" event)
  function field(tag, props, commit) {
    const input = h(tag, props);
    input.addEventListener("change", () => commit(input.value));
    if (tag === "input") {
      input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") {
          ev.preventDefault();
          input.blur();
        } else if (ev.key === "Escape") {
          input.value = input.defaultValue;
          input.blur();
        }
      });
    }
    return input;
  }

  // what the registries offer (built-ins and plugins): {metrics, aggregates, normalisers, templates}
  function choiceList(kind) {
    const c = model.get("choices") || {};
    return Array.isArray(c[kind]) ? c[kind].map(String) : [];
  }

  // "Start from template": a select of the registered journey templates and an explicit button
  function templatePicker(where) {
    const names = choiceList("templates");
    if (!names.length) return null;
    const pick = h(
      "select",
      { className: "cxjm-template-select", "aria-label": "Journey template", dataset: { key: `template:${where}` } },
      names.map((n) => h("option", { value: n, text: n })),
    );
    return h(
      "span",
      { className: "cxjm-persona cxjm-template" },
      h("span", { text: "Start from template " }),
      pick,
      h("button", {
        className: "cxjm-btn cxjm-btn-add",
        type: "button",
        text: "Load",
        title: "Replace this journey with the template",
        "aria-label": "Start from template",
        dataset: { key: `template-load:${where}` },
        onClick: () => {
          if (pick.value) send("load_template", { name: pick.value });
        },
      }),
    );
  }

  function personas(journey) {
    const names = new Set([...Object.keys(journey.emotions || {}), ...Object.keys(journey.to_be || {})]);
    return [...names];
  }

  function currentPersona(journey) {
    return model.get("persona") || personas(journey)[0] || DEFAULT_PERSONA;
  }

  // ---- header --------------------------------------------------------------------------------

  // "Present" (larger type, no edit controls, the map's full width) and, while presenting,
  // "Full screen" (the browser's, where it allows it) and the way back
  function presentControls(presenting) {
    const box = h("span", { className: "cxjm-present-tools" });
    box.append(
      h("button", {
        className: "cxjm-btn cxjm-present",
        type: "button",
        text: presenting ? "Exit presentation" : "Present",
        title: presenting ? "Back to the map's own controls" : "Larger type, no edit controls, full width: for a projector",
        "aria-pressed": presenting ? "true" : "false",
        dataset: { key: "present" },
        onClick: () => {
          if (presenting && document.fullscreenElement === root && document.exitFullscreen) document.exitFullscreen();
          setTrait("presenting", !presenting);
        },
      }),
    );
    if (presenting && document.fullscreenEnabled && root.requestFullscreen) {
      box.append(
        h("button", {
          className: "cxjm-btn cxjm-fullscreen",
          type: "button",
          text: document.fullscreenElement === root ? "Leave full screen" : "Full screen",
          dataset: { key: "fullscreen" },
          onClick: () => {
            if (document.fullscreenElement === root) document.exitFullscreen();
            else root.requestFullscreen().catch(() => {});
          },
        }),
      );
    }
    return box;
  }

  function header(journey, workshop, nMoments) {
    const presenting = !!model.get("presenting");
    const stages = journey.stages || [];
    const persona = currentPersona(journey);
    const names = personas(journey);
    if (!names.includes(persona)) names.push(persona);
    const picker = h(
      "select",
      {
        className: "cxjm-persona-select",
        "aria-label": "Persona",
        dataset: { key: "persona" },
        onChange: (ev) => setTrait("persona", ev.target.value),
      },
      names.map((n) => h("option", { value: n, text: n, selected: n === persona })),
    );
    const personaBox = h("label", { className: "cxjm-persona" }, h("span", { text: "Persona " }), picker);
    if (workshop && names.length < MAX_PERSONAS) {
      personaBox.append(
        field(
          "input",
          { className: "cxjm-new-persona", placeholder: "New persona…", "aria-label": "New persona", dataset: { key: "new-persona" } },
          (v) => {
            if (v.trim()) setTrait("persona", v.trim());
          },
        ),
      );
    } else if (workshop) {
      personaBox.append(h("span", { className: "cxjm-hint-text", text: `${MAX_PERSONAS} personas: the most one map holds` }));
    }
    const legend = h(
      "div",
      { className: "cxjm-legend", "aria-label": "Legend" },
      ["green", "amber", "red"].map((s) => chip(s)),
      chip(null),
    );
    return h(
      "div",
      { className: "cxjm-header" },
      h(
        "div",
        { className: "cxjm-title-row" },
        h("div", { className: "cxjm-title", role: "heading", "aria-level": "3", text: journey.name || "Journey" }),
        h("span", { className: `cxjm-mode cxjm-mode-${workshop ? "workshop" : "view"}`, text: presenting ? "Presenting" : workshop ? "Workshop" : "View" }),
        h("span", {
          className: "cxjm-count",
          text: `${stages.length} stage${stages.length === 1 ? "" : "s"} · ${nMoments} moment${nMoments === 1 ? "" : "s"}`,
        }),
        presentControls(presenting),
      ),
      h("div", { className: "cxjm-toolbar" }, nMoments ? personaBox : h("span"), workshop && stages.length ? templatePicker("header") : null, legend),
      workshop && nMoments ? votingBar(journey) : null,
    );
  }

  // ---- dot voting: each participant in turn casts their votes on the room's screen ---------------

  function ballotUsed() {
    return Object.values(ui.ballot).reduce((a, b) => a + b, 0);
  }

  function votesLeft(journey) {
    return Math.max(0, (journey.votes_per_participant || 3) - ballotUsed());
  }

  function votingBar(journey) {
    const each = journey.votes_per_participant || 3;
    const left = votesLeft(journey);
    const total = (journey.stages || []).reduce((n, s) => n + (s.moments || []).reduce((k, m) => k + (m.votes || 0), 0), 0);
    const perSelect = h(
      "select",
      {
        className: "cxjm-votes-each",
        "aria-label": "Votes per participant",
        dataset: { key: "votes-each" },
        onChange: (ev) => send("set_votes_per_participant", { votes: Number(ev.target.value) }),
      },
      [1, 2, 3, 4, 5, 6, 8, 10].concat([1, 2, 3, 4, 5, 6, 8, 10].includes(each) ? [] : [each]).map((v) => h("option", { value: String(v), text: String(v), selected: v === each })),
    );
    return h(
      "div",
      { className: "cxjm-voting", role: "group", "aria-label": "Dot voting" },
      h("span", { className: "cxjm-voting-title", text: "Dot voting" }),
      h("label", { className: "cxjm-persona" }, perSelect, h("span", { text: " votes each" })),
      h("span", { className: "cxjm-ballot", "aria-live": "polite", text: `This participant: ${left} of ${each} left` }),
      h("button", {
        className: "cxjm-btn cxjm-next-participant",
        type: "button",
        text: "Next participant",
        title: "Start a new ballot (votes are kept as totals only, never who voted)",
        dataset: { key: "next-participant" },
        onClick: () => {
          ui.ballot = {};
          draw();
        },
      }),
      h("span", { className: "cxjm-votes-total", text: `${total} vote${total === 1 ? "" : "s"} cast` }),
      total
        ? deleteButton("votes", "every vote (a new round)", () => {
            ui.ballot = {};
            send("clear_votes", {});
          }, "Clear votes")
        : null,
    );
  }

  function chip(status) {
    const s = STATUS[status];
    if (!s) return h("span", { className: "cxjm-chip cxjm-chip-none", text: "No data" });
    return h("span", { className: `cxjm-chip cxjm-chip-${status}` }, h("span", { "aria-hidden": "true", text: s.icon }), ` ${s.label}`);
  }

  function errorBanner() {
    const message = model.get("error");
    if (!message) return null;
    return h(
      "div",
      { className: "cxjm-error", role: "alert" },
      h("strong", { text: "That edit was not applied: " }),
      h("span", { className: "cxjm-error-text", text: message }),
      h("button", {
        className: "cxjm-btn cxjm-error-close",
        type: "button",
        "aria-label": "Dismiss message",
        title: "Dismiss",
        text: "×",
        onClick: () => setTrait("error", ""),
      }),
    );
  }

  // ---- the board -----------------------------------------------------------------------------

  function stageColumn(stage, index, nStages, workshop, scores, selected) {
    const col = h("section", {
      className: "cxjm-stage",
      "aria-label": `Stage ${stage.name}`,
      dataset: { stage: stage.name },
      style: `flex: 0 0 ${ui.colW}px; width: ${ui.colW}px`,
    });
    const head = h("div", { className: "cxjm-stage-head" });
    if (workshop) {
      head.append(
        field(
          "input",
          { className: "cxjm-stage-name", value: stage.name, "aria-label": `Stage name`, dataset: { key: `stage-name:${stage.name}` } },
          (v) => {
            if (v !== stage.name) send("rename_stage", { old: stage.name, new: v });
          },
        ),
        h(
          "div",
          { className: "cxjm-stage-tools" },
          h("button", {
            className: "cxjm-btn",
            type: "button",
            text: "←",
            title: "Move stage left",
            "aria-label": `Move stage ${stage.name} left`,
            disabled: index === 0,
            onClick: () => send("move_stage", { name: stage.name, index: index - 1 }),
          }),
          h("button", {
            className: "cxjm-btn",
            type: "button",
            text: "→",
            title: "Move stage right",
            "aria-label": `Move stage ${stage.name} right`,
            disabled: index === nStages - 1,
            onClick: () => send("move_stage", { name: stage.name, index: index + 1 }),
          }),
          deleteButton(`stage:${stage.name}`, `stage ${stage.name}`, () => send("remove_stage", { name: stage.name })),
        ),
      );
    } else {
      head.append(h("div", { className: "cxjm-stage-name", text: stage.name }));
    }
    col.append(head);
    const list = h("div", { className: "cxjm-moments" });
    const moments = stage.moments || [];
    moments.forEach((m, k) => list.append(card(m, stage, k, moments.length, workshop, scores[m.name], selected)));
    if (!moments.length) list.append(h("div", { className: "cxjm-empty-stage", text: "No moments yet" }));
    col.append(list);
    if (workshop) {
      const input = h("input", {
        className: "cxjm-new-moment",
        placeholder: "New moment…",
        "aria-label": `New moment in ${stage.name}`,
        dataset: { key: `new-moment:${stage.name}` },
      });
      const add = () => {
        if (input.value.trim()) send("add_moment", { stage: stage.name, name: input.value });
      };
      input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") {
          ev.preventDefault();
          add();
        }
      });
      col.append(
        h(
          "div",
          { className: "cxjm-add" },
          input,
          h("button", { className: "cxjm-btn cxjm-btn-add cxjm-btn-plus", type: "button", text: "+", title: "Add moment", "aria-label": `Add moment to ${stage.name}`, onClick: add }),
        ),
      );
    }
    return col;
  }

  function deleteButton(key, what, action, label) {
    if (ui.confirm === key) {
      return h(
        "span",
        { className: "cxjm-confirm" },
        h("button", {
          className: "cxjm-btn cxjm-btn-danger",
          type: "button",
          text: "Delete",
          "aria-label": `Confirm delete ${what}`,
          dataset: { key: `confirm:${key}` },
          onClick: (ev) => {
            ev.stopPropagation();
            ui.confirm = null;
            action();
          },
        }),
        h("button", {
          className: "cxjm-btn",
          type: "button",
          text: "Keep",
          "aria-label": `Keep ${what}`,
          onClick: (ev) => {
            ev.stopPropagation();
            ui.confirm = null;
            draw();
          },
        }),
      );
    }
    return h("button", {
      className: `cxjm-btn cxjm-btn-delete${label ? " cxjm-btn-words" : ""}`,
      type: "button",
      text: label || "×",
      title: `Delete ${what}`,
      "aria-label": `Delete ${what}`,
      dataset: { key: `delete:${key}` },
      onClick: (ev) => {
        ev.stopPropagation();
        ui.confirm = key;
        draw();
      },
    });
  }

  function card(m, stage, k, n, workshop, score, selected) {
    const status = score && STATUS[score.status] ? score.status : null;
    const sig = (m.signals || [])[0];
    const isSel = selected === m.name;
    const el = h("article", {
      className: `cxjm-card cxjm-status-${status || "none"}${isSel ? " cxjm-selected" : ""}`,
      tabindex: "0",
      role: "button",
      "aria-pressed": isSel ? "true" : "false",
      "aria-label": `Moment ${m.name}`,
      dataset: { moment: m.name, key: `card:${m.name}` },
      onClick: () => select(m.name),
      onKeydown: (ev) => {
        if ((ev.key === "Enter" || ev.key === " ") && ev.target === el) {
          ev.preventDefault();
          select(m.name);
        }
      },
    });
    el.append(h("div", { className: "cxjm-card-name", text: m.name }));
    el.append(h("div", { className: "cxjm-card-signal", text: sig ? sig.name : "No signal yet" }));
    const row = h("div", { className: "cxjm-card-row" }, chip(status));
    if (score && typeof score.mis === "number") row.append(h("span", { className: "cxjm-card-mis", text: `MIS ${fmt(score.mis)}` }));
    el.append(row);
    if (score && score.value_text) el.append(h("div", { className: "cxjm-card-value", text: score.value_text }));
    const votes = m.votes || 0;
    const opps = (m.opportunities || []).length;
    if (votes || opps) {
      el.append(
        h(
          "div",
          { className: "cxjm-card-row cxjm-card-workshop" },
          votes ? h("span", { className: "cxjm-votes", title: "Dot votes (totals only)", text: `● ${votes} vote${votes === 1 ? "" : "s"}` }) : null,
          opps ? h("span", { className: "cxjm-card-opps", text: `◆ ${opps} opportunit${opps === 1 ? "y" : "ies"}` }) : null,
        ),
      );
    }
    if (m.comment) el.append(h("div", { className: "cxjm-card-comment", title: m.comment, text: `“${m.comment}”` }));
    el.append(
      h(
        "div",
        { className: "cxjm-card-owner" },
        h("span", { className: "cxjm-label", text: "Owner " }),
        h("span", { text: m.owner || "—" }),
        m.owner_sla ? h("span", { className: "cxjm-sla", text: ` · SLA ${m.owner_sla}` }) : null,
      ),
    );
    if (workshop) {
      const stop = (fn) => (ev) => {
        ev.stopPropagation();
        fn();
      };
      el.append(voteButtons(m, stop));
      el.append(
        h(
          "div",
          { className: "cxjm-card-tools" },
          h("button", {
            className: "cxjm-btn",
            type: "button",
            text: "↑",
            title: "Move up",
            "aria-label": `Move ${m.name} up`,
            disabled: k === 0,
            onClick: stop(() => send("move_moment", { name: m.name, stage: stage.name, index: k - 1 })),
          }),
          h("button", {
            className: "cxjm-btn",
            type: "button",
            text: "↓",
            title: "Move down",
            "aria-label": `Move ${m.name} down`,
            disabled: k === n - 1,
            onClick: stop(() => send("move_moment", { name: m.name, stage: stage.name, index: k + 1 })),
          }),
          deleteButton(`moment:${m.name}`, `moment ${m.name}`, () => send("remove_moment", { name: m.name })),
        ),
      );
    }
    return el;
  }

  function voteButtons(m, stop) {
    const journey = model.get("journey_data") || {};
    const mine = ui.ballot[m.name] || 0;
    return h(
      "span",
      { className: "cxjm-vote-tools" },
      h("button", {
        className: "cxjm-btn cxjm-vote",
        type: "button",
        text: "+1 vote",
        title: "Cast one of this participant's dot votes",
        "aria-label": `Vote for ${m.name}`,
        disabled: votesLeft(journey) === 0,
        dataset: { key: `vote:${m.name}` },
        onClick: stop(() => {
          ui.ballot[m.name] = mine + 1;
          send("vote", { moment: m.name, votes: 1 });
          draw(); // the ballot's count now; the total when Python answers
        }),
      }),
      mine
        ? h("button", {
            className: "cxjm-btn cxjm-unvote",
            type: "button",
            text: "−1",
            title: "Take back one of this participant's votes",
            "aria-label": `Take back a vote for ${m.name}`,
            onClick: stop(() => {
              ui.ballot[m.name] = mine - 1;
              send("vote", { moment: m.name, votes: -1 });
              draw();
            }),
          })
        : null,
    );
  }

  function addStageColumn() {
    const input = h("input", { className: "cxjm-new-stage", placeholder: "New stage…", "aria-label": "New stage name", dataset: { key: "new-stage" } });
    const add = () => {
      if (input.value.trim()) send("add_stage", { name: input.value });
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        add();
      }
    });
    return h(
      "section",
      { className: "cxjm-stage cxjm-add-stage", "aria-label": "Add a stage", style: `flex: 0 0 ${ADD_W}px; width: ${ADD_W}px` },
      h("div", { className: "cxjm-stage-head" }, h("div", { className: "cxjm-stage-name", text: "Add a stage" })),
      h("div", { className: "cxjm-add" }, input, h("button", { className: "cxjm-btn cxjm-btn-add cxjm-btn-plus", type: "button", text: "+", title: "Add stage", "aria-label": "Add stage", onClick: add })),
    );
  }

  function emptyState(workshop) {
    const box = h("div", { className: "cxjm-empty" }, h("p", { text: "This journey has no stages yet." }));
    if (workshop) {
      box.append(h("p", { text: "Add a stage to start mapping: name it after a phase of the customer's journey (Acquire, Onboard, …)." }));
      box.append(addStageColumn());
      const picker = templatePicker("empty");
      if (picker) box.append(h("p", { text: "Or start from a journey template (it replaces this journey):" }), picker);
    } else {
      box.append(h("p", { text: "Open it in workshop mode (mode=\"workshop\") to add stages and moments." }));
    }
    return box;
  }

  // how the stages are laid out in the map's width: one row of columns between MIN_W and MAX_W
  // when they fit, else balanced rows (six stages: 3 + 3, not 4 + 2) of wider columns, so every
  // stage is on screen with no sideways scrolling (a projector at 1024 x 768, a side panel open)
  function layout(n, workshop, scale) {
    const minW = Math.round(MIN_W * scale);
    const maxW = Math.round(MAX_W * scale);
    const avail = ui.width - 2 * PAD - 2;
    if (!(ui.width > 0) || !n) return { colW: Math.round(COL_W * scale), perRow: n, wrapped: false };
    const addW = workshop ? GAP + ADD_W : 0;
    const need = (k, extra) => k * minW + (k - 1) * GAP + extra;
    if (need(n, addW) <= avail) {
      return { colW: Math.max(minW, Math.min(maxW, Math.floor((avail - (n - 1) * GAP - addW) / n))), perRow: n, wrapped: false };
    }
    let k = n;
    while (k > 1 && need(k, 0) > avail) k -= 1;
    k = Math.ceil(n / Math.ceil(n / k));
    const colW = Math.max(FLOOR_W, Math.min(maxW, Math.floor((avail - (k - 1) * GAP) / k)));
    return { colW, perRow: k, wrapped: true };
  }

  // where the charts put each stage's band: under its column in one row; when the stages wrap,
  // side by side across the chart (named under the bands), so a curve still reads left to right
  function band(i, n, width) {
    if (!ui.wrapped) return { left: PAD + i * (ui.colW + GAP), w: ui.colW };
    const w = (width - 2 * PAD - AXIS_W - (n - 1) * BAND_GAP) / n; // clear of the axis labels
    return { left: PAD + AXIS_W + i * (w + BAND_GAP), w };
  }

  // x position of each moment: spread evenly within its stage's band, so curves sit on the map
  function positions(stages, width) {
    const out = [];
    stages.forEach((stage, i) => {
      const { left, w } = band(i, stages.length, width);
      const ms = stage.moments || [];
      ms.forEach((m, k) => out.push({ name: m.name, x: left + (w * (k + 0.5)) / ms.length, stage: i }));
    });
    return out;
  }

  // a name cut to what fits in px at the charts' type (11px: about 6.6 px a character; 15px: 9)
  function fitText(text, px) {
    const max = Math.max(1, Math.floor(px / (root.classList.contains("cxjm-presenting") ? 9 : 6.6)));
    return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
  }

  function chartFrame(width, height0, title, yTicks, yOf, stages) {
    const height = height0 + (ui.wrapped ? LABEL_H : 0);
    const g = svg("svg", {
      class: "cxjm-chart-svg",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": title,
    });
    g.append(svg("title", {}, title));
    // stage bands, aligned with the columns above (named below them when the stages wrap)
    const low = yOf(yTicks[yTicks.length - 1][0]);
    stages.forEach((stage, i) => {
      const { left, w } = band(i, stages.length, width);
      g.append(
        svg("rect", {
          class: "cxjm-band",
          x: left,
          y: yOf(yTicks[0][0]) - 4,
          width: w,
          height: low - yOf(yTicks[0][0]) + 8,
          rx: 4,
        }),
      );
      if (ui.wrapped) {
        const label = svg("text", { class: "cxjm-band-label", x: left + w / 2, y: low + 4 + LABEL_H - 4, "text-anchor": "middle" }, fitText(stage.name, w - 4));
        label.append(svg("title", {}, stage.name));
        g.append(label);
      }
    });
    for (const [v, label] of yTicks) {
      g.append(svg("line", { class: "cxjm-grid", x1: PAD, x2: width - PAD, y1: yOf(v), y2: yOf(v) }));
      g.append(svg("text", { class: "cxjm-axis", x: PAD + 4, y: yOf(v) - 3 }, label));
    }
    return g;
  }

  // a chart: its title and legend as text that wraps (never wider than the chart), the SVG, and
  // an optional hint laid over the chart's middle, wrapped within the chart's width
  function chartBox(cls, title, legendItems, g, width, hint, hintY) {
    const head = h(
      "div",
      { className: "cxjm-chart-head", style: `max-width:${width}px` },
      h("span", { className: "cxjm-chart-title", text: title }),
      legendItems.map((item) =>
        h(
          "span",
          { className: "cxjm-chart-key" },
          (() => {
            const key = svg("svg", { width: 22, height: 8, "aria-hidden": "true" });
            key.append(svg("line", { class: item.cls, x1: 1, x2: 21, y1: 4, y2: 4 }));
            return key;
          })(),
          h("span", { className: "cxjm-legend-text", text: item.label }),
        ),
      ),
    );
    const body = h("div", { className: "cxjm-chart-body", style: `width:${width}px` }, g);
    if (hint) {
      const left = PAD + AXIS_W; // clear of the axis labels
      body.append(h("p", { className: "cxjm-hint", style: `left:${left}px; width:${Math.max(0, width - left - PAD)}px; top:${hintY}px` }, h("span", { text: hint })));
    }
    return h("div", { className: `cxjm-chart ${cls}` }, head, body);
  }

  function polyline(points, cls) {
    if (points.length < 2) return null;
    return svg("polyline", { class: cls, points: points.map((p) => `${p.x},${p.y}`).join(" ") });
  }

  function emotionChart(journey, stages, width) {
    const persona = currentPersona(journey);
    const asIs = (journey.emotions || {})[persona] || {};
    const toBe = (journey.to_be || {})[persona] || {};
    const top = 10;
    const bottom = 108;
    const yOf = (v) => top + ((2 - v) / 4) * (bottom - top);
    const ticks = [
      [2, "+2"],
      [1, "+1"],
      [0, "0"],
      [-1, "-1"],
      [-2, "-2"],
    ];
    const g = chartFrame(width, bottom + 14, `Emotion · ${persona}`, ticks, yOf, stages);
    g.classList.add("cxjm-emotion-svg");
    const pos = positions(stages, width);
    const ptsAsIs = pos.filter((p) => typeof asIs[p.name] === "number").map((p) => ({ ...p, v: asIs[p.name], y: yOf(asIs[p.name]) }));
    const ptsToBe = pos.filter((p) => typeof toBe[p.name] === "number").map((p) => ({ ...p, v: toBe[p.name], y: yOf(toBe[p.name]) }));
    const l2 = polyline(ptsToBe, "cxjm-line-tobe");
    if (l2) g.append(l2);
    const l1 = polyline(ptsAsIs, "cxjm-line-asis");
    if (l1) g.append(l1);
    for (const p of ptsToBe) {
      const d = svg("rect", { class: "cxjm-dot-tobe", x: p.x - 4, y: p.y - 4, width: 8, height: 8, transform: `rotate(45 ${p.x} ${p.y})` });
      d.append(svg("title", {}, `${p.name}: to-be ${signed(p.v)}`));
      g.append(d);
    }
    for (const p of ptsAsIs) {
      const d = svg("circle", { class: "cxjm-dot-asis", cx: p.x, cy: p.y, r: 5 });
      d.append(svg("title", {}, `${p.name}: as-is ${signed(p.v)}`));
      g.append(d);
    }
    const empty = !ptsAsIs.length && !ptsToBe.length;
    const hint = empty
      ? `No emotions set for ${persona} yet${root.classList.contains("cxjm-is-workshop") ? ": select a moment and pick its emotion" : ""}`
      : null;
    const legend = [
      { cls: "cxjm-line-asis", label: "as-is" },
      { cls: "cxjm-line-tobe", label: "to-be" },
    ];
    const box = chartBox("cxjm-emotion", `Emotion · ${persona}`, legend, g, width, hint, yOf(0));
    box.dataset.persona = persona;
    return box;
  }

  function misChart(stages, scores, width) {
    const top = 10;
    const bottom = 108;
    const yOf = (v) => top + ((100 - v) / 100) * (bottom - top);
    const ticks = [
      [100, "100"],
      [75, "75"],
      [50, "50"],
      [25, "25"],
      [0, "0"],
    ];
    const g = chartFrame(width, bottom + 14, "Moment Impact Score", ticks, yOf, stages);
    g.classList.add("cxjm-mis-svg");
    const pts = positions(stages, width)
      .filter((p) => scores[p.name] && typeof scores[p.name].mis === "number")
      .map((p) => ({ ...p, v: scores[p.name].mis, status: scores[p.name].status, y: yOf(scores[p.name].mis) }));
    const line = polyline(pts, "cxjm-line-mis");
    if (line) g.append(line);
    for (const p of pts) {
      const st = STATUS[p.status] ? p.status : "none";
      let mark;
      if (st === "amber") {
        mark = svg("polygon", { class: `cxjm-mark cxjm-mark-${st}`, points: `${p.x},${p.y - 7} ${p.x + 7},${p.y + 5} ${p.x - 7},${p.y + 5}` });
      } else if (st === "red") {
        mark = svg("rect", { class: `cxjm-mark cxjm-mark-${st}`, x: p.x - 5.5, y: p.y - 5.5, width: 11, height: 11 });
      } else {
        mark = svg("circle", { class: `cxjm-mark cxjm-mark-${st}`, cx: p.x, cy: p.y, r: 6 });
      }
      mark.append(svg("title", {}, `${p.name}: MIS ${fmt(p.v, 1)} (${STATUS[p.status] ? STATUS[p.status].label : "no status"})`));
      g.append(mark);
      g.append(svg("text", { class: "cxjm-point-label", x: p.x + 10, y: p.y - 6 }, fmt(p.v)));
    }
    return chartBox("cxjm-mis", "Moment Impact Score", [{ cls: "cxjm-line-mis", label: "MIS (0-100)" }], g, width, null, 0);
  }

  // ---- the selected moment ---------------------------------------------------------------------

  function findMoment(stages, name) {
    for (const stage of stages) for (const m of stage.moments || []) if (m.name === name) return { stage, m };
    return null;
  }

  function detail(journey, stages, found, workshop, score) {
    const { stage, m } = found;
    const sig = (m.signals || [])[0];
    const persona = currentPersona(journey);
    const asIs = ((journey.emotions || {})[persona] || {})[m.name];
    const toBe = ((journey.to_be || {})[persona] || {})[m.name];
    const box = h("section", { className: "cxjm-detail", "aria-label": `Details of ${m.name}` });
    box.append(
      h(
        "div",
        { className: "cxjm-detail-head" },
        h("span", { className: "cxjm-label", text: "Selected moment " }),
        h("span", { className: "cxjm-detail-name", text: m.name }),
        h("span", { className: "cxjm-label", text: ` in ${stage.name}` }),
        h("button", { className: "cxjm-btn cxjm-detail-close", type: "button", text: "×", "aria-label": "Clear selection", onClick: () => select(m.name) }),
      ),
    );
    if (!workshop) {
      const dl = h("dl", { className: "cxjm-facts" });
      const fact = (k, v) => dl.append(h("dt", { text: k }), h("dd", { text: v === undefined || v === null || v === "" ? "—" : v }));
      fact("Hypothesis", m.hypothesis);
      fact("Owner", m.owner ? `${m.owner}${m.owner_sla ? ` (SLA ${m.owner_sla})` : ""}` : "");
      if (sig) {
        fact("Primary signal", `${sig.name} (${sig.source.table}/${sig.source.metric}, ${sig.floor > sig.target ? "lower" : "higher"} is better)`);
        fact("Signal thresholds", `green ${sig.green ?? "—"} · amber ${sig.amber ?? "—"} · target ${sig.target} · floor ${sig.floor}`);
      }
      fact("MIS gates", `green ≥ ${m.green} · amber ≥ ${m.amber}`);
      if (score) {
        fact("MIS", `${fmt(score.mis, 1)} (${STATUS[score.status] ? STATUS[score.status].label : "no data"}), coverage ${typeof score.coverage === "number" ? Math.round(score.coverage * 100) + "%" : "—"}`);
      }
      fact(`Emotion (${persona})`, `as-is ${asIs === undefined ? "—" : signed(asIs)} · to-be ${toBe === undefined ? "—" : signed(toBe)}`);
      if (m.notes) fact("Notes", m.notes);
      if (m.votes) fact("Dot votes", String(m.votes));
      if (m.comment) fact("Comment", m.comment);
      for (const o of m.opportunities || []) {
        fact("Opportunity", `${o.title} · customer value ${o.customer_value} · business value ${o.business_value} · effort ${o.effort}`);
      }
      box.append(dl);
      return box;
    }
    const grid = h("div", { className: "cxjm-form" });
    const row = (label, control, hint) =>
      grid.append(h("label", { className: "cxjm-form-row" }, h("span", { className: "cxjm-form-label", text: label }), control, hint ? h("span", { className: "cxjm-hint-text", text: hint }) : null));
    const update = (fields) => send("update_moment", { name: m.name, fields });
    row(
      "Name",
      field("input", { className: "cxjm-f-name", value: m.name, dataset: { key: "f-name" } }, (v) => {
        if (v !== m.name) send("rename_moment", { old: m.name, new: v });
      }),
    );
    row(
      "Stage",
      h(
        "select",
        {
          className: "cxjm-f-stage",
          dataset: { key: "f-stage" },
          onChange: (ev) => send("move_moment", { name: m.name, stage: ev.target.value }),
        },
        stages.map((s) => h("option", { value: s.name, text: s.name, selected: s.name === stage.name })),
      ),
    );
    row(
      "Hypothesis",
      field("textarea", { className: "cxjm-f-hypothesis", rows: "2", value: m.hypothesis || "", dataset: { key: "f-hypothesis" } }, (v) => update({ hypothesis: v })),
    );
    row("Owner", field("input", { className: "cxjm-f-owner", value: m.owner || "", dataset: { key: "f-owner" } }, (v) => update({ owner: v })));
    row(
      "Owner SLA",
      field("input", { className: "cxjm-f-sla", value: m.owner_sla || "", placeholder: "4h, 2d, 1w", dataset: { key: "f-sla" } }, (v) => update({ owner_sla: v.trim() || null })),
    );
    const gGreen = field("input", { className: "cxjm-f-gate-green", type: "number", step: "any", value: m.green, "aria-label": "MIS green gate", dataset: { key: "f-gate-green" } }, () =>
      update({ green: numOrNull(gGreen.value), amber: numOrNull(gAmber.value) }),
    );
    const gAmber = field("input", { className: "cxjm-f-gate-amber", type: "number", step: "any", value: m.amber, "aria-label": "MIS amber gate", dataset: { key: "f-gate-amber" } }, () =>
      update({ green: numOrNull(gGreen.value), amber: numOrNull(gAmber.value) }),
    );
    row("MIS gates", h("span", { className: "cxjm-pair" }, h("span", { text: "green ≥" }), gGreen, h("span", { text: "amber ≥" }), gAmber), "0-100; amber below green");
    if (sig) {
      const lower = sig.floor > sig.target;
      const sGreen = field("input", { className: "cxjm-f-sig-green", type: "number", step: "any", value: sig.green ?? "", "aria-label": "Signal green threshold", dataset: { key: "f-sig-green" } }, () =>
        send("update_signal", { moment: m.name, signal: sig.name, fields: { green: numOrNull(sGreen.value), amber: numOrNull(sAmber.value) } }),
      );
      const sAmber = field("input", { className: "cxjm-f-sig-amber", type: "number", step: "any", value: sig.amber ?? "", "aria-label": "Signal amber threshold", dataset: { key: "f-sig-amber" } }, () =>
        send("update_signal", { moment: m.name, signal: sig.name, fields: { green: numOrNull(sGreen.value), amber: numOrNull(sAmber.value) } }),
      );
      row(
        sig.name,
        h("span", { className: "cxjm-pair" }, h("span", { text: "green" }), sGreen, h("span", { text: "amber" }), sAmber),
        lower ? `lower is better: amber ≥ green (target ${sig.target}, floor ${sig.floor})` : `higher is better: amber ≤ green (target ${sig.target}, floor ${sig.floor})`,
      );
      const sendSignal = (fields) => send("update_signal", { moment: m.name, signal: sig.name, fields });
      // the normaliser: null means the default, linear
      const norm = sig.normaliser && sig.normaliser !== "linear" ? sig.normaliser : "";
      const norms = choiceList("normalisers").filter((n) => n !== "linear");
      if (norm && !norms.includes(norm)) norms.push(norm);
      const args = Object.entries(sig.normaliser_args || {});
      row(
        "Normaliser",
        h(
          "select",
          {
            className: "cxjm-f-normaliser",
            "aria-label": `Normaliser of ${sig.name}`,
            dataset: { key: "f-normaliser" },
            onChange: (ev) => sendSignal({ normaliser: ev.target.value === "" ? null : ev.target.value }),
          },
          h("option", { value: "", text: "linear (default)", selected: norm === "" }),
          norms.map((n) => h("option", { value: n, text: n, selected: n === norm })),
        ),
        args.length ? `arguments: ${args.map(([k, v]) => `${k} ${v}`).join(", ")}` : "how the value becomes a 0-100 score",
      );
      // the aggregate: how one account's observations become one value
      const agg = (sig.source && sig.source.aggregate) || "mean";
      const aggs = choiceList("aggregates");
      if (!aggs.includes(agg)) aggs.push(agg);
      row(
        "Aggregate",
        h(
          "select",
          {
            className: "cxjm-f-aggregate",
            "aria-label": `Aggregate of ${sig.name}`,
            dataset: { key: "f-aggregate" },
            onChange: (ev) => sendSignal({ source: { ...sig.source, aggregate: ev.target.value } }),
          },
          aggs.map((a) => h("option", { value: a, text: a, selected: a === agg })),
        ),
        `of ${sig.source.table}/${sig.source.metric} per account`,
      );
    }
    const emotionSelect = (value, toBeFlag, key) =>
      h(
        "select",
        {
          className: `cxjm-f-${key}`,
          dataset: { key: `f-${key}` },
          onChange: (ev) =>
            send("set_emotion", { persona, moment: m.name, value: ev.target.value === "" ? null : Number(ev.target.value), to_be: toBeFlag }),
        },
        h("option", { value: "", text: "— not set", selected: value === undefined }),
        EMOTIONS.map(([v, label]) => h("option", { value: String(v), text: label, selected: value === v })),
      );
    row(
      `Emotion · ${persona}`,
      h("span", { className: "cxjm-pair" }, h("span", { text: "as-is" }), emotionSelect(asIs, false, "emotion-asis"), h("span", { text: "to-be" }), emotionSelect(toBe, true, "emotion-tobe")),
    );
    row("Notes", field("textarea", { className: "cxjm-f-notes", rows: "2", value: m.notes || "", dataset: { key: "f-notes" } }, (v) => update({ notes: v })));
    row(
      "Comment",
      field("textarea", { className: "cxjm-f-comment", rows: "2", value: m.comment || "", placeholder: "The room's comment on this moment", dataset: { key: "f-comment" } }, (v) =>
        update({ comment: v }),
      ),
      "shown on the card",
    );
    row("Opportunities", opportunityEditor(m), "scores 1 (least) to 5 (most); the value × effort view plots them");
    box.append(grid);
    return box;
  }

  function scoreSelect(value, label, key, onChange) {
    return h(
      "select",
      { className: `cxjm-f-score cxjm-f-${key.split(":")[0]}`, "aria-label": label, title: label, dataset: { key }, onChange: (ev) => onChange(Number(ev.target.value)) },
      SCORE.map((v) => h("option", { value: String(v), text: String(v), selected: v === value })),
    );
  }

  function opportunityEditor(m) {
    const box = h("div", { className: "cxjm-opps" });
    for (const o of m.opportunities || []) {
      const upd = (fields) => send("update_opportunity", { moment: m.name, title: o.title, fields });
      box.append(
        h(
          "div",
          { className: "cxjm-opp", dataset: { opportunity: o.title } },
          field("input", { className: "cxjm-f-opp-title", value: o.title, "aria-label": "Opportunity title", dataset: { key: `opp-title:${o.title}` } }, (v) => {
            if (v !== o.title) upd({ title: v });
          }),
          SCORE_NAMES.map(([k, label]) =>
            h("span", { className: "cxjm-opp-score" }, h("span", { className: "cxjm-label", text: label.split(" ")[0].slice(0, 8) }), scoreSelect(o[k], `${label} of ${o.title}`, `${k}:${o.title}`, (v) => upd({ [k]: v }))),
          ),
          deleteButton(`opp:${m.name}:${o.title}`, `opportunity ${o.title}`, () => send("remove_opportunity", { moment: m.name, title: o.title })),
        ),
      );
    }
    const title = h("input", { className: "cxjm-new-opp", placeholder: "New opportunity…", "aria-label": `New opportunity for ${m.name}`, dataset: { key: "new-opp" } });
    const picks = {};
    const add = () => {
      if (title.value.trim()) send("add_opportunity", { moment: m.name, title: title.value, fields: { ...picks } });
    };
    title.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        add();
      }
    });
    box.append(
      h(
        "div",
        { className: "cxjm-opp cxjm-opp-new" },
        title,
        SCORE_NAMES.map(([k, label]) =>
          h("span", { className: "cxjm-opp-score" }, h("span", { className: "cxjm-label", text: label.split(" ")[0].slice(0, 8) }), scoreSelect(3, `${label} of the new opportunity`, `${k}:new`, (v) => (picks[k] = v))),
        ),
        h("button", { className: "cxjm-btn cxjm-btn-add cxjm-btn-plus", type: "button", text: "+", title: "Add opportunity", "aria-label": `Add opportunity to ${m.name}`, onClick: add }),
      ),
    );
    return box;
  }

  // ---- value x effort: every opportunity, value (mean of customer and business value) up,
  // effort to the right; quick wins top left -----------------------------------------------------

  function valueEffortChart(stages, width) {
    const items = [];
    for (const s of stages) for (const m of s.moments || []) for (const o of m.opportunities || []) items.push({ ...o, moment: m.name, value: (o.customer_value + o.business_value) / 2 });
    if (!items.length) return null;
    const w = Math.max(320, Math.min(width, 720));
    const left = PAD + 44;
    const right = w - PAD;
    const top = 8;
    const bottom = 228;
    const xOf = (v) => left + ((v - 0.5) / 5) * (right - left);
    const yOf = (v) => top + ((5.5 - v) / 5) * (bottom - top);
    const g = svg("svg", { class: "cxjm-chart-svg cxjm-ve-svg", width: w, height: bottom + 34, viewBox: `0 0 ${w} ${bottom + 34}`, role: "img", "aria-label": "Value × effort" });
    g.append(svg("title", {}, "Value × effort"));
    const mid = 3;
    const quads = [
      [0.5, mid, mid, 5.5, "Quick wins", "cxjm-quad-win"],
      [mid, 5.5, mid, 5.5, "Big bets", "cxjm-quad-bet"],
      [0.5, mid, 0.5, mid, "Fill-ins", "cxjm-quad-fill"],
      [mid, 5.5, 0.5, mid, "Money pits", "cxjm-quad-pit"],
    ];
    for (const [x0, x1, y0, y1, label, cls] of quads) {
      g.append(svg("rect", { class: `cxjm-quad ${cls}`, x: xOf(x0), y: yOf(y1), width: xOf(x1) - xOf(x0), height: yOf(y0) - yOf(y1) }));
      g.append(svg("text", { class: "cxjm-quad-label", x: xOf(x0) + 6, y: yOf(y1) + 14 }, label));
    }
    for (const v of SCORE) {
      g.append(svg("text", { class: "cxjm-axis", x: xOf(v), y: bottom + 14, "text-anchor": "middle" }, String(v)));
      g.append(svg("text", { class: "cxjm-axis", x: left - 8, y: yOf(v) + 4, "text-anchor": "end" }, String(v)));
    }
    g.append(svg("text", { class: "cxjm-axis", x: (left + right) / 2, y: bottom + 30, "text-anchor": "middle" }, "effort →"));
    g.append(svg("text", { class: "cxjm-axis", x: PAD, y: top + 10 }, "value"));
    const seen = {};
    for (const o of items) {
      const key = `${o.effort}:${o.value}`;
      const k = (seen[key] = (seen[key] || 0) + 1) - 1; // opportunities on one spot fan out
      const x = xOf(o.effort) + (k % 3) * 9 - 9 * Math.min(1, k);
      const y = yOf(o.value) + Math.floor(k / 3) * 14 + (k % 3) * 4;
      const dot = svg("circle", { class: "cxjm-opp-dot", cx: x, cy: y, r: 6 });
      dot.append(svg("title", {}, `${o.title} (${o.moment}): value ${o.value}, effort ${o.effort}`));
      g.append(dot);
      g.append(svg("text", { class: "cxjm-point-label cxjm-opp-label", x: x + 9, y: y + 4 }, fitText(o.title, Math.max(40, right - x - 12))));
    }
    return chartBox("cxjm-value-effort", "Value × effort", [], g, w, null, 0);
  }

  // ---- drawing -------------------------------------------------------------------------------

  function captureFocus() {
    const a = document.activeElement;
    if (!a || !root.contains(a) || !a.dataset || !a.dataset.key) return null;
    const typed = "value" in a && a.tagName !== "SELECT" && a.value !== a.defaultValue;
    return { key: a.dataset.key, value: typed ? a.value : null, start: a.selectionStart, end: a.selectionEnd };
  }

  function restoreFocus(f) {
    if (!f) return;
    const target = [...root.querySelectorAll("[data-key]")].find((n) => n.dataset.key === f.key);
    if (!target) return;
    target.focus({ preventScroll: true });
    if (f.value !== null && "value" in target) target.value = f.value;
    try {
      if (f.start !== null && f.start !== undefined) target.setSelectionRange(f.start, f.end);
    } catch (_) {
      /* number inputs have no selection */
    }
  }

  function draw() {
    const focus = captureFocus();
    const oldScroller = root.querySelector(".cxjm-scroller");
    const scrollLeft = oldScroller ? oldScroller.scrollLeft : 0;
    const journey = model.get("journey_data") || {};
    const stages = journey.stages || [];
    const scores = model.get("scores") || {};
    const presenting = !!model.get("presenting");
    // presenting: larger type, no edit controls (the room looks, the facilitator edits after)
    const workshop = model.get("mode") === "workshop" && !presenting;
    const selected = model.get("selected_moment");
    const nMoments = stages.reduce((n, s) => n + (s.moments || []).length, 0);
    root.classList.toggle("cxjm-is-workshop", workshop);
    root.classList.toggle("cxjm-presenting", presenting);
    // columns share the width the map has; stages wrap onto rows when one row does not fit
    ui.width = root.clientWidth;
    Object.assign(ui, layout(stages.length, workshop, presenting ? PRESENT_SCALE : 1));
    const parts = [header(journey, workshop, nMoments), errorBanner()];
    if (!stages.length) {
      parts.push(emptyState(workshop));
    } else {
      const cols = ui.wrapped ? ui.perRow : stages.length;
      const width = PAD * 2 + cols * ui.colW + (cols - 1) * GAP;
      const boardW = width + (workshop && !ui.wrapped ? GAP + ADD_W : 0);
      const board = h("div", { className: `cxjm-board${ui.wrapped ? " cxjm-wrapped" : ""}`, style: `width:${boardW}px`, dataset: { perRow: String(ui.perRow) } });
      stages.forEach((s, i) => board.append(stageColumn(s, i, stages.length, workshop, scores, selected)));
      if (workshop) board.append(addStageColumn());
      const scroller = h("div", { className: "cxjm-scroller" }, board);
      if (nMoments && Object.keys(scores).length) scroller.append(misChart(stages, scores, width));
      if (nMoments) scroller.append(emotionChart(journey, stages, width));
      const ve = valueEffortChart(stages, width);
      if (ve) scroller.append(ve);
      parts.push(scroller);
      const found = selected ? findMoment(stages, selected) : null;
      if (found) parts.push(detail(journey, stages, found, workshop, scores[found.m.name]));
    }
    root.replaceChildren(...parts.filter(Boolean));
    const scroller = root.querySelector(".cxjm-scroller");
    if (scroller) scroller.scrollLeft = scrollLeft;
    restoreFocus(focus);
  }

  const events = ["journey_data", "scores", "selected_moment", "mode", "persona", "error", "choices", "presenting"].map((k) => `change:${k}`);
  for (const e of events) model.on(e, draw);
  draw();
  // redraw when the map's width changes (first layout, window or panel resize)
  let frame = 0;
  const resized = typeof ResizeObserver === "function"
    ? new ResizeObserver(() => {
        if (Math.abs(root.clientWidth - ui.width) < 8 || frame) return;
        frame = requestAnimationFrame(() => {
          frame = 0;
          draw();
        });
      })
    : null;
  if (resized) resized.observe(root);
  const onFullscreen = () => draw();
  document.addEventListener("fullscreenchange", onFullscreen);
  return () => {
    for (const e of events) model.off(e, draw);
    if (resized) resized.disconnect();
    document.removeEventListener("fullscreenchange", onFullscreen);
    if (frame) cancelAnimationFrame(frame);
    root.remove();
  };
}

export default { render };
