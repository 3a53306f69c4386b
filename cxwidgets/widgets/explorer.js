// Explorer: the journey map above, the two tuners below behind a tab bar of its own (no
// ipywidgets containers). The three widgets are anywidgets of their own, drawn here through
// anywidget's host (host.getWidget(ref).render): each keeps its own model, and the links between
// them live in Python. All text goes through textContent: never innerHTML.

const TABS = [
  ["weights", "Weights"],
  ["thresholds", "Thresholds"],
];

function render({ model, el, host }) {
  const root = h("div", { className: "cx-explorer cxex" });
  el.appendChild(root);
  const mapBox = h("div", { className: "cxex-map" });
  const bar = h("div", { className: "cxex-tabs", role: "tablist", "aria-label": "Tuners" });
  const panels = {};
  const buttons = {};
  const prefix = Math.random().toString(36).slice(2, 8);
  TABS.forEach(([key, label], i) => {
    const panel = h("div", { className: "cxex-panel", role: "tabpanel", id: `${prefix}-${key}` });
    const button = h("button", { type: "button", role: "tab", className: "cxex-tab", text: label,
      "aria-controls": `${prefix}-${key}`, onClick: () => {
        model.set("tab", i);
        model.save_changes();
      } });
    panels[key] = panel;
    buttons[key] = button;
    bar.append(button);
  });
  root.append(mapBox, bar, ...Object.values(panels));

  function showTab() {
    const tab = model.get("tab");
    TABS.forEach(([key], i) => {
      buttons[key].setAttribute("aria-selected", String(i === tab));
      buttons[key].tabIndex = i === tab ? 0 : -1;
      panels[key].hidden = i !== tab;
    });
  }

  const controller = new AbortController();
  async function mount(name, box) {
    const ref = model.get(name);
    if (!host || typeof host.getWidget !== "function") {
      box.append(h("p", { className: "cxex-note", text:
        `This notebook host cannot show a widget inside a widget: display explorer.${name} on its own.` }));
      return;
    }
    try {
      const child = await host.getWidget(ref);
      await child.render({ el: box, signal: controller.signal });
    } catch (err) {
      box.append(h("p", { className: "cxex-note", text: `explorer.${name} could not be shown here: ${err}` }));
    }
  }
  model.on("change:tab", showTab);
  showTab();
  mount("map", mapBox);
  mount("weights", panels.weights);
  mount("thresholds", panels.thresholds);
  return () => {
    controller.abort();
    model.off("change:tab", showTab);
    root.remove();
  };
}

export default { render };
