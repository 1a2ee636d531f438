// The harvest progress panel (#progress) of the portal and the admin page: polls /api/harvest/progress
// while a harvest runs and says, per source, whether it runs (records so far), succeeded or failed.
// Writes text only, never HTML.
"use strict";
(function () {
  const EVERY = 1500; // milliseconds between polls while something runs
  const QUIET = 3; // polls finding nothing running before the panel stops (a scheduler starts runs one by one)
  let timer = 0;
  let quiet = 0;
  let strings = null;

  function tr(key, values) {
    if (strings === null) strings = JSON.parse(document.getElementById("progress").dataset.strings || "{}");
    const text = strings[key] === undefined ? key : strings[key];
    return text.replace(/\{(\w+)\}/g, (_, name) => (values[name] !== undefined ? String(values[name]) : ""));
  }

  function render(panel, answer) {
    const list = panel.querySelector(".progress-runs");
    list.replaceChildren();
    for (const row of answer.sources) {
      if (row.status === "never") continue;
      const item = document.createElement("li");
      item.className = "status-" + row.status;
      item.dataset.source = row.source;
      const n = row.status === "running" ? row.run_records : row.records;
      item.textContent = tr("progress_" + row.status, { source: row.name, n: n });
      list.appendChild(item);
    }
    panel.querySelector(".progress-summary").textContent = tr("progress_summary", answer);
  }

  /** Ask the hub; show the panel while a harvest runs and keep it, with the last states, once all ended. */
  async function poll(panel, follow) {
    window.clearTimeout(timer);
    let answer;
    try {
      const response = await fetch("/api/harvest/progress", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      answer = await response.json();
    } catch (e) {
      return;
    }
    if (answer.running > 0 || follow) {
      panel.hidden = false;
      render(panel, answer);
    }
    quiet = answer.running > 0 || follow === "starting" ? 0 : quiet + 1;
    if (answer.running > 0 || (follow && quiet < QUIET)) {
      timer = window.setTimeout(() => poll(panel, true), EVERY);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.getElementById("progress");
    if (!panel) return;
    poll(panel, false);
    // The admin page's "Harvest now": follow the run it started (it may not have begun yet).
    document.addEventListener("gkss-harvest-started", () => poll(panel, "starting"));
    document.addEventListener("gkss-harvest-ended", () => poll(panel, true)); // its final state at once
  });
})();
