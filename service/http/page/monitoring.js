// Is it still right?: the /monitoring/drift document — per input the reference against the latest window,
// the alarm level, the Yes-rate trend across windows, the live quality from delayed labels and a shadow model's
// agreement with the live one.
(function (PP) {
  "use strict";
  const { page, ADMIN_STORE, $, pct, el, svg, api, keyOf, storeKey, problem, showFieldError } = PP;

  const NAMES = { age: "Age", salary: "Salary", gender: "Gender", score: "Model output" };
  const QUALITY = { precision: "Precision", recall: "Recall", brier: "Brier score (lower is better)",
    roc_auc: "ROC AUC" };
  const SMALL_CELL = 5;  // like the HTML report: window bins with fewer rows are not drawn

  const isNum = (x) => typeof x === "number" && isFinite(x);
  const pValue = (p) => !isNum(p) ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3);
  const dec = (x) => isNum(x) ? x.toFixed(3) : "–";
  const share = (x) => isNum(x) ? pct(x) : "–";
  const when = (s) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const sum = (xs) => (xs || []).reduce((a, b) => a + b, 0);
  const femaleShare = (counts) => sum(counts) ? counts[0] / sum(counts) : null;

  function duration(seconds) {
    if (seconds % 86400 === 0) return seconds === 86400 ? "1 day" : seconds / 86400 + " days";
    if (seconds % 3600 === 0) return seconds === 3600 ? "1 hour" : seconds / 3600 + " hours";
    return seconds + " seconds";
  }

  // Reference (grey) against the latest window (blue), as shares per bin; the table's text says the same.
  function bars(reference, counts) {
    const W = 200, H = 40, n = reference.length, rt = sum(reference) || 1, ct = sum(counts) || 1;
    const top = Math.max(...reference.map((r) => r / rt), ...counts.map((k) => k / ct), 1e-9);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "bars", "aria-hidden": "true", focusable: "false" });
    const slot = W / n;
    reference.forEach((r, i) => {
      const k = counts[i] || 0;
      for (const [offset, value, cls] of [[0.08, r / rt, "ref"], [0.5, k / ct, "cur"]]) {
        if (cls === "cur" && k < SMALL_CELL) continue;
        const h = value / top * (H - 2);
        root.append(svg("rect", { x: (i + offset) * slot, y: H - h, width: slot * 0.42, height: h, class: cls }));
      }
    });
    return root;
  }

  // Phones stack each row into "label: value" lines (style.css, `table.stack`): every cell is labelled with its
  // column's header (shown visually only; the header row stays for screen readers), and explicit ARIA roles
  // keep the table's semantics when CSS stops laying it out as a table.
  function stackable(table) {
    const heads = Array.from(table.tHead.rows[0].cells, (c) => c.textContent);
    table.setAttribute("role", "table");
    for (const group of [table.tHead, ...table.tBodies]) group.setAttribute("role", "rowgroup");
    for (const row of table.rows) {
      row.setAttribute("role", "row");
      Array.from(row.cells).forEach((cell, i) => {
        const header = cell.tagName === "TH";
        cell.setAttribute("role", !header ? "cell" : cell.scope === "row" ? "rowheader" : "columnheader");
        if (row.parentElement === table.tHead || header || cell.colSpan !== 1 || !heads[i]) return;
        if (cell.textContent === "" && !cell.children.length) cell.classList.add("blank");  // e.g. no bars for gender
        cell.setAttribute("data-label", heads[i]);
      });
    }
    table.classList.add("stack");
    return table;
  }

  function featureRow(name, f) {
    let reference, latest, picture = "";
    if (name === "gender") {
      reference = "Female " + share(femaleShare(f.reference_counts));
      latest = "Female " + share(femaleShare(f.counts));
    } else if (name === "score") {
      reference = "Yes " + share(f.reference_yes_rate);
      latest = "Yes " + share(f.yes_rate);
      picture = bars(f.reference_counts, f.counts);
    } else {
      reference = sum(f.reference_counts) + " rows in " + f.reference_counts.length + " bins";
      latest = "KS distance " + dec(f.ks && f.ks.statistic);
      picture = bars(f.reference_counts, f.counts);
    }
    const effect = "PSI " + dec(f.psi) + " (noise " + dec(f.psi_noise_floor) + ")";
    return el("tr", { "data-feature": name }, el("th", { scope: "row" }, NAMES[name] || name),
      el("td", {}, reference), el("td", {}, latest), el("td", { class: "shape" }, picture), el("td", {}, effect),
      el("td", { class: "num" }, pValue(f.p_value)),
      el("td", { class: f.alarm ? "alarm" : "calm" }, f.alarm ? "⚠ Alarm" : "✓ OK"));
  }

  function featureTable(last) {
    const names = ["age", "salary", "gender"].filter((n) => last.features && last.features[n]);
    const rows = names.map((n) => featureRow(n, last.features[n]));
    if (last.score && isNum(last.score.p_value)) rows.push(featureRow("score", last.score));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "7" }, "Not tested yet: the window has too few rows.")));
    const cols = ["Input", "Reference", "Latest window", "Shares per bin", "Effect size", "p-value", "State"];
    return stackable(el("table", { id: "monitoring-features" },
      el("caption", {}, "Each input, the reference (training) against the latest window"),
      el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { scope: "col", class: c === "p-value" ? "num" : "" }, c)))),
      el("tbody", {}, ...rows)));
  }

  function trendChart(windows) {
    const points = windows.map((w) => (w.score && isNum(w.score.yes_rate)) ? w.score.yes_rate : null);
    const known = points.filter((p) => p !== null);
    if (!known.length) return null;
    const ref = windows.map((w) => w.score && w.score.reference_yes_rate).find(isNum);
    const W = 320, H = 100, P = 22, n = points.length;
    const top = Math.min(1, Math.max(...known, isNum(ref) ? ref : 0) * 1.25 + 0.05);
    const x = (i) => n === 1 ? W / 2 : P + i * (W - 2 * P) / (n - 1);  // P leaves room for the labels
    const y = (p) => H - 6 - p / top * (H - 6 - P);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true", focusable: "false" });
    if (isNum(ref)) root.append(svg("line", { x1: 0, x2: W, y1: y(ref), y2: y(ref), class: "ref-line" }));
    const xy = points.map((p, i) => p === null ? null : [x(i), y(p)]).filter(Boolean);
    root.append(svg("polyline", { points: xy.map((q) => q.join(",")).join(" ") }));
    points.forEach((p, i) => {
      if (p === null) return;
      root.append(svg("circle", { cx: x(i), cy: y(p), r: 3.5 }));
      const label = svg("text", { x: x(i), y: y(p) - 7 });
      label.textContent = (p * 100).toFixed(0) + "%";
      root.append(label);
    });
    return el("div", { class: "trend" }, root);
  }

  function windowTable(windows) {
    const rows = windows.slice().reverse().map((w) => {
      const real = (w.quality && w.quality.realized) || {};
      const level = w.status !== "evaluated" ? "too few rows" : w.level === "page" ? "⚠ Page"
        : w.level === "warning" ? "⚠ Warning" : "✓ None";
      return el("tr", {}, el("td", {}, when(w.start)), el("td", { class: "num" }, String(w.rows)),
        el("td", { class: "num" }, share(w.score && w.score.yes_rate)),
        el("td", { class: w.warning ? "alarm" : "" }, level),
        el("td", { class: "num" }, (real.labels || 0) + " (" + share(real.coverage || 0) + ")"),
        ...["precision", "recall", "brier", "roc_auc"].map((k) => el("td", { class: "num" }, dec(real[k]))));
    });
    const cols = ["Window from", "Rows", "Yes rate", "Alarm", "Labels (coverage)", "Precision", "Recall", "Brier",
      "ROC AUC"];
    return stackable(el("table", { id: "monitoring-windows" },
      el("caption", {}, "Every window, newest first: Yes rate, alarm and quality from the labels received"),
      el("thead", {}, el("tr", {}, ...cols.map((c, i) => el("th", { scope: "col", class: i === 0 || i === 3 ? "" : "num" }, c)))),
      el("tbody", {}, ...rows)));
  }

  function qualityTable(last) {
    const q = last.quality || {}, real = q.realized || {}, est = q.estimated || {}, ref = q.reference || {};
    const ci = (k) => Array.isArray(real[k + "_ci"]) ? " (" + dec(real[k + "_ci"][0]) + "–" + dec(real[k + "_ci"][1]) + ")" : "";
    const rows = Object.keys(QUALITY).map((k) => el("tr", { "data-metric": k }, el("th", { scope: "row" }, QUALITY[k]),
      el("td", { class: "num" }, dec(ref[k])), el("td", { class: "num" }, dec(est[k])),
      el("td", { class: "num" }, isNum(real[k]) ? dec(real[k]) + ci(k) : "–")));
    return stackable(el("table", { id: "monitoring-quality" },
      el("caption", {}, "Live quality in the latest window"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Metric"), el("th", { scope: "col", class: "num" }, "Reference (test)"),
        el("th", { scope: "col", class: "num" }, "Estimated without labels"),
        el("th", { scope: "col", class: "num" }, "Realized from labels (95 % interval)"))),
      el("tbody", {}, ...rows)));
  }

  function statusOf(last) {
    const names = Object.entries(last.features || {}).filter(([, f]) => f.alarm).map(([n]) => NAMES[n] || n);
    if (last.score && last.score.alarm) names.push(NAMES.score);
    if (last.status !== "evaluated") {
      return el("p", { id: "monitoring-status", class: "muted" }, "Not tested yet: the latest window has " + last.rows +
        " rows, and a window is tested once it has enough.");
    }
    if (last.level === "page" || last.level === "warning") {
      const two = last.level === "page" ? " in two windows in a row (page someone)" : " in the latest window";
      return el("p", { id: "monitoring-status", class: "alarm" }, "⚠ Drift alarm" + two + " on " + names.join(", ") + ".");
    }
    return el("p", { id: "monitoring-status", class: "calm" }, "✓ No drift alarm in the latest window.");
  }

  // The candidate scored beside the live model (deploy --shadow): how often it agrees, never its answers.
  function shadowNote(last, status) {
    const s = last.shadow;
    if (status && status.state === "failed") {
      return el("p", { id: "monitoring-shadow", class: "alarm" }, "⚠ The shadow model " + status.model_version +
        " failed to load; the live model serves alone.");
    }
    if (!s) return null;
    const drift = s.score && s.score.alarm ? " ⚠ Its output drifted from its own reference." : "";
    return el("p", { id: "monitoring-shadow" }, "Shadow model " + s.model_version + " (scored beside the live model, " +
      "never answering): " + s.rows + " rows, the same decision on " + share(s.agreement) + ", mean |Δp| " +
      dec(s.mean_abs_diff) + ", largest " + dec(s.max_abs_diff) + "; Yes rate " + share(s.yes_rate) + " (live " +
      share(s.live_yes_rate) + ")." + drift);
  }

  function renderMonitoring(data) {
    const box = $("monitoring");
    const windows = (data && Array.isArray(data.windows)) ? data.windows : [];
    if (!windows.length) {
      box.replaceChildren(el("p", { id: "monitoring-status" },
        "Monitoring is on, but no window of live traffic has been recorded yet."));
      return;
    }
    const last = windows[windows.length - 1];
    const real = (last.quality && last.quality.realized) || {};
    const parts = [statusOf(last),
      el("p", { id: "monitoring-window" }, "Latest window: " + when(last.start) + " to " + when(last.end) +
        (last.closed ? "" : " (still open)") + ", " + last.rows + " rows, model " + last.model_version + ". Windows last " +
        duration(data.window_seconds) + "; an alarm needs p < " + (last.alpha || 0.01) + " after correcting for " +
        (last.tests || 8) + " tests.")];
    const shadow = shadowNote(last, data.shadow);
    if (shadow) parts.push(shadow);
    parts.push(el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Drift per input" }, featureTable(last)));
    const dq = last.data_quality || {}, out = dq.out_of_training_range || {}, rej = dq.rejected || {};
    parts.push(el("p", { id: "monitoring-data" }, "Outside the training range: " +
      Object.entries(out).map(([k, v]) => k + " " + v).join(", ") + ". Rejected requests by field: " +
      Object.entries(rej).map(([k, v]) => k + " " + v).join(", ") + "."));
    const chart = trendChart(windows);
    if (chart) {
      parts.push(el("p", { class: "legend-title" }, "Yes rate per window (line; dashed: the reference). " +
        "The table below has the figures."), chart);
    }
    parts.push(el("p", { id: "monitoring-labels" }, "Labels received for the latest window: " + (real.labels || 0) +
      " of " + last.rows + " predictions (" + share(real.coverage || 0) + ")." +
      (last.quality && last.quality.concept_drift ? " ⚠ The labels disagree with the estimate: the model may no longer fit." : "")));
    parts.push(el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Live quality" }, qualityTable(last)));
    parts.push(el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": "Windows" }, windowTable(windows)));
    box.replaceChildren(...parts);
  }

  // A prediction-only key cannot read monitoring: ask for an admin key here, leaving the rest of the page alone.
  function askForAdminKey(refused) {
    const input = el("input", { id: "admin-key", name: "admin-key", type: "password",
      spellcheck: "false", "aria-describedby": "monitoring-status admin-key-error" });
    const error = el("p", { id: "admin-key-error", class: "field-error", hidden: "" });
    const form = el("form", { id: "admin-key-form", novalidate: "" },
      el("div", { class: "field" }, el("label", { for: "admin-key" }, "Admin API key"), input, error),
      el("button", { type: "submit" }, "Show monitoring"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) { showFieldError(input, error, "Enter the admin API key."); return; }
      storeKey(ADMIN_STORE, key);
      loadMonitoring();
    });
    $("monitoring").replaceChildren(el("p", { id: "monitoring-status" }, refused
      ? "The monitoring figures need an admin API key; the key in use is not one. It is kept for this tab only."
      : "The monitoring figures need an admin API key. It is kept for this tab only."), form);
  }

  async function loadMonitoring() {
    let result;
    try { result = await api("monitoring/drift", undefined, { admin: true }); } catch (e) { result = { status: 0, body: null }; }
    page.monitoring = result;
    if (result.status === 200) { renderMonitoring(result.body); return; }
    if (result.status === 401) {
      const hadAdmin = Boolean(keyOf(ADMIN_STORE));
      storeKey(ADMIN_STORE, null);
      askForAdminKey(result.sentKey);
      if (hadAdmin) {
        showFieldError($("admin-key"), $("admin-key-error"), "The service refused this key; check it and try again.");
        $("admin-key").focus();
      }
      return;
    }
    const why = result.status === 404 ? "this service does not record drift."
      : problem(result);
    $("monitoring").replaceChildren(el("p", { id: "monitoring-status" }, "Monitoring not available: " + why));
  }

  // A key typed in the panel at the top may be an admin key: try it when monitoring is waiting for one.
  document.addEventListener("pp-key", () => { if ($("admin-key")) loadMonitoring(); });

  Object.assign(PP, { renderMonitoring, loadMonitoring });
})(window.PP = window.PP || {});
