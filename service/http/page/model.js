// The model: what /model says about the served model, and its metrics.
(function (PP) {
  "use strict";
  const { page, $, fmtInt, el, api, problem, drawMap } = PP;

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

  Object.assign(PP, { loadModel });
})(window.PP = window.PP || {});
