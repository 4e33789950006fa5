/* The overview: the host's live charts, and the container list kept fresh, filtered and sorted by the
 * JSON API (the same code as the server-rendered first paint, so the two never disagree). */
(function () {
  "use strict";
  const P = window.Porthole;
  const root = document.getElementById("charts");
  const memoryTotal = root.dataset.memoryTotal;
  const cpus = root.dataset.cpus;
  const LIST_REFRESH_MS = 2000;

  const hostCharts = [
    { id: "host-cpu", title: "CPU in use (cores)", unit: "cores", series: [
      { label: "in use", value: (s) => P.rate(s, "cpu.usage_ns", 1e-9) },
      { label: "cores", limit: true, value: (s) => P.constant(s, cpus) },
    ] },
    { id: "host-cpu-per-core", title: "CPU per core (cores)", unit: "cores",
      series: (s) => s.names("cpu.percpu.").map((n) => ({ label: "cpu" + n.split(".")[2], value: (x) => P.rate(x, n, 1e-9) })) },
    { id: "host-memory", title: "Memory", unit: "bytes", series: [
      { label: "usage", value: (s) => P.gauge(s, "memory.usage") },
      { label: "working set", value: (s) => P.gauge(s, "memory.working_set") },
      { label: "cache", value: (s) => P.gauge(s, "memory.cache") },
      { label: "total", limit: true, value: (s) => P.constant(s, memoryTotal) },
    ] },
    { id: "host-network", title: "Network (all interfaces)", unit: "bytes/s", series: [
      { label: "received", value: (s) => P.sumRates(s, s.names("net.").filter((n) => n.endsWith(".rx_bytes"))) },
      { label: "sent", value: (s) => P.sumRates(s, s.names("net.").filter((n) => n.endsWith(".tx_bytes"))) },
    ] },
    { id: "host-disk", title: "Disk I/O", unit: "bytes/s", series: [
      { label: "read", value: (s) => P.rate(s, "blkio.read_bytes") },
      { label: "written", value: (s) => P.rate(s, "blkio.write_bytes") },
    ] },
    { id: "host-load", title: "Load average", unit: "count", series: [
      { label: "1 min", value: (s) => P.gauge(s, "load.1") },
      { label: "5 min", value: (s) => P.gauge(s, "load.5") },
      { label: "15 min", value: (s) => P.gauge(s, "load.15") },
    ] },
  ];

  new P.LiveCharts(root, hostCharts, {
    windowSelect: document.getElementById("window"),
    onSamples: (s) => {
      const last = s.t.length - 1;
      if (last < 0) return;
      const load = ["load.1", "load.5", "load.15"].map((n) => s.column(n)[last]);
      document.getElementById("host-load").textContent = load.map((v) => (v == null ? "–" : v.toFixed(2))).join("  ");
    },
  }).start();

  // -- the container list ------------------------------------------------------------------------------
  const table = document.getElementById("container-list");
  const tbody = table.querySelector("tbody");
  const filterInput = document.getElementById("filter");
  const sortInput = document.getElementById("sort");
  const filterError = document.getElementById("filter-error");
  let pending = null;
  let generation = 0;

  function cell(tr, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function renderRow(c) {
    const ref = encodeURIComponent(c.name || c.id);
    const tr = document.createElement("tr");
    tr.dataset.id = c.id;
    tr.dataset.state = c.state;
    const name = cell(tr, link(table.dataset.pageUrl.replace("REF", ref), c.name), "name");
    const small = document.createElement("small");
    small.textContent = c.id.slice(0, 12);
    name.appendChild(small);
    const badge = document.createElement("span");
    badge.className = "state state-" + c.state;
    badge.textContent = c.state;
    const stateCell = cell(tr, badge);
    if (c.health) {
      const health = document.createElement("span");
      health.className = "health health-" + c.health;
      health.title = "healthcheck";
      health.textContent = c.health;
      stateCell.append(" ", health);
    }
    cell(tr, c.image, "image");
    cell(tr, c.status);
    cell(tr, P.format.percent(c.cpu_percent), "num");
    cell(tr, P.format.size(c.memory_usage) + (c.memory_limit ? " / " + P.format.size(c.memory_limit) : ""), "num");
    cell(tr, String(c.restart_count), "num");
    cell(tr, link(table.dataset.logsUrl.replace("REF", ref), "logs"));
    return tr;
  }

  async function refreshList() {
    const mine = ++generation;
    const query = new URLSearchParams({ filter: filterInput.value, sort: sortInput.value });
    try {
      const response = await fetch(table.dataset.listUrl + "?" + query, { credentials: "same-origin" });
      const body = await response.json();
      if (mine !== generation) return; // a newer request was sent while this one ran
      if (!response.ok) {
        filterError.textContent = body.message;
        filterError.hidden = false;
        return;
      }
      filterError.hidden = !body.engine_error;
      filterError.textContent = body.engine_error || "";
      const fragment = document.createDocumentFragment();
      for (const c of body.containers) fragment.appendChild(renderRow(c));
      tbody.replaceChildren(fragment);
      document.getElementById("shown-count").textContent = body.containers.length;
      document.getElementById("total-count").textContent = body.total;
      history.replaceState(null, "", "?" + query);
    } catch (e) {
      filterError.textContent = "web: cannot refresh the list: " + e.message;
      filterError.hidden = false;
    }
  }

  filterInput.addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(refreshList, 150);
  });
  document.getElementById("list-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refreshList();
  });
  for (const header of table.querySelectorAll("th a[data-sort]")) {
    header.addEventListener("click", (event) => {
      event.preventDefault();
      const key = header.dataset.sort;
      const current = sortInput.value;
      sortInput.value = current === key ? "-" + key : key;
      for (const h of table.querySelectorAll("th a[data-sort]")) h.className = "";
      header.className = "sorted" + (sortInput.value.startsWith("-") ? " desc" : "");
      refreshList();
    });
  }
  setInterval(refreshList, LIST_REFRESH_MS);
})();
