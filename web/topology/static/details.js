/* The details panel of the map: a node's metrics with sparklines, metadata, parents, inbound and outbound
 * connections and children, and, for a container, links to its page and logs and (with controls on) the
 * dashboard's stop/restart/pause forms. Built with DOM calls only: no markup from data, no inline script. */
(function () {
  "use strict";
  const P = (window.Porthole = window.Porthole || {});
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function metricText(metric, value) {
    return metric.format === "percent" ? P.format.percent(value) : P.format.size(value);
  }

  function sparkline(samples) {
    const width = 160;
    const height = 28;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("class", "sparkline");
    if (samples.length < 2) return svg;
    const t0 = samples[0].date;
    const span = samples[samples.length - 1].date - t0 || 1;
    const top = Math.max(...samples.map((s) => s.value)) || 1;
    const points = samples.map((s) => {
      const x = ((s.date - t0) / span) * (width - 2) + 1;
      const y = height - 2 - (s.value / top) * (height - 4);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.appendChild(line);
    return svg;
  }

  function table(columns, rows) {
    const t = el("table", null, "list compact");
    const head = el("tr");
    for (const c of columns) head.appendChild(el("th", c));
    t.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    for (const cells of rows) {
      const tr = el("tr");
      for (const cell of cells) {
        const td = el("td");
        if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    t.appendChild(body);
    return t;
  }

  class DetailsPanel {
    // select(topologyId, nodeId): what clicking a linked node does
    constructor(root, urls, select) {
      this.root = root;
      this.urls = urls;
      this.select = select;
      this.part = (id) => root.querySelector("#" + id);
    }

    hide() {
      this.root.hidden = true;
      this.root.dataset.node = "";
    }

    link(topologyId, nodeId, label) {
      const a = el("a", label);
      a.href = "#";
      a.dataset.node = nodeId;
      a.addEventListener("click", (event) => {
        event.preventDefault();
        this.select(topologyId, nodeId);
      });
      return a;
    }

    show(node) {
      this.root.hidden = false;
      this.root.dataset.node = node.id;
      this.part("details-title").textContent = node.label;
      this.part("details-minor").textContent = node.labelMinor || "";
      this.part("details-actions").replaceChildren(...this.actions(node));
      this.part("details-metrics").replaceChildren(
        ...node.metrics.map((m) => {
          const row = el("div", null, "metric");
          row.append(el("span", m.label, "name"), el("span", metricText(m, m.value), "value"), sparkline(m.samples));
          return row;
        })
      );
      const meta = [];
      for (const m of node.metadata) meta.push(el("dt", m.label), el("dd", m.value));
      this.part("details-metadata").replaceChildren(...meta);
      const parents = node.parents.map((p) => this.link(p.topologyId, p.id, p.label));
      this.part("details-parents").replaceChildren(...(parents.length ? [el("h3", "Parents"), ...parents] : []));
      this.part("details-connections").replaceChildren(...node.connections.map((c) => this.connections(c)));
      this.part("details-children").replaceChildren(...node.children.map((c) => this.children(c)));
    }

    connections(group) {
      const box = el("div", null, "connections");
      box.dataset.table = group.id;
      box.appendChild(el("h3", `${group.label} (${group.connections.length})`));
      if (!group.connections.length) {
        box.appendChild(el("p", "none", "note"));
        return box;
      }
      const rows = group.connections.map((c) => [
        this.link(group.topologyId, c.nodeId, c.label),
        String(c.port),
        String(c.count),
        [...c.dialled, ...c.remote].join(", "),
      ]);
      box.appendChild(table(["Node", "Port", "Count", "Via / remote"], rows));
      return box;
    }

    children(group) {
      const box = el("div", null, "children");
      box.appendChild(el("h3", `${group.label} (${group.nodes.length})`));
      const rows = group.nodes.map((n) => [
        this.link(group.topologyId, n.id, n.label),
        n.pid || "",
        P.format.percent(n.cpu),
        P.format.size(n.memory),
        n.command,
      ]);
      box.appendChild(table(["Name", "PID", "CPU", "Memory", "Command"], rows));
      return box;
    }

    actions(node) {
      if (!node.id.endsWith(";<container>")) return [];
      const ref = encodeURIComponent(node.label);
      const links = [
        Object.assign(el("a", "Container page"), { href: this.urls.container.replace("REF", ref) }),
        Object.assign(el("a", "Logs"), { href: this.urls.logs.replace("REF", ref) }),
      ];
      if (!this.urls.controls) return links;
      for (const control of node.controls) {
        const form = el("form");
        form.method = "post";
        form.action = this.urls.controls.replace("REF", ref).replace("ACTION", control.id);
        const csrf = el("input");
        csrf.type = "hidden";
        csrf.name = "csrf_token";
        csrf.value = this.urls.csrf;
        const button = el("button", control.human);
        button.type = "submit";
        form.append(csrf, button);
        links.push(form);
      }
      return links;
    }
  }

  P.DetailsPanel = DetailsPanel;
})();
