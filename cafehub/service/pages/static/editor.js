// The segment editor: plain JavaScript over the service's JSON API (no framework, no build step).
// Every value from the server or the user is written with textContent, never as HTML.
"use strict";

(function () {
  const body = document.body;
  const shop = body.dataset.shop;
  const canWrite = body.dataset.canWrite === "yes";
  const api = "/v1/shops/" + encodeURIComponent(shop);
  const $ = (id) => document.getElementById(id);
  const text = $("segment-text");
  const nameInput = $("segment-name");
  const description = $("segment-description");

  // ------------------------------------------------------------ HTTP

  async function call(method, path, payload) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CafeHub-Csrf": "1", "Accept": "application/json" },
    };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch(api + path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.status === 401) { window.location.href = "/login?shop=" + encodeURIComponent(shop) + "&reason=unauthenticated"; }
    return { ok: response.ok, status: response.status, data: data };
  }

  function errorText(result) {
    const error = result.data && result.data.error;
    return error ? error.message : "request failed (HTTP " + result.status + ")";
  }

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // The time inputs are wall-clock time in the shop's zone; the API reads a value without offset that way.
  function at() {
    const value = $("at").value;
    return value ? value : null;
  }

  // ------------------------------------------------------------ live check, format, SQL

  let generation = 0;  // answers to an older text are ignored
  let formattedText = null;

  function renderDiagnostics(diagnostics, source) {
    const box = $("diagnostics");
    clear(box);
    const lines = source.split("\n");
    diagnostics.forEach((d) => {
      const item = el("div", "diagnostic " + d.severity);
      item.appendChild(el("div", "headline", d.severity + "[" + d.code + "]: " + d.message));
      if (d.line) {
        const line = lines[d.line - 1] || "";
        const gutter = String(d.line);
        const width = Math.max(1, Math.min((d.end || d.start + 1) - d.start, line.length - d.column + 1));
        const caret = " ".repeat(gutter.length) + " | " + " ".repeat(d.column - 1) + "^".repeat(width);
        item.appendChild(el("pre", "excerpt", " --> " + d.line + ":" + d.column + "\n" + gutter + " | " + line + "\n" + caret));
        item.title = "click to put the cursor at the problem";
        item.addEventListener("click", () => {
          text.focus();
          text.setSelectionRange(d.start, Math.max(d.start, d.end || d.start));
        });
      }
      d.hints.forEach((hint) => item.appendChild(el("div", "hint", "= hint: " + hint)));
      box.appendChild(item);
    });
  }

  async function refresh() {
    const mine = ++generation;
    const source = text.value;
    if (!source.trim()) {
      $("status").textContent = "";
      clear($("diagnostics"));
      setFormatted(null);
      setSql(null);
      return;
    }
    const checked = await call("POST", "/text/check", { text: source });
    if (mine !== generation) return;
    if (!checked.ok) { $("status").textContent = errorText(checked); return; }
    const errors = checked.data.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = checked.data.diagnostics.length - errors;
    $("status").textContent = checked.data.valid
      ? "✓ valid" + (warnings ? " (" + warnings + " warning" + (warnings > 1 ? "s" : "") + ")" : "")
      : "✗ " + errors + " error" + (errors > 1 ? "s" : "");
    $("status").className = "status " + (checked.data.valid ? "valid" : "invalid");
    renderDiagnostics(checked.data.diagnostics, source);
    if (!checked.data.valid) { setFormatted(null); setSql(null); return; }
    const [formatted, sql] = await Promise.all([
      call("POST", "/text/format", { text: source }),
      call("POST", "/text/sql", { text: source, dialect: $("dialect").value, now: at() }),
    ]);
    if (mine !== generation) return;
    setFormatted(formatted.ok ? formatted.data.text : null);
    setSql(sql.ok ? sql.data : null);
  }

  function setFormatted(value) {
    formattedText = value;
    $("formatted").textContent = value === null ? "—" : value;
    $("formatted").classList.toggle("muted", value === null);
    $("use-formatted").disabled = value === null || value === text.value;
  }

  function setSql(result) {
    $("sql").textContent = result ? result.sql : "—";
    $("sql").classList.toggle("muted", !result);
    const table = $("parameters");
    clear(table);
    if (!result) return;
    result.parameters.forEach((p) => {
      const row = el("tr");
      row.appendChild(el("td", "name", ":" + p.name));
      row.appendChild(el("td", "value", p.value === null ? "" : String(p.value)));
      row.appendChild(el("td", "muted", p.computed_as));
      table.appendChild(row);
    });
  }

  let timer = null;
  text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  $("dialect").addEventListener("change", refresh);
  $("use-formatted").addEventListener("click", () => {
    if (formattedText !== null) { text.value = formattedText; refresh(); }
  });

  // ------------------------------------------------------------ audience size and explain

  $("count").addEventListener("click", async () => {
    const out = $("count-result");
    out.textContent = "counting…";
    const result = await call("POST", "/text/count", { text: text.value, now: at() });
    out.textContent = result.ok
      ? result.data.count.toLocaleString("en") + " customers at " + result.data.now
      : errorText(result);
  });

  function renderNode(node) {
    const item = el("li", node.value ? "true" : "false");
    item.appendChild(el("span", "mark", node.value ? "✓ " : "✗ "));
    item.appendChild(el("code", null, node.text));
    const evidence = node.evidence;
    if (evidence) {
      const facts = el("ul", "evidence");
      if (evidence.aggregate) facts.appendChild(el("li", null, evidence.aggregate + " = " + (evidence.value === null ? "null (no rows)" : evidence.value)));
      facts.appendChild(el("li", null, "matched " + evidence.matched.length + " of " + evidence.rows_in_scope.length + " " + evidence.collection + " rows in scope" + (evidence.matched.length ? ": " + evidence.matched.slice(0, 8).join(", ") + (evidence.matched.length > 8 ? " …" : "") : "")));
      if (evidence.scope_window) facts.appendChild(el("li", "muted", "scope: " + evidence.scope_window.text));
      item.appendChild(facts);
    }
    node.windows.forEach((w) => item.appendChild(el("div", "muted", "window: " + w.text)));
    if (node.children.length) {
      const list = el("ul");
      node.children.forEach((child) => list.appendChild(renderNode(child)));
      item.appendChild(list);
    }
    return item;
  }

  $("explain").addEventListener("click", async () => {
    const box = $("explanation");
    clear(box);
    const member = $("member").value.trim();
    if (!member) { box.appendChild(el("p", "muted", "enter a member id")); return; }
    const result = await call("POST", "/text/explain", { text: text.value, member_id: member, now: at() });
    if (!result.ok) { box.appendChild(el("p", "error", errorText(result))); return; }
    const x = result.data;
    box.appendChild(el("p", "verdict " + (x.matches ? "true" : "false"),
      x.member_id + (x.matches ? " matches" : " does not match") + " at " + x.now));
    const tree = el("ul", "tree");
    tree.appendChild(renderNode(x.root));
    box.appendChild(tree);
  });

  // ------------------------------------------------------------ saved segments: list, history, save

  function segmentPath(name) { return "/segments/" + encodeURIComponent(name); }

  async function loadList() {
    const list = $("saved-list");
    const result = await call("GET", "/segments");
    clear(list);
    if (!result.ok) { list.appendChild(el("li", "muted", errorText(result))); return; }
    if (!result.data.segments.length) list.appendChild(el("li", "muted", "none yet"));
    result.data.segments.forEach((s) => {
      const item = el("li");
      const link = el("a", null, s.name);
      link.href = "/shops/" + encodeURIComponent(shop) + "/editor?segment=" + encodeURIComponent(s.name);
      item.appendChild(link);
      item.appendChild(el("span", "muted", " v" + s.latest_version));
      list.appendChild(item);
    });
  }

  async function loadHistory(name) {
    const list = $("history");
    clear(list);
    if (!name) { list.appendChild(el("li", "muted", "not saved yet")); return; }
    const result = await call("GET", segmentPath(name) + "/versions");
    if (!result.ok) { list.appendChild(el("li", "muted", result.status === 404 ? "not saved yet" : errorText(result))); return; }
    result.data.versions.slice().reverse().forEach((v) => {
      const item = el("li", "version");
      item.dataset.version = String(v.version);
      const open = el("button", "link", "v" + v.version);
      open.type = "button";
      open.title = "load this version into the editor";
      open.addEventListener("click", () => { text.value = v.text; $("save-result").textContent = "loaded version " + v.version; refresh(); });
      item.appendChild(open);
      item.appendChild(el("span", "muted", " " + v.saved_at + " by " + v.saved_by));
      item.appendChild(el("code", "preview", v.text.length > 80 ? v.text.slice(0, 80) + "…" : v.text));
      list.appendChild(item);
    });
  }

  async function openSegment(name) {
    const result = await call("GET", segmentPath(name));
    if (!result.ok) { $("save-result").textContent = errorText(result); return; }
    nameInput.value = result.data.segment.name;
    description.value = result.data.segment.description;
    text.value = result.data.version.text;
    $("save-result").textContent = "version " + result.data.version.version + " of " + result.data.segment.name;
    await Promise.all([refresh(), loadHistory(name)]);
  }

  $("save").addEventListener("click", async () => {
    const out = $("save-result");
    const name = nameInput.value.trim();
    if (!name) { out.textContent = "give the segment a name first"; nameInput.focus(); return; }
    const result = await call("PUT", segmentPath(name), { text: text.value, description: description.value });
    if (!result.ok) {
      out.textContent = errorText(result);
      if (result.data && result.data.error && result.data.error.diagnostics) renderDiagnostics(result.data.error.diagnostics, text.value);
      return;
    }
    out.textContent = result.data.created
      ? "saved as version " + result.data.version.version
      : "unchanged: the same text as version " + result.data.version.version;
    history.replaceState(null, "", "/shops/" + encodeURIComponent(shop) + "/editor?segment=" + encodeURIComponent(name));
    await Promise.all([loadHistory(name), loadList()]);
  });

  if (!canWrite) $("save").title = "this token has no write scope";
  loadList();
  if (body.dataset.segment) openSegment(body.dataset.segment);
})();
