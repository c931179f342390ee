// Is it still right?: drift, alarms, the Yes-rate trend and live quality from /monitoring/drift.
(function (PP) {
  "use strict";
  const { page, FIELDS, $, pct, el, svg, api, problem } = PP;

  function show(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(3);
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "object") return Object.entries(value).map(([k, v]) => k + " " + show(v)).join(", ");
    return String(value);
  }

  function yesRate(score) {
    if (typeof score === "number") return score;
    if (score && typeof score === "object") {
      for (const k of ["yes_rate", "positive_rate", "rate_yes", "mean"]) if (typeof score[k] === "number") return score[k];
    }
    return null;
  }

  function trendChart(windows) {
    const points = windows.map((w) => yesRate(w.score));
    if (points.filter((p) => p !== null).length < 2) return null;
    const W = 320, H = 80, P = 6, n = points.length;
    const xy = points.map((p, i) => p === null ? null : [P + i * (W - 2 * P) / (n - 1), H - P - p * (H - 2 * P)]);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true", focusable: "false" });
    root.append(svg("polyline", { points: xy.filter(Boolean).map((q) => q.join(",")).join(" ") }));
    for (const q of xy.filter(Boolean)) root.append(svg("circle", { cx: q[0], cy: q[1], r: 3 }));
    return el("div", { class: "trend" }, root);
  }

  function renderMonitoring(data) {
    const box = $("monitoring");
    const windows = (data && Array.isArray(data.windows)) ? data.windows : [];
    if (!windows.length) {
      box.replaceChildren(el("p", {}, "Monitoring is on, but no window of live traffic has been recorded yet."));
      return;
    }
    const last = windows[windows.length - 1];
    const order = (name) => FIELDS.includes(name) ? FIELDS.indexOf(name) : FIELDS.length;
    const features = Object.entries(last.features || {}).sort((a, b) => order(a[0]) - order(b[0]));
    const alarms = features.filter(([, f]) => f && f.alarm).map(([name]) => name);
    const status = el("p", { id: "monitoring-status", class: alarms.length ? "alarm" : "calm" },
      alarms.length ? "⚠ Drift alarm on " + alarms.join(", ") + " in the latest window."
        : "✓ No drift alarm in the latest window.");
    const head = el("p", {}, "Latest window: " + show(last.start) + " to " + show(last.end) + ", " + show(last.rows) +
      " requests, model " + show(last.model_version) + ".");
    const featureRows = features.map(([name, f]) => {
      const rest = Object.fromEntries(Object.entries(f || {}).filter(([k]) => k !== "p_value" && k !== "alarm"));
      return el("tr", {}, el("th", { scope: "row" }, name),
        el("td", {}, Object.keys(rest).length ? show(rest) : "–"),
        el("td", { class: "num" }, show(f && f.p_value)),
        el("td", { class: f && f.alarm ? "alarm" : "" }, f && f.alarm ? "⚠ Alarm" : "OK"));
    });
    const featureTable = el("table", { id: "monitoring-features" },
      el("caption", {}, "Each input, reference against the latest window"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Input"), el("th", { scope: "col" }, "Reference vs latest"),
        el("th", { scope: "col", class: "num" }, "p-value"), el("th", { scope: "col" }, "State"))),
      el("tbody", {}, ...featureRows));
    const windowRows = windows.map((w) => el("tr", {}, el("td", {}, show(w.start)), el("td", { class: "num" }, show(w.rows)),
      el("td", { class: "num" }, yesRate(w.score) === null ? show(w.score) : pct(yesRate(w.score))),
      el("td", {}, w.quality ? show(w.quality) : "no labels yet")));
    const windowTable = el("table", { id: "monitoring-windows" },
      el("caption", {}, "Yes-rate and live quality (from delayed labels) per window"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Window from"), el("th", { scope: "col", class: "num" }, "Rows"),
        el("th", { scope: "col", class: "num" }, "Yes-rate"), el("th", { scope: "col" }, "Quality"))),
      el("tbody", {}, ...windowRows));
    const parts = [status, head, el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Drift per input" },
      featureTable)];
    const chart = trendChart(windows);
    if (chart) parts.push(el("p", { class: "legend-title" }, "Yes-rate trend (the table below has the figures)"), chart);
    parts.push(el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Windows" }, windowTable));
    box.replaceChildren(...parts);
  }

  async function loadMonitoring() {
    let result;
    try { result = await api("monitoring/drift"); } catch (e) { result = { status: 0, body: null }; }
    page.monitoring = result;
    if (result.status === 200) { renderMonitoring(result.body); return; }
    const why = result.status === 404 ? "this service does not record drift yet."
      : "the monitoring endpoint answered: " + problem(result);
    $("monitoring").replaceChildren(el("p", { id: "monitoring-status" }, "Monitoring not available: " + why));
  }

  Object.assign(PP, { renderMonitoring, loadMonitoring });
})(window.PP = window.PP || {});
