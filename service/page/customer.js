// Try a customer: the form, the API's 422 messages next to their fields, and the answer.
(function (PP) {
  "use strict";
  const { page, FIELDS, $, pct, el, api, problem, showFieldError, drawMap } = PP;

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

  Object.assign(PP, { submitCustomer });
})(window.PP = window.PP || {});
