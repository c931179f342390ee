// Try a customer: the form, plain-language messages next to the fields the API refused, and the answer.
(function (PP) {
  "use strict";
  const { page, FIELDS, $, pct, el, svg, api, problem, showFieldError, drawMap } = PP;

  const NAMES = { age: "Age", salary: "Yearly salary", gender: "Gender" };
  const REASONS = { age: "Age", salary: "Salary", gender: "Gender" };  // the subjects of the reasons
  const number = (x) => x.toLocaleString("en-US", { maximumFractionDigits: 6 });
  let asked = 0;  // the latest request; answers to older ones are dropped

  // The rule for a field in words, from what the served model publishes at /model (`inputs`), else from the
  // API's own message (without its "JSON"), else none.
  function ruleOf(field, apiMessage) {
    const spec = page.model && page.model.inputs && page.model.inputs[field];
    if (spec && Array.isArray(spec.enum)) return spec.enum.join(" or ");
    if (spec && typeof spec.min === "number" && typeof spec.max === "number") {
      return "a number " + (spec.min_exclusive ? "greater than " + number(spec.min) + " and at most " + number(spec.max)
        : "from " + number(spec.min) + " to " + number(spec.max));
    }
    const said = /^Must be a JSON number ((greater|from|at|up|between|below|above)[^.]*)\.?$/.exec(apiMessage || "");
    return said ? "a number " + said[1] : field === "gender" ? "" : "a number";
  }

  // What a business user reads next to a refused field: the rule, never the API's JSON wording.
  function plainMessage(field, sent, apiMessage) {
    const rule = ruleOf(field, apiMessage);
    if (field === "gender") return "Choose " + (rule || "one of the listed genders") + ".";
    if (sent === undefined) return "Enter the " + NAMES[field].toLowerCase() + ": " + rule + ".";
    return NAMES[field] + " must be " + rule + ".";
  }

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

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
    const mine = ++asked;
    showNoAnswer("Asking the model…", true);  // the previous customer's answer goes at once
    let result;
    try { result = await ask(customer); } catch (e) { result = null; }
    if (mine !== asked) return;  // a newer request is on its way
    if (result === null) {
      showNoAnswer("No answer: the service could not be reached.");
      return showFormError("The service did not answer; check the connection and try again.");
    }
    if (result.status === 422 && result.body && Array.isArray(result.body.details)) {
      let first = null;
      const other = [];
      for (const detail of result.body.details) {
        if (FIELDS.includes(detail.field)) {
          const box = $(detail.field + "-error");
          if (box.hidden) showFieldError($(detail.field), box, plainMessage(detail.field, customer[detail.field], detail.message));
          first = first || $(detail.field);
        } else other.push(detail.message);
      }
      if (other.length) showFormError(other.join(" "));
      showNoAnswer("No answer: correct the entry marked above, then press Predict again.");
      if (first) first.focus();
      return;
    }
    if (result.status !== 200) {
      showNoAnswer("No answer for this customer.");
      return showFormError(problem(result));
    }
    page.customer = customer;
    showAnswer(result.body);
    drawMap();
  }

  // The answer with its reasons (`?explain=true`), unless /model said the model has no explanation background;
  // a model without one (409) is asked again without.
  async function ask(customer) {
    const explainable = !page.model || Boolean(page.model.explanation_background);
    const result = await api(explainable ? "predict?explain=true" : "predict", customer);
    const refused = result.status === 409 && result.body && result.body.error === "explanation_unavailable";
    return refused ? api("predict", customer) : result;
  }

  // One input's reason in words: "Age pushes the chance up by 31.0 points".
  function reasonText(name, value) {
    const points = (Math.abs(value) * 100).toFixed(1);
    if (value === 0) return REASONS[name] + " does not move the chance";
    if (points === "0.0") return REASONS[name] + " moves the chance by less than 0.1 points";
    return REASONS[name] + (value > 0 ? " pushes the chance up by " : " pulls the chance down by ") + points + " points";
  }

  // Under the answer: the base rate, then per input its reason in words and a bar (hidden from screen
  // readers: the words say the same). Bars share one scale, half the width being 50 points or the largest.
  function explanationOf(explanation) {
    const shares = explanation.contributions;
    const scale = Math.max(0.5, ...FIELDS.map((name) => Math.abs(shares[name])));
    const list = el("ul", { class: "reasons", id: "answer-reasons" });
    for (const name of FIELDS) {
      const value = shares[name], width = (Math.abs(value) / scale) * 100;
      const bar = svg("svg", { class: "reason-bar", viewBox: "0 0 200 14", "aria-hidden": "true", focusable: "false" });
      bar.append(svg("rect", { class: "reason-track", x: 0, y: 6, width: 200, height: 2 }),
        svg("rect", { class: value >= 0 ? "reason-up" : "reason-down", x: value >= 0 ? 100 : 100 - width, y: 1,
          width: width, height: 12 }),
        svg("line", { class: "reason-zero", x1: 100, x2: 100, y1: 0, y2: 14 }));
      list.append(el("li", { "data-input": name, "data-contribution": String(value) },
        el("span", { class: "reason-text" }, reasonText(name, value)), bar));
    }
    return el("div", { class: "why", id: "answer-why" },
      el("h3", {}, "Why this chance"),
      el("p", { id: "answer-base" }, "Base rate " + pct(explanation.base)
        + ": the average chance over typical customers. From there:"),
      list);
  }

  // The answer box without an answer: a sentence, no verdict; the map's mark of the last customer removed.
  function showNoAnswer(message, busy) {
    const box = $("answer");
    box.replaceChildren(el("p", { class: "muted", id: "no-answer" }, message));
    for (const key of ["probability", "prediction", "threshold"]) delete box.dataset[key];
    if (busy) box.setAttribute("aria-busy", "true"); else box.removeAttribute("aria-busy");
    if (page.customer) { page.customer = null; drawMap(); }
  }

  function showFormError(message) {
    const box = $("form-error");
    box.textContent = message;
    box.hidden = false;
  }

  function showAnswer(answer) {
    const box = $("answer");
    box.removeAttribute("aria-busy");
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
    if (answer.explanation) box.append(explanationOf(answer.explanation));
    box.dataset.probability = String(answer.probability);
    box.dataset.prediction = answer.prediction;
    box.dataset.threshold = String(answer.threshold);
  }

  Object.assign(PP, { submitCustomer });
})(window.PP = window.PP || {});
