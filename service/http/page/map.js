// Where the buyers are: a what-if map of P(buy) over age x salary from one /predict/batch call.
(function (PP) {
  "use strict";
  const { page, $, fmtInt, pct, el, svg, api, problem } = PP;

  // Viridis in ten steps: ordered by lightness, readable with every common colour-vision deficiency.
  const PALETTE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
  const GRID = { ages: 36, salaries: 30 };

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
    // A what-if grid, not customers: the header keeps it out of drift monitoring.
    try { result = await api("predict/batch", { customers }, { headers: { "X-What-If": "1" } }); } catch (e) { result = { status: 0, body: null }; }
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

  Object.assign(PP, { PALETTE, GRID, colourOf, drawMap, drawLegend });
})(window.PP = window.PP || {});
