// The admin page: a node admin's workplace over the admin API, with the key kept in this tab.
// Writes text only, never HTML.
"use strict";
(function () {
  const KEY = "gkss-admin-key";
  const $ = (id) => document.getElementById(id);
  let current = null; // the source shown in the detail section
  let polling = 0;
  let before = null; // the newest run of a source before "Harvest now"
  let strings = null; // the page's UI strings in its language (JSON in the data-strings of main#admin)

  /** One UI string of the page's language with its {placeholders} filled. */
  function tr(key, values) {
    if (strings === null) strings = JSON.parse($("admin").dataset.strings || "{}");
    const text = strings[key] === undefined ? key : strings[key];
    return text.replace(/\{(\w+)\}/g, (_, name) => (values && values[name] !== undefined ? String(values[name]) : ""));
  }

  /** A code in words of the page's language (``prefix + code`` in the strings), else the code itself. */
  function word(prefix, code) {
    tr("");
    return strings[prefix + code] === undefined ? code : tr(prefix + code);
  }

  /** A run's status in words of the page's language. */
  function state(status) {
    return status ? word("state_", status) : tr("admin_never_run");
  }

  function headers(json) {
    const key = sessionStorage.getItem(KEY);
    const out = key ? { Authorization: "Bearer " + key } : {};
    if (json) out["Content-Type"] = "application/json";
    return out;
  }

  async function detail(response) {
    try {
      const body = await response.json();
      return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (e) {
      return "";
    }
  }

  async function api(path, method, body) {
    const response = await fetch(path, {
      method: method || "GET",
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      if (!sessionStorage.getItem(KEY)) throw new Error(tr("admin_need_key"));
      throw new Error(tr("admin_refused", { why: await detail(response) }));
    }
    if (response.status === 403) throw new Error(tr("admin_forbidden", { why: await detail(response) }));
    if (!response.ok) {
      const why = await detail(response);
      throw new Error(tr(why ? "admin_http_error_why" : "admin_http_error", { status: response.status, why: why }));
    }
    return response.status === 204 ? null : response.json();
  }

  /** An ISO time in the reader's own time zone and the page's language, to the second, with the zone's name. */
  function local(iso) {
    if (!iso) return "";
    const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : iso + "Z"; // the hub's times are UTC
    const when = new Date(zoned);
    if (Number.isNaN(when.getTime())) return iso;
    return when.toLocaleString(document.documentElement.lang || undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
      hourCycle: "h23", timeZoneName: "short",
    });
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "-" : String(text);
    row.appendChild(td);
    return td;
  }

  function button(text, action, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) b.className = className;
    b.addEventListener("click", () => action().catch((e) => say(e.message)));
    return b;
  }

  function say(text) {
    $("status").textContent = text;
  }

  function enabled(source) {
    return !source.options || source.options.enabled !== false;
  }

  async function loadSources() {
    const sources = await api("/api/admin/sources");
    const body = $("sources").tBodies[0];
    body.replaceChildren();
    for (const source of sources) {
      const row = body.insertRow();
      row.dataset.source = source.id;
      const first = cell(row, "");
      first.replaceChildren(button(source.id, () => showSource(source.id)));
      const last = source.last_run || {};
      if (last.status === "failed" || last.status === "quarantined") row.className = "failed";
      cell(row, source.node);
      cell(row, source.protocol);
      cell(row, source.records);
      cell(row, state(last.status)).className = "status-" + (last.status || "none");
      cell(row, local(last.finished));
      cell(row, last.id ? [last.added, last.updated, last.deleted, last.failed].join(" / ") : "");
      cell(row, last.error);
      const actions = cell(row, "");
      actions.className = "actions";
      actions.replaceChildren(
        button(tr("admin_harvest_now"), () => harvest(source.id), "harvest"),
        button(enabled(source) ? tr("admin_disable") : tr("admin_enable"), () => toggle(source), "toggle"),
      );
    }
    say(tr("admin_n_sources", { n: sources.length }));
    return sources;
  }

  async function harvest(id) {
    const known = (await api("/api/admin/sources/" + encodeURIComponent(id))).last_run;
    before = known ? known.id : null;
    await api("/api/admin/sources/" + encodeURIComponent(id) + "/harvest", "POST", {});
    say(tr("admin_harvesting", { id: id }));
    document.dispatchEvent(new CustomEvent("gkss-harvest-started"));
    follow(id);
  }

  /** Reload the table until the source's newest run has ended. */
  function follow(id) {
    window.clearTimeout(polling);
    const started = Date.now();
    const tick = async () => {
      const sources = await loadSources();
      const source = sources.find((s) => s.id === id);
      const run = source && source.last_run;
      if (run && run.finished && run.id !== before) {
        say(tr("admin_run_ended", { id: id, run: run.id, status: state(run.status), added: run.added }));
        document.dispatchEvent(new CustomEvent("gkss-harvest-ended"));
        if (current === id) await showSource(id);
        return;
      }
      if (Date.now() - started < 600000) polling = window.setTimeout(() => tick().catch((e) => say(e.message)), 1000);
    };
    polling = window.setTimeout(() => tick().catch((e) => say(e.message)), 500);
  }

  async function toggle(source) {
    const on = !enabled(source);
    await api("/api/admin/sources/" + encodeURIComponent(source.id), "PATCH", { options: { enabled: on } });
    say(tr(on ? "admin_enabled" : "admin_disabled", { id: source.id }));
    await loadSources();
  }

  async function showSource(id) {
    const enc = encodeURIComponent(id);
    const [source, runs, quality, schedule] = await Promise.all([
      api("/api/admin/sources/" + enc),
      api("/api/admin/sources/" + enc + "/runs?limit=20"),
      api("/api/admin/sources/" + enc + "/quality"),
      api("/api/admin/sources/" + enc + "/schedule"),
    ]);
    current = id;
    $("detail").hidden = false;
    $("detail-title").textContent = tr("admin_source_title", { id: id });
    $("edit-url").value = source.url;
    $("edit-schedule").value = schedule.enabled ? String(schedule.every_seconds) : "";
    const dl = $("quality");
    dl.replaceChildren();
    const missing = Object.entries(quality.missing || {}).map(([k, v]) => k + " (" + v.records + ")");
    for (const [term, value] of [
      [tr("admin_scored"), quality.records],
      [tr("admin_mean"), quality.mean_score],
      [tr("admin_lowest"), quality.lowest_score],
      [tr("admin_missing"), missing.join(", ")],
      [tr("admin_unknown"), (quality.unknown_vocabulary || []).map((u) => u.field + "=" + u.value).join(", ")],
      [tr("admin_latest_errors"), quality.last_run_record_errors],
    ]) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value === null || value === undefined || value === "" ? "-" : String(value);
      dl.append(dt, dd);
    }
    const body = $("runs").tBodies[0];
    body.replaceChildren();
    for (const run of runs) {
      const row = body.insertRow();
      if (run.status === "failed" || run.status === "quarantined") row.className = "failed";
      cell(row, run.id);
      cell(row, state(run.status)).className = "status-" + run.status;
      cell(row, local(run.started));
      for (const key of ["seconds", "added", "updated", "unchanged", "deleted", "failed", "bytes"]) cell(row, run[key]);
      cell(row, Object.entries(run.statuses || {}).map(([k, v]) => k + "×" + v).join(", "));
      cell(row, [run.error, ...(run.notes || [])].filter(Boolean).join(" · "));
    }
    const list = $("record-errors");
    list.replaceChildren();
    for (const error of (runs[0] && runs[0].record_errors) || []) {
      const item = document.createElement("li");
      const severity = word("severity_", error.severity);
      item.textContent = severity + ": " + (error.native_id || tr("admin_no_id")) + ": " + error.message;
      list.appendChild(item);
    }
  }

  function addForm() {
    const node = $("add-node").value.trim();
    return {
      id: $("add-id").value.trim(),
      protocol: $("add-protocol").value,
      url: $("add-url").value.trim(),
      options: {},
      node: node || null,
    };
  }

  async function probeUrl() {
    const url = $("add-url").value.trim();
    if (!url) throw new Error(tr("admin_give_url"));
    say(tr("admin_looking", { url: url }));
    const found = await api("/api/admin/sources/probe", "POST", { url: url });
    if (!found.protocol) throw new Error(tr("admin_no_protocol", { url: url, notes: (found.notes || []).join(" ") }));
    $("add-protocol").value = found.protocol;
    if (found.source_url) $("add-url").value = found.source_url;
    say(tr("admin_found", { protocol: found.protocol, url: found.source_url || url }));
  }

  async function previewSource() {
    const form = addForm();
    if (!form.url) throw new Error(tr("admin_give_url"));
    say(tr("admin_reading", { url: form.url }));
    const answer = await api("/api/admin/sources/dry-run", "POST", {
      protocol: form.protocol, url: form.url, options: {}, limit: 20, check_links: false,
    });
    $("preview-box").hidden = false;
    const mean = answer.quality && answer.quality.mean_score !== undefined ? answer.quality.mean_score : "-";
    $("preview-summary").textContent = answer.status === "failed"
      ? tr("admin_preview_failed", { error: answer.error })
      : tr("admin_preview_summary", { records: answer.records, failed: answer.failed, mean: mean });
    const list = $("preview-records");
    list.replaceChildren();
    for (const item of answer.resources || []) {
      const li = document.createElement("li");
      const titles = item.resource.title || {};
      li.textContent = titles.en || Object.values(titles)[0] || item.resource.native_id;
      list.appendChild(li);
    }
    say(tr("admin_preview_ready", { n: answer.records }));
  }

  async function addSource(event) {
    event.preventDefault();
    const form = addForm();
    await api("/api/admin/sources", "POST", form);
    say(tr("admin_added_msg", { id: form.id }));
    await loadSources();
    await showSource(form.id);
  }

  async function saveSource(event) {
    event.preventDefault();
    if (!current) return;
    const enc = encodeURIComponent(current);
    await api("/api/admin/sources/" + enc, "PATCH", { url: $("edit-url").value.trim() });
    const every = $("edit-schedule").value;
    await api("/api/admin/sources/" + enc + "/schedule", "PUT", { every_seconds: every ? Number(every) : null });
    say(tr("admin_saved", { id: current }));
    await loadSources();
    await showSource(current);
  }

  function refresh() {
    loadSources().catch((e) => say(e.message));
  }

  const guard = (action) => (event) => action(event).catch((e) => say(e.message));

  document.addEventListener("DOMContentLoaded", () => {
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("key").value.trim();
      if (key) sessionStorage.setItem(KEY, key);
      $("key").value = "";
      refresh();
    });
    $("forget").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      refresh();
    });
    $("probe").addEventListener("click", guard(probeUrl));
    $("preview").addEventListener("click", guard(previewSource));
    $("add-form").addEventListener("submit", guard(addSource));
    $("edit-form").addEventListener("submit", guard(saveSource));
    refresh();
  });
})();
