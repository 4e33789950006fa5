/* The map's table view: one row per node (name, where, CPU, memory, edges out and in), sorted by a click
 * on a column's header (again: the other way); a click on a row selects the node. */
(function () {
  "use strict";
  const P = (window.Porthole = window.Porthole || {});

  function metric(node, id) {
    const m = node.metrics.find((x) => x.id === id);
    return m ? m.value : null;
  }

  class NodeTable {
    constructor(table, select) {
      this.table = table;
      this.select = select;
      this.sort = { key: "label", descending: false };
      this.last = [[], null];
      for (const header of table.querySelectorAll("th a[data-sort]")) {
        header.addEventListener("click", (event) => {
          event.preventDefault();
          const key = header.dataset.sort;
          // numbers read best from the largest; names from A
          this.sort = { key: key, descending: this.sort.key === key ? !this.sort.descending : key !== "label" };
          this.draw(...this.last);
        });
      }
    }

    draw(nodes, selected) {
      this.last = [nodes, selected];
      const inbound = new Map();
      for (const n of nodes) for (const t of n.adjacency) inbound.set(t, (inbound.get(t) || 0) + 1);
      const keys = {
        label: (n) => n.label.toLowerCase(),
        cpu: (n) => metric(n, "cpu") ?? -1,
        memory: (n) => metric(n, "memory") ?? -1,
        out: (n) => n.adjacency.length,
        in: (n) => inbound.get(n.id) || 0,
      };
      const key = keys[this.sort.key];
      const rows = [...nodes].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const order = x < y ? -1 : x > y ? 1 : a.label.localeCompare(b.label);
        return this.sort.descending ? -order : order;
      });
      const body = document.createDocumentFragment();
      for (const n of rows) {
        const tr = document.createElement("tr");
        tr.dataset.node = n.id;
        if (n.id === selected) tr.className = "selected";
        const cells = [
          n.label,
          n.labelMinor,
          P.format.percent(metric(n, "cpu")),
          P.format.size(metric(n, "memory")),
          String(n.adjacency.length),
          String(inbound.get(n.id) || 0),
        ];
        cells.forEach((text, i) => {
          const td = document.createElement("td");
          td.textContent = text;
          if (i >= 2) td.className = "num";
          tr.appendChild(td);
        });
        tr.addEventListener("click", () => this.select(n.id));
        body.appendChild(tr);
      }
      this.table.querySelector("tbody").replaceChildren(body);
    }
  }

  P.NodeTable = NodeTable;
})();
