// Shared by the page's scripts: state, DOM helpers, and the API client that asks for a key on 401.
(function (PP) {
  "use strict";

  const KEY_STORE = "purchase-predictor.api-key";
  const ADMIN_STORE = "purchase-predictor.admin-key";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FIELDS = ["age", "salary", "gender"];
  const page = { model: null, customer: null, map: null, mapGender: null, monitoring: null, memoryKeys: {} };

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
  function storedKey(name) {
    try { return sessionStorage.getItem(name || KEY_STORE); } catch (e) { return null; }
  }

  function storeKey(name, key) {
    try { if (key) sessionStorage.setItem(name, key); else sessionStorage.removeItem(name); } catch (e) {
      /* storage off: the key lives in memory for this page only */
    }
    page.memoryKeys[name] = key;
  }

  const keyOf = (name) => storedKey(name) || page.memoryKeys[name] || null;

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
          storeKey(KEY_STORE, key);
          input.value = "";
          panel.hidden = true;
          keyRequest = null;
          resolve();
          document.dispatchEvent(new Event("pp-key"));
        };
      });
    }
    return keyRequest;
  }

  // opts.admin: an admin path; it sends the admin key (else the prediction key) and hands a 401 back to the
  // caller instead of asking, so a prediction-only key keeps working for the rest of the page.
  async function api(path, body, opts) {
    const admin = Boolean(opts && opts.admin);
    for (;;) {
      const key = (admin && keyOf(ADMIN_STORE)) || keyOf(KEY_STORE);
      const headers = Object.assign({ Accept: "application/json" }, (opts && opts.headers) || {});
      if (key) headers.Authorization = "Bearer " + key;
      const init = { method: body === undefined ? "GET" : "POST", headers: headers, cache: "no-store" };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      const response = await fetch(path, init);
      if (response.status !== 401 || admin) {
        let json = null;
        try { json = await response.json(); } catch (e) { json = null; }
        return { status: response.status, body: json, sentKey: Boolean(key) };
      }
      storeKey(KEY_STORE, null);
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

  Object.assign(PP, { page, FIELDS, ADMIN_STORE, $, fmtInt, pct, el, svg, api, keyOf, storeKey, problem, showFieldError });
})(window.PP = window.PP || {});
