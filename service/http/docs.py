"""A self-contained docs page rendering /openapi.json in the browser (no CDN, no extra package)."""

from __future__ import annotations

DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Purchase Predictor API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{display:inline-block;min-width:4rem;font-weight:bold;text-transform:uppercase}
.post{color:#2a7}.get{color:#27a} pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.85rem}
details summary{cursor:pointer}
</style></head>
<body><h1>Purchase Predictor API</h1>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
<div id="desc"></div><div id="ops"></div><h2>Schemas</h2><div id="schemas"></div>
<script>
function el(tag, text, cls){
  const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e}
function pre(obj){return el("pre", JSON.stringify(obj, null, 2))}
fetch("openapi.json").then(r => r.json()).then(spec => {
  document.getElementById("desc").appendChild(el("pre", spec.info.description || ""));
  const ops = document.getElementById("ops");
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const box = el("div", null, "op");
      const head = el("div"); head.appendChild(el("span", method, "m " + method));
      head.appendChild(el("code", path)); head.appendChild(el("span", "  " + (op.summary || "")));
      box.appendChild(head);
      if (op.requestBody) { const d = el("details"); d.appendChild(el("summary", "Request body"));
        d.appendChild(pre(op.requestBody.content)); box.appendChild(d); }
      const d = el("details"); d.appendChild(el("summary", "Responses")); d.appendChild(pre(op.responses));
      box.appendChild(d); ops.appendChild(box);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    const d = el("details"); d.appendChild(el("summary", name)); d.appendChild(pre(schema));
    schemas.appendChild(d);
  }
});
</script></body></html>
"""
