// The admin page: reads the admin API with the key kept in this tab; writes text only, never HTML.
"use strict";
(function () {
  const KEY = "gkss-admin-key";
  const $ = (id) => document.getElementById(id);

  function headers() {
    const key = sessionStorage.getItem(KEY);
    return key ? { Authorization: "Bearer " + key } : {};
  }

  async function api(path) {
    const response = await fetch(path, { headers: headers() });
    if (response.status === 401) throw new Error("This page needs an API key (or the key was refused).");
    if (response.status === 403) throw new Error("This key may not read that.");
    if (!response.ok) throw new Error("The hub answered HTTP " + response.status + ".");
    return response.json();
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "-" : String(text);
    row.appendChild(td);
    return td;
  }

  function say(text) {
    $("status").textContent = text;
  }

  async function loadSources() {
    const body = $("sources").tBodies[0];
    body.replaceChildren();
    const sources = await api("/api/admin/sources");
    for (const source of sources) {
      const row = body.insertRow();
      const first = cell(row, "");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = source.id;
      button.addEventListener("click", () => showSource(source.id).catch((e) => say(e.message)));
      first.replaceChildren(button);
      const last = source.last_run || {};
      cell(row, source.node);
      cell(row, source.protocol);
      cell(row, source.records);
      cell(row, last.status || "never run").className = "status-" + (last.status || "none");
      cell(row, last.finished);
      cell(row, last.id ? [last.added, last.updated, last.deleted, last.failed].join(" / ") : "");
      cell(row, last.error);
    }
    say(sources.length + " source(s).");
  }

  async function showSource(id) {
    const enc = encodeURIComponent(id);
    const [runs, quality] = await Promise.all([
      api("/api/admin/sources/" + enc + "/runs?limit=20"),
      api("/api/admin/sources/" + enc + "/quality"),
    ]);
    $("detail").hidden = false;
    $("detail-title").textContent = "Source " + id;
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
      for (const key of ["id", "status", "started", "seconds", "added", "updated", "unchanged", "deleted", "failed", "bytes"]) {
        cell(row, run[key]);
      }
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

  function refresh() {
    loadSources().catch((e) => say(e.message));
  }

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
    refresh();
  });
})();
