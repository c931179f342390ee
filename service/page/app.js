// Purchase Predictor page: hand-written vanilla JavaScript, no library, no request outside this service.
(function () {
  "use strict";

  const KEY_STORE = "purchase-predictor.api-key";
  // Viridis in ten steps: ordered by lightness, readable with every common colour-vision deficiency.
  const PALETTE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
  const GRID = { ages: 36, salaries: 30 };
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FIELDS = ["age", "salary", "gender"];
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const page = { model: null, customer: null, map: null, mapGender: null, monitoring: null };

  const $ = (id) => document.getElementById(id);
  const fmtInt = (x) => Math.round(x).toLocaleString("en-US");
  const pct = (p) => (p * 100).toFixed(1) + " %";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  // ---- the API, with an optional key kept for this tab only ---------------------------------------------
  function storedKey() {
    try { return sessionStorage.getItem(KEY_STORE); } catch (e) { return null; }
  }

  let keyRequest = null;
  function askForKey(refused) {
    if (!keyRequest) {
      keyRequest = new Promise((resolve) => {
        const panel = $("key-panel"), input = $("api-key"), error = $("api-key-error");
        panel.hidden = false;
        showFieldError(input, error, refused ? "The service refused this key; check it and try again." : "");
        input.focus();
        $("key-form").onsubmit = (event) => {
          event.preventDefault();
          const key = input.value.trim();
          if (!key) { showFieldError(input, error, "Enter the API key."); return; }
          try { sessionStorage.setItem(KEY_STORE, key); } catch (e) { /* storage off: the key lives in memory */ }
          page.memoryKey = key;
          input.value = "";
          panel.hidden = true;
          keyRequest = null;
          resolve();
        };
      });
    }
    return keyRequest;
  }

  async function api(path, body) {
    for (;;) {
      const key = storedKey() || page.memoryKey;
      const headers = { Accept: "application/json" };
      if (key) headers.Authorization = "Bearer " + key;
      const init = { method: body === undefined ? "GET" : "POST", headers: headers, cache: "no-store" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const response = await fetch(path, init);
      if (response.status !== 401) {
        let json = null;
        try { json = await response.json(); } catch (e) { json = null; }
        return { status: response.status, body: json };
      }
      try { sessionStorage.removeItem(KEY_STORE); } catch (e) { /* nothing stored */ }
      page.memoryKey = null;
      await askForKey(Boolean(key));
    }
  }

  function problem(result) {
    const body = result.body;
    if (body && typeof body.message === "string") return body.message;
    return "The service answered with status " + result.status + ".";
  }

  // ---- Try a customer ----------------------------------------------------------------------------------
  function showFieldError(input, box, message) {
    box.textContent = message;
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function readNumber(raw) {
    const text = raw.trim();
    const plain = text.replace(/[,\s_]/g, "");
    if (plain === "") return undefined;  // left out: the API names it as missing
    return NUMBER.test(plain) ? Number(plain) : text;  // not a number: the API says what it needs
  }

  function readCustomer() {
    const customer = { age: readNumber($("age").value), salary: readNumber($("salary").value),
      gender: $("gender").value };
    for (const k of FIELDS) if (customer[k] === undefined) delete customer[k];
    return customer;
  }

  function clearErrors() {
    for (const name of FIELDS) showFieldError($(name), $(name + "-error"), "");
    $("form-error").hidden = true;
  }

  async function submitCustomer(event) {
    event.preventDefault();
    clearErrors();
    const customer = readCustomer();
    let result;
    try { result = await api("predict", customer); } catch (e) {
      return showFormError("The service did not answer; check the connection and try again.");
    }
    if (result.status === 422 && result.body && Array.isArray(result.body.details)) {
      let first = null;
      const other = [];
      for (const detail of result.body.details) {
        if (FIELDS.includes(detail.field)) {
          const box = $(detail.field + "-error");
          const text = box.hidden ? detail.message : box.textContent + " " + detail.message;
          showFieldError($(detail.field), box, text);
          first = first || $(detail.field);
        } else other.push(detail.message);
      }
      if (other.length) showFormError(other.join(" "));
      if (first) first.focus();
      return;
    }
    if (result.status !== 200) return showFormError(problem(result));
    page.customer = customer;
    showAnswer(result.body);
    drawMap();
  }

  function showFormError(message) {
    const box = $("form-error");
    box.textContent = message;
    box.hidden = false;
  }

  function showAnswer(answer) {
    const box = $("answer");
    const yes = answer.prediction === "Yes";
    const verdict = el("p", { class: "verdict " + (yes ? "yes" : "no"), id: "verdict" },
      yes ? "Yes: likely to buy" : "No: unlikely to buy");
    const facts = el("dl", {},
      el("dt", {}, "Chance of buying"), el("dd", { id: "answer-probability" },
        pct(answer.probability) + " (" + answer.probability.toFixed(4) + ")"),
      el("dt", {}, "Threshold"), el("dd", {}, "Yes from " + pct(answer.threshold)),
      el("dt", {}, "Model"), el("dd", {}, answer.model_version));
    box.replaceChildren(verdict, facts);
    if (answer.warnings.length) {
      const list = el("ul", { class: "warnings", "aria-label": "Warnings" });
      for (const w of answer.warnings) list.append(el("li", {}, w));
      box.append(el("p", {}, "Outside what the model was trained on (the answer is less sure):"), list);
    }
    box.dataset.probability = String(answer.probability);
    box.dataset.prediction = answer.prediction;
    box.dataset.threshold = String(answer.threshold);
  }

  // ---- Where the buyers are ----------------------------------------------------------------------------
  function colourOf(p) { return PALETTE[Math.min(PALETTE.length - 1, Math.floor(p * PALETTE.length))]; }

  function axisRange(range, lo, hi, pad, step) {
    const span = range[1] - range[0];
    const low = Math.max(lo, Math.floor((range[0] - span * pad) / step) * step);
    const high = Math.min(hi, Math.ceil((range[1] + span * pad) / step) * step);
    return [low, high];
  }

  function gridAxes(model) {
    const ages = axisRange(model.training_ranges.age, 1, 120, 0.15, 1);
    const salaries = axisRange(model.training_ranges.salary, 0, 1000000, 0.15, 5000);
    const centres = (range, n, digits) => Array.from({ length: n }, (_, i) =>
      Number((range[0] + (i + 0.5) * (range[1] - range[0]) / n).toFixed(digits)));
    return { ageRange: ages, salaryRange: salaries,
      ages: centres(ages, GRID.ages, 2), salaries: centres(salaries, GRID.salaries, 0) };
  }

  async function drawMap() {
    if (!page.model) return;
    const gender = $("gender").value;
    if (page.map && page.mapGender === gender) { drawMarker(); return; }
    if (page.loadingGender === gender) return;
    page.loadingGender = gender;
    const axes = gridAxes(page.model);
    const customers = [];
    for (const salary of axes.salaries) for (const age of axes.ages) customers.push({ age, salary, gender });
    $("map-caption").textContent = "Loading the map for " + gender + " customers…";
    let result;
    try { result = await api("predict/batch", { customers }); } catch (e) { result = { status: 0, body: null }; }
    page.loadingGender = null;
    if (result.status !== 200) {
      $("map-caption").textContent = "The map is not available: " + problem(result);
      return;
    }
    const cells = result.body.predictions.map((p, i) => ({
      row: Math.floor(i / GRID.ages), col: i % GRID.ages, age: customers[i].age, salary: customers[i].salary,
      probability: p.probability, prediction: p.prediction, colour: colourOf(p.probability) }));
    page.map = { gender, axes, cells, threshold: result.body.threshold, contour: [] };
    page.mapGender = gender;
    renderMap(page.map);
    if ($("gender").value !== gender) drawMap();  // the choice changed while the map loaded
  }

  function renderMap(map) {
    const W = 640, H = 430, L = 78, R = 10, T = 10, B = 52;
    const cw = (W - L - R) / GRID.ages, ch = (H - T - B) / GRID.salaries;
    const x = (age) => L + (age - map.axes.ageRange[0]) / (map.axes.ageRange[1] - map.axes.ageRange[0]) * (W - L - R);
    const y = (s) => H - B - (s - map.axes.salaryRange[0]) /
      (map.axes.salaryRange[1] - map.axes.salaryRange[0]) * (H - T - B);
    map.x = x; map.y = y;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "map-svg-title map-svg-desc",
      id: "map-svg" });
    const title = svg("title", { id: "map-svg-title" });
    title.textContent = "Chance of buying by age and salary for " + map.gender + " customers";
    const desc = svg("desc", { id: "map-svg-desc" });
    root.append(title, desc);
    const clip = svg("clipPath", { id: "map-clip" });
    clip.append(svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B }));
    root.append(clip);
    const cellsGroup = svg("g", { id: "map-cells", "shape-rendering": "crispEdges" });
    for (const c of map.cells) {
      cellsGroup.append(svg("rect", { x: (L + c.col * cw).toFixed(2), y: (H - B - (c.row + 1) * ch).toFixed(2),
        width: (cw + 0.3).toFixed(2), height: (ch + 0.3).toFixed(2), fill: c.colour, "data-row": c.row,
        "data-col": c.col, "data-age": c.age, "data-salary": c.salary, "data-probability": c.probability,
        "data-prediction": c.prediction }));
    }
    root.append(cellsGroup);
    // The threshold contour: every edge between a Yes cell and a No cell.
    const at = (row, col) => map.cells[row * GRID.ages + col];
    const segments = [];
    let d = "";
    for (let row = 0; row < GRID.salaries; row++) {
      for (let col = 0; col < GRID.ages; col++) {
        const here = at(row, col).prediction;
        if (col + 1 < GRID.ages && at(row, col + 1).prediction !== here) {
          segments.push([[row, col], [row, col + 1]]);
          const sx = L + (col + 1) * cw;
          d += `M${sx.toFixed(2)} ${(H - B - row * ch).toFixed(2)}V${(H - B - (row + 1) * ch).toFixed(2)}`;
        }
        if (row + 1 < GRID.salaries && at(row + 1, col).prediction !== here) {
          segments.push([[row, col], [row + 1, col]]);
          const sy = H - B - (row + 1) * ch;
          d += `M${(L + col * cw).toFixed(2)} ${sy.toFixed(2)}H${(L + (col + 1) * cw).toFixed(2)}`;
        }
      }
    }
    map.contour = segments;
    const lines = svg("g", { "clip-path": "url(#map-clip)" });
    if (d) lines.append(svg("path", { d, class: "contour-under" }), svg("path", { d, class: "contour", id: "map-contour" }));
    root.append(lines);
    // The training range.
    const tr = page.model.training_ranges;
    const rx = x(tr.age[0]), ry = y(tr.salary[1]);
    const box = { x: rx, y: ry, width: x(tr.age[1]) - rx, height: y(tr.salary[0]) - ry };
    lines.append(svg("rect", { ...box, class: "range-under" }), svg("rect", { ...box, class: "range", id: "map-range" }));
    // Axes.
    const axes = svg("g", { "aria-hidden": "true" });
    axes.append(svg("path", { class: "axis", d: `M${L} ${T}V${H - B}H${W - R}` }));
    for (let a = Math.ceil(map.axes.ageRange[0] / 10) * 10; a <= map.axes.ageRange[1]; a += 10) {
      axes.append(svg("path", { class: "axis", d: `M${x(a)} ${H - B}v6` }));
      const t = svg("text", { x: x(a), y: H - B + 20, "text-anchor": "middle" });
      t.textContent = String(a);
      axes.append(t);
    }
    const sStep = 25000;
    for (let s = Math.ceil(map.axes.salaryRange[0] / sStep) * sStep; s <= map.axes.salaryRange[1]; s += sStep) {
      axes.append(svg("path", { class: "axis", d: `M${L - 6} ${y(s)}h6` }));
      const t = svg("text", { x: L - 9, y: y(s) + 4, "text-anchor": "end" });
      t.textContent = s >= 1000 ? Math.round(s / 1000) + "k" : String(s);
      axes.append(t);
    }
    const ax = svg("text", { x: L + (W - L - R) / 2, y: H - 8, "text-anchor": "middle" });
    ax.textContent = "Age (years)";
    const ay = svg("text", { x: 20, y: T + (H - T - B) / 2, "text-anchor": "middle", class: "y-title",
      transform: `rotate(-90 20 ${T + (H - T - B) / 2})` });
    ay.textContent = "Yearly salary";
    axes.append(ax, ay);
    root.append(axes, svg("g", { id: "map-marker" }));
    $("map").replaceChildren(root);
    $("legend-threshold").textContent = "Threshold " + pct(map.threshold) + ": Yes on the brighter side";
    describeMap(map);
    drawMarker();
  }

  function drawMarker() {
    const map = page.map, group = $("map-marker");
    if (!map || !group) return;
    group.replaceChildren();
    const c = page.customer;
    let where = "";
    if (c && typeof c.age === "number" && typeof c.salary === "number" && c.gender === map.gender) {
      const inside = c.age >= map.axes.ageRange[0] && c.age <= map.axes.ageRange[1] &&
        c.salary >= map.axes.salaryRange[0] && c.salary <= map.axes.salaryRange[1];
      if (inside) {
        group.append(svg("circle", { cx: map.x(c.age), cy: map.y(c.salary), r: 7, class: "marker",
          id: "map-customer" }));
        where = " The customer tried above (age " + c.age + ", salary " + fmtInt(c.salary) + ") is marked with a white dot.";
      } else where = " The customer tried above is outside this map.";
    }
    $("map-summary").textContent = map.summary + where;
    $("map-svg-desc").textContent = map.summary + where;
  }

  function ageSpans(cells) {
    const spans = [];
    let start = null, prev = null;
    for (const c of cells) {
      if (c.prediction === "Yes") { if (start === null) start = c.age; prev = c.age; }
      else if (start !== null) { spans.push([start, prev]); start = null; }
    }
    if (start !== null) spans.push([start, prev]);
    return spans.map(([a, b]) => a === b ? String(Math.round(a)) : Math.round(a) + "–" + Math.round(b)).join(", ");
  }

  function describeMap(map) {
    const yes = map.cells.filter((c) => c.prediction === "Yes").length;
    const tr = page.model.training_ranges;
    map.summary = "For " + map.gender + " customers aged " + map.axes.ageRange[0] + " to " + map.axes.ageRange[1] +
      " with salaries from " + fmtInt(map.axes.salaryRange[0]) + " to " + fmtInt(map.axes.salaryRange[1]) +
      ", the model says Yes in " + yes + " of " + map.cells.length + " squares (" + pct(yes / map.cells.length) +
      "), with the threshold at " + pct(map.threshold) + ". Training covered ages " + tr.age[0] + " to " + tr.age[1] +
      " and salaries " + fmtInt(tr.salary[0]) + " to " + fmtInt(tr.salary[1]) + ".";
    $("map-caption").textContent = "What the model says for every age and salary, for " + map.gender +
      " customers (the gender chosen above). Each square is one what-if customer.";
    const body = $("map-table").tBodies[0];
    body.replaceChildren();
    for (let row = GRID.salaries - 1; row >= 0; row--) {
      const cells = map.cells.slice(row * GRID.ages, (row + 1) * GRID.ages);
      body.append(el("tr", {}, el("th", { scope: "row" }, fmtInt(cells[0].salary)),
        el("td", {}, ageSpans(cells) || "none")));
    }
  }

  function drawLegend() {
    const list = $("legend");
    PALETTE.forEach((colour, i) => {
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.background = colour;
      list.append(el("li", { "data-colour": colour }, swatch, i * 10 + "–" + (i + 1) * 10 + " %"));
    });
  }

  // ---- The model ---------------------------------------------------------------------------------------
  const METRICS = { roc_auc: "ROC AUC", pr_auc: "PR AUC", precision: "Precision", recall: "Recall", f1: "F1",
    brier: "Brier score (lower is better)", log_loss: "Log loss (lower is better)" };

  async function loadModel() {
    let result;
    try { result = await api("model"); } catch (e) { result = { status: 0, body: null }; }
    if (result.status !== 200) {
      $("model").replaceChildren(el("p", {}, "The model is not available: " + problem(result)));
      $("map-caption").textContent = "The map needs the model, which is not available yet.";
      if (result.status === 503) setTimeout(loadModel, 5000);  // still loading: look again shortly
      return;
    }
    const m = result.body;
    page.model = m;
    const how = m.threshold_source === "PREDICT_THRESHOLD" ? "set for this service (PREDICT_THRESHOLD)"
      : "chosen in training" + (m.threshold_rule ? " (" + m.threshold_rule + ")" : "") + " and stored in the model";
    const tr = m.training_ranges;
    const facts = el("dl", { class: "facts" },
      el("dt", {}, "Version"), el("dd", { id: "model-version" }, m.model_version),
      el("dt", {}, "Family"), el("dd", {}, m.model_family),
      el("dt", {}, "Calibration"), el("dd", {}, m.calibration),
      el("dt", {}, "Threshold"), el("dd", {}, m.threshold + ", " + how),
      el("dt", {}, "Trained on"), el("dd", {}, "ages " + tr.age[0] + "–" + tr.age[1] + ", salaries " +
        fmtInt(tr.salary[0]) + "–" + fmtInt(tr.salary[1])),
      el("dt", {}, "Created"), el("dd", {}, m.created_at));
    const cv = (m.metrics && m.metrics.cv) || {}, test = (m.metrics && m.metrics.test) || {};
    const rows = Object.keys(METRICS).filter((k) => k in cv || k in test).map((k) => el("tr", {},
      el("th", { scope: "row" }, METRICS[k]),
      el("td", { class: "num" }, k in cv ? cv[k].toFixed(3) + (k + "_std" in cv ? " ± " + cv[k + "_std"].toFixed(3) : "") : "–"),
      el("td", { class: "num" }, k in test ? test[k].toFixed(3) : "–")));
    const table = el("table", {}, el("caption", {}, "How well it did"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Metric"),
        el("th", { scope: "col", class: "num" }, "Cross-validated"), el("th", { scope: "col", class: "num" }, "Test"))),
      el("tbody", {}, ...rows));
    $("model").replaceChildren(facts, el("div", { class: "scroll", tabindex: "0", role: "region",
      "aria-label": "Model metrics" }, table));
    drawMap();
  }

  // ---- Is it still right? ------------------------------------------------------------------------------
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

  // ---- start -------------------------------------------------------------------------------------------
  window.purchasePage = {
    palette: PALETTE,
    colourOf,
    map: () => page.map && { gender: page.map.gender, threshold: page.map.threshold, rows: GRID.salaries,
      cols: GRID.ages, cells: page.map.cells, contour: page.map.contour },
    renderMonitoring,
    ready: () => Boolean(page.map) && document.querySelector("#monitoring-status") !== null,
  };

  document.addEventListener("DOMContentLoaded", () => {
    drawLegend();
    $("customer-form").addEventListener("submit", submitCustomer);
    $("gender").addEventListener("change", drawMap);
    loadModel();
    loadMonitoring();
  });
})();
