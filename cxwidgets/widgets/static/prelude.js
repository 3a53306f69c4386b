// The prelude shared by the anywidgets' ES modules (journey_map.js, threshold_tuner.js): tiny
// DOM helpers. No bundler and no imports: the widget's Python module joins this file and the
// widget's own module into one ES module when it loads. All text goes through textContent /
// value / setAttribute: never innerHTML.

const SVG_NS = "http://www.w3.org/2000/svg";

// the statuses in words and icons, never colour alone (the words of cxwidgets/palette.py)
const STATUS = {
  green: { icon: "●", label: "Green" },
  amber: { icon: "▲", label: "Amber" },
  red: { icon: "■", label: "Red" },
};

// h("div", {className, text, dataset, onClick, value, ...attributes}, ...children)
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k === "className") el.className = v;
    else if (k === "value") {
      el.value = String(v);
      el.defaultValue = String(v);
    } else if (k.startsWith("on")) el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// svg("rect", {x, y, ...attributes}, text)
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  if (text !== undefined) el.textContent = String(text);
  return el;
}
