/* Live charts: samples polled from the JSON API into columns, rates worked out here (as cAdvisor's UI
 * does), drawn with uPlot. A counter that restarts (the pid column changes, or the value goes down) and a
 * gap in the samples (the container was not running) break the line instead of drawing a spike. */
(function () {
  "use strict";
  const P = (window.Porthole = window.Porthole || {});
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  const LIMIT_COLOR = "#888";

  class Samples {
    constructor(url, interval, keepSeconds) {
      this.url = url;
      this.interval = interval;
      this.keepSeconds = keepSeconds;
      this.t = [];
      this.cols = {};
    }

    async poll() {
      const since = this.t.length ? this.t[this.t.length - 1] : 0;
      const response = await fetch(this.url + "?since=" + since, { credentials: "same-origin" });
      if (!response.ok) throw new Error((await response.json()).message || response.statusText);
      const body = await response.json();
      this.append(body.t, body.columns);
      return body;
    }

    append(times, columns) {
      if (!times.length) return;
      const before = this.t.length;
      for (const name of Object.keys(columns)) {
        if (!(name in this.cols)) this.cols[name] = new Array(before).fill(null);
      }
      for (const t of times) this.t.push(t);
      for (const [name, column] of Object.entries(this.cols)) {
        const added = columns[name];
        for (let i = 0; i < times.length; i++) column.push(added ? added[i] : null);
      }
      const cutoff = this.t[this.t.length - 1] - this.keepSeconds;
      let drop = 0;
      while (drop < this.t.length && this.t[drop] < cutoff) drop++;
      if (drop) {
        this.t.splice(0, drop);
        for (const column of Object.values(this.cols)) column.splice(0, drop);
      }
    }

    column(name) {
      return this.cols[name] || new Array(this.t.length).fill(null);
    }

    names(prefix) {
      return Object.keys(this.cols).filter((n) => n.startsWith(prefix)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    }

    interfaces() {
      return [...new Set(this.names("net.").map((n) => n.split(".")[1]))].sort();
    }

    // true where row i continues row i-1: same process, no gap of more than 2.5 ticks
    continues(i) {
      const pid = this.cols.pid;
      const dt = this.t[i] - this.t[i - 1];
      return dt > 0 && dt <= this.interval * 2.5 && (!pid || pid[i] === pid[i - 1]);
    }
  }

  // per-second rate of a counter, times scale; null across restarts, gaps and resets
  P.rate = function (s, name, scale) {
    const v = s.column(name);
    const out = new Array(v.length).fill(null);
    for (let i = 1; i < v.length; i++) {
      if (v[i] == null || v[i - 1] == null || v[i] < v[i - 1] || !s.continues(i)) continue;
      out[i] = ((v[i] - v[i - 1]) / (s.t[i] - s.t[i - 1])) * (scale || 1);
    }
    return out;
  };

  P.gauge = function (s, name, scale) {
    const v = s.column(name);
    return v.map((x, i) => (x == null || (i > 0 && !s.continues(i)) ? null : x * (scale || 1)));
  };

  P.constant = function (s, value) {
    return s.t.map(() => (value == null || value === "" ? null : Number(value)));
  };

  P.sumRates = function (s, names, scale) {
    const rates = names.map((n) => P.rate(s, n, scale));
    return s.t.map((_, i) => {
      let total = null;
      for (const r of rates) if (r[i] != null) total = (total || 0) + r[i];
      return total;
    });
  };

  const AXIS_FORMATS = { bytes: P.format.size, "bytes/s": P.format.rate, cores: P.format.cores, count: P.format.number };

  class Chart {
    constructor(parent, def) {
      this.def = def;
      this.el = document.createElement("figure");
      this.el.className = "chart";
      this.el.dataset.chart = def.id;
      this.el.dataset.points = "0";
      const caption = document.createElement("figcaption");
      caption.textContent = def.title;
      this.el.appendChild(caption);
      parent.appendChild(this.el);
      this.plot = null;
      this.signature = "";
    }

    build(series) {
      if (this.plot) this.plot.destroy();
      const fmt = AXIS_FORMATS[this.def.unit] || P.format.number;
      this.plot = new uPlot(
        {
          width: Math.max(this.el.clientWidth - 8, 200),
          height: 170,
          scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
          axes: [{}, { size: 86, values: (u, vals) => vals.map(fmt) }],
          series: [{}].concat(
            series.map((d, i) => ({
              label: d.label,
              stroke: d.limit ? LIMIT_COLOR : COLORS[i % COLORS.length],
              dash: d.limit ? [6, 4] : undefined,
              width: 1.5,
              spanGaps: false,
              points: { show: false },
              value: (u, v) => fmt(v),
            }))
          ),
        },
        [[]].concat(series.map(() => [])),
        this.el
      );
    }

    update(samples, windowSeconds) {
      const series = typeof this.def.series === "function" ? this.def.series(samples) : this.def.series;
      const signature = series.map((d) => d.label).join("|");
      if (!series.length) return;
      if (signature !== this.signature) {
        this.build(series);
        this.signature = signature;
      }
      const t = samples.t;
      let first = 0;
      const cutoff = t.length ? t[t.length - 1] - windowSeconds : 0;
      while (first < t.length && t[first] < cutoff) first++;
      const data = [t.slice(first)].concat(series.map((d) => d.value(samples).slice(first)));
      this.plot.setData(data, false);
      // the x axis always spans the chosen window, so a young container's few points sit at its right
      const end = t.length ? t[t.length - 1] : Date.now() / 1000;
      this.plot.setScale("x", { min: end - windowSeconds, max: end });
      this.el.dataset.points = String(data[0].length);
      this.el.dataset.empty = String(!data.slice(1).some((values) => values.some((v) => v != null)));
      this.el.dataset.lastT = data[0].length ? String(data[0][data[0].length - 1]) : "";
    }

    resize() {
      if (this.plot) this.plot.setSize({ width: Math.max(this.el.clientWidth - 8, 200), height: 170 });
    }
  }

  // Polls `samples` every interval and redraws `defs` into `root`; `onSamples` sees each poll's body.
  P.LiveCharts = class {
    constructor(root, defs, options) {
      this.root = root;
      this.interval = Number(root.dataset.interval) || 1;
      this.samples = new Samples(root.dataset.samplesUrl, this.interval, options.keepSeconds || 960);
      this.windowSelect = options.windowSelect;
      this.onSamples = options.onSamples || (() => {});
      this.charts = defs.map((d) => new Chart(root, d));
      this.error = document.createElement("p");
      this.error.className = "problem";
      this.error.hidden = true;
      root.parentNode.insertBefore(this.error, root);
      new ResizeObserver(() => this.charts.forEach((c) => c.resize())).observe(root);
      if (this.windowSelect) this.windowSelect.addEventListener("change", () => this.redraw());
    }

    redraw() {
      const windowSeconds = this.windowSelect ? Number(this.windowSelect.value) : 300;
      for (const chart of this.charts) chart.update(this.samples, windowSeconds);
    }

    async tick() {
      try {
        const body = await this.samples.poll();
        this.error.hidden = true;
        this.onSamples(this.samples, body);
        this.redraw();
      } catch (e) {
        this.error.textContent = "web: cannot load samples: " + e.message;
        this.error.hidden = false;
      }
      setTimeout(() => this.tick(), this.interval * 1000);
    }

    start() {
      this.tick();
      return this;
    }
  };
})();
