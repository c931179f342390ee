// Shared by the page's scripts: state, DOM helpers, and the API client that asks for a key on 401.
(function (PP) {
  "use strict";

  const KEY_STORE = "purchase-predictor.api-key";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FIELDS = ["age", "salary", "gender"];
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

  function showFieldError(input, box, message) {
    box.textContent = message;
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  Object.assign(PP, { page, FIELDS, $, fmtInt, pct, el, svg, api, problem, showFieldError });
})(window.PP = window.PP || {});
