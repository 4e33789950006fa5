/* A container's page: live charts (kept across restarts: the history is per container, not per process),
 * its state, processes and events refreshed in the background. */
(function () {
  "use strict";
  const P = window.Porthole;
  const root = document.getElementById("charts");
  const cpuLimit = root.dataset.cpuLimit;
  const interfaceSelect = document.getElementById("interface");
  const DETAILS_REFRESH_MS = 2000;
  const PROCESSES_REFRESH_MS = 5000;

  const iface = () => interfaceSelect.value;
  const net = (field) => (s) => P.rate(s, "net." + iface() + "." + field);
  const netSeries = (fields) => (s) => (iface() ? fields.map(([label, field]) => ({ label: label, value: net(field) })) : []);

  const charts = [
    { id: "cpu", title: "CPU (cores)", unit: "cores", series: [
      { label: "total", value: (s) => P.rate(s, "cpu.usage_ns", 1e-9) },
      { label: "limit", limit: true, value: (s) => P.constant(s, cpuLimit) },
    ] },
    { id: "cpu-breakdown", title: "CPU user and system (cores)", unit: "cores", series: [
      { label: "user", value: (s) => P.rate(s, "cpu.user_ns", 1e-9) },
      { label: "system", value: (s) => P.rate(s, "cpu.system_ns", 1e-9) },
    ] },
    { id: "cpu-per-core", title: "CPU per core (cores)", unit: "cores",
      series: (s) => s.names("cpu.percpu.").map((n) => ({ label: "cpu" + n.split(".")[2], value: (x) => P.rate(x, n, 1e-9) })) },
    { id: "cpu-throttling", title: "CPU throttling (per second)", unit: "count", series: [
      { label: "throttled periods", value: (s) => P.rate(s, "cpu.throttled_periods") },
      { label: "throttled seconds", value: (s) => P.rate(s, "cpu.throttled_ns", 1e-9) },
    ] },
    { id: "memory", title: "Memory", unit: "bytes", series: [
      { label: "usage", value: (s) => P.gauge(s, "memory.usage") },
      { label: "working set", value: (s) => P.gauge(s, "memory.working_set") },
      { label: "rss", value: (s) => P.gauge(s, "memory.rss") },
      { label: "cache", value: (s) => P.gauge(s, "memory.cache") },
      { label: "limit", limit: true, value: (s) => P.gauge(s, "memory.limit") },
    ] },
    { id: "network-bytes", title: "Network throughput", unit: "bytes/s",
      series: netSeries([["received", "rx_bytes"], ["sent", "tx_bytes"]]) },
    { id: "network-packets", title: "Network packets (per second)", unit: "count",
      series: netSeries([["received", "rx_packets"], ["sent", "tx_packets"]]) },
    { id: "network-errors", title: "Network errors and drops (per second)", unit: "count",
      series: netSeries([["rx errors", "rx_errors"], ["tx errors", "tx_errors"], ["rx dropped", "rx_dropped"], ["tx dropped", "tx_dropped"]]) },
    { id: "blkio-bytes", title: "Block I/O", unit: "bytes/s", series: [
      { label: "read", value: (s) => P.rate(s, "blkio.read_bytes") },
      { label: "written", value: (s) => P.rate(s, "blkio.write_bytes") },
    ] },
    { id: "blkio-ops", title: "Block I/O operations (per second)", unit: "count", series: [
      { label: "reads", value: (s) => P.rate(s, "blkio.read_ops") },
      { label: "writes", value: (s) => P.rate(s, "blkio.write_ops") },
    ] },
    { id: "pids", title: "Tasks (pids)", unit: "count", series: [
      { label: "current", value: (s) => P.gauge(s, "pids.current") },
      { label: "limit", limit: true, value: (s) => P.gauge(s, "pids.limit") },
    ] },
  ];

  const live = new P.LiveCharts(root, charts, {
    windowSelect: document.getElementById("window"),
    onSamples: (s) => {
      const known = [...interfaceSelect.options].map((o) => o.value);
      for (const name of s.interfaces()) {
        if (!known.includes(name)) interfaceSelect.add(new Option(name, name));
      }
      interfaceSelect.parentNode.hidden = interfaceSelect.options.length === 0;
    },
  }).start();
  interfaceSelect.addEventListener("change", () => live.redraw());

  // -- state, processes, events ------------------------------------------------------------------------
  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || response.statusText);
    return body;
  }

  async function refreshDetails() {
    try {
      const c = await getJson(root.dataset.containerUrl);
      const state = document.getElementById("state");
      state.textContent = c.state;
      state.className = "state state-" + c.state;
      document.getElementById("status").textContent = c.status;
      document.getElementById("restarts").textContent = c.restart_count;
      const events = await getJson(document.getElementById("events").dataset.url);
      renderRows(document.querySelector("#events tbody"), events.events.map((e) => [P.format.time(e.time), e.action, e.detail]));
    } catch (e) {
      document.getElementById("status").textContent = e.message;
    }
  }

  function renderRows(tbody, rows) {
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const value of row) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    tbody.replaceChildren(fragment);
  }

  async function refreshProcesses() {
    const table = document.getElementById("processes");
    const note = document.getElementById("processes-note");
    try {
      const body = await getJson(table.dataset.url);
      renderRows(table.querySelector("thead"), body.titles.length ? [body.titles] : []);
      renderRows(table.querySelector("tbody"), body.processes);
      note.textContent = body.note || "";
    } catch (e) {
      note.textContent = e.message;
    }
  }

  refreshProcesses();
  setInterval(refreshDetails, DETAILS_REFRESH_MS);
  setInterval(refreshProcesses, PROCESSES_REFRESH_MS);
})();
