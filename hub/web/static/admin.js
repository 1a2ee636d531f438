// The admin page: a node admin's workplace over the admin API, with the key kept in this tab.
// Writes text only, never HTML.
"use strict";
(function () {
  const KEY = "gkss-admin-key";
  const $ = (id) => document.getElementById(id);
  let current = null; // the source shown in the detail section
  let polling = 0;
  let before = null; // the newest run of a source before "Harvest now"

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
      if (!sessionStorage.getItem(KEY)) throw new Error("This page needs an API key: paste yours above.");
      throw new Error("The hub refused this key (" + (await detail(response)) + "). Check it, or forget it.");
    }
    if (response.status === 403) throw new Error("This key may not do that: " + (await detail(response)));
    if (!response.ok) {
      const why = await detail(response);
      throw new Error("The hub answered HTTP " + response.status + (why ? ": " + why : "") + ".");
    }
    return response.status === 204 ? null : response.json();
  }

  /** An ISO time in the reader's own time zone, to the second, with the zone's name. */
  function local(iso) {
    if (!iso) return "";
    const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : iso + "Z"; // the hub's times are UTC
    const when = new Date(zoned);
    if (Number.isNaN(when.getTime())) return iso;
    return when.toLocaleString(undefined, {
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
      cell(row, last.status || "never run").className = "status-" + (last.status || "none");
      cell(row, local(last.finished));
      cell(row, last.id ? [last.added, last.updated, last.deleted, last.failed].join(" / ") : "");
      cell(row, last.error);
      const actions = cell(row, "");
      actions.className = "actions";
      actions.replaceChildren(
        button("Harvest now", () => harvest(source.id), "harvest"),
        button(enabled(source) ? "Disable" : "Enable", () => toggle(source), "toggle"),
      );
    }
    say(sources.length + " source(s).");
    return sources;
  }

  async function harvest(id) {
    const known = (await api("/api/admin/sources/" + encodeURIComponent(id))).last_run;
    before = known ? known.id : null;
    await api("/api/admin/sources/" + encodeURIComponent(id) + "/harvest", "POST", {});
    say("Harvesting " + id + "… the table shows the run when it ends.");
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
        say(id + ": run " + run.id + " " + run.status + " (" + run.added + " added).");
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
    say(source.id + (on ? " enabled." : " disabled."));
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
    $("detail-title").textContent = "Source " + id;
    $("edit-url").value = source.url;
    $("edit-schedule").value = schedule.enabled ? String(schedule.every_seconds) : "";
    const dl = $("quality");
    dl.replaceChildren();
    const missing = Object.entries(quality.missing || {}).map(([k, v]) => k + " (" + v.records + ")");
    for (const [term, value] of [
      ["Records scored", quality.records],
      ["Mean score (0-100)", quality.mean_score],
      ["Lowest score", quality.lowest_score],
      ["Missing fields", missing.join(", ")],
      ["Unknown vocabulary", (quality.unknown_vocabulary || []).map((u) => u.field + "=" + u.value).join(", ")],
      ["Record errors in the latest run", quality.last_run_record_errors],
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
      cell(row, run.status).className = "status-" + run.status;
      cell(row, local(run.started));
      for (const key of ["seconds", "added", "updated", "unchanged", "deleted", "failed", "bytes"]) cell(row, run[key]);
      cell(row, Object.entries(run.statuses || {}).map(([k, v]) => k + "×" + v).join(", "));
      cell(row, [run.error, ...(run.notes || [])].filter(Boolean).join(" · "));
    }
    const list = $("record-errors");
    list.replaceChildren();
    for (const error of (runs[0] && runs[0].record_errors) || []) {
      const item = document.createElement("li");
      item.textContent = error.severity + ": " + (error.native_id || "(no id)") + ": " + error.message;
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
    if (!url) throw new Error("Give the source's address first.");
    say("Looking at " + url + "…");
    const found = await api("/api/admin/sources/probe", "POST", { url: url });
    if (!found.protocol) throw new Error("No known protocol answers at " + url + ". " + (found.notes || []).join(" "));
    $("add-protocol").value = found.protocol;
    if (found.source_url) $("add-url").value = found.source_url;
    say("Found " + found.protocol + " at " + (found.source_url || url) + ".");
  }

  async function previewSource() {
    const form = addForm();
    if (!form.url) throw new Error("Give the source's address first.");
    say("Reading the first records of " + form.url + "…");
    const answer = await api("/api/admin/sources/dry-run", "POST", {
      protocol: form.protocol, url: form.url, options: {}, limit: 20, check_links: false,
    });
    $("preview-box").hidden = false;
    const mean = answer.quality && answer.quality.mean_score !== undefined ? answer.quality.mean_score : "-";
    $("preview-summary").textContent = answer.status === "failed"
      ? "The preview failed: " + answer.error
      : answer.records + " record(s) read, " + answer.failed + " failed, mean quality " + mean + ". Nothing was saved.";
    const list = $("preview-records");
    list.replaceChildren();
    for (const item of answer.resources || []) {
      const li = document.createElement("li");
      const titles = item.resource.title || {};
      li.textContent = titles.en || Object.values(titles)[0] || item.resource.native_id;
      list.appendChild(li);
    }
    say("Preview ready: " + answer.records + " record(s).");
  }

  async function addSource(event) {
    event.preventDefault();
    const form = addForm();
    await api("/api/admin/sources", "POST", form);
    say("Source " + form.id + " added. Harvest it now from the table.");
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
    say("Source " + current + " saved.");
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
