/* A stable layered layout for the map: clients above the servers they connect to (longest path from the
 * nodes nobody connects to), nodes of one rank (an image) side by side, unconnected nodes in a grid below.
 *
 * Stability is the point (Scope's nodes "danced" on every update): a node keeps the position it was given
 * for as long as it is on the map; a new node goes to the end of its layer's row, or to the next free
 * slot of the grid; only "Re-layout" places every node again. O(nodes + edges): 500 nodes take a few ms,
 * where Scope's dagre took 20 s. */
(function () {
  "use strict";
  const P = (window.Porthole = window.Porthole || {});
  const GAP_X = 170;
  const GAP_Y = 140;
  const ROW_WIDTH = 24; // nodes per line before a layer's row wraps
  const GRID = 130;

  function byRankThenLabel(a, b) {
    return (a.rank || "").localeCompare(b.rank || "") || a.label.localeCompare(b.label) || a.id.localeCompare(b.id);
  }

  // The layer of each connected node: 0 for nodes nobody connects to, else one below its lowest client.
  // Nodes on a cycle that no source reaches take layer 0.
  function layers(nodes) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const waiting = new Map();
    const connected = new Set();
    for (const n of nodes) {
      for (const target of n.adjacency) {
        if (!byId.has(target) || target === n.id) continue;
        waiting.set(target, (waiting.get(target) || 0) + 1);
        connected.add(n.id);
        connected.add(target);
      }
    }
    const layer = new Map();
    const queue = [...connected].filter((id) => !waiting.get(id));
    for (const id of queue) layer.set(id, 0);
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i];
      for (const target of byId.get(id).adjacency) {
        if (!byId.has(target) || target === id) continue;
        layer.set(target, Math.max(layer.get(target) || 0, layer.get(id) + 1));
        waiting.set(target, waiting.get(target) - 1);
        if (waiting.get(target) === 0) queue.push(target);
      }
    }
    for (const id of connected) if (!layer.has(id)) layer.set(id, 0);
    return { layer, connected };
  }

  class StableLayout {
    constructor() {
      this.reset();
    }

    reset() {
      this.positions = new Map();
      this.layerY = new Map(); // layer -> y of its first line
      this.rowCount = new Map(); // layer -> nodes placed in it
      this.rowSize = new Map(); // layer -> nodes it had at the full layout (centres its lines)
      this.gridTop = null;
      this.gridNext = 0;
      this.gridColumns = 8;
    }

    // Positions for `nodes` ([{id, label, rank, adjacency}]): the kept ones, and new ones for the rest.
    // A node that leaves (a search hides it) keeps its place for when it comes back.
    place(nodes) {
      const { layer, connected } = layers(nodes);
      const fresh = nodes.filter((n) => !this.positions.has(n.id)).sort(byRankThenLabel);
      if (this.positions.size === 0) this._firstLines(fresh, layer, connected);
      for (const n of fresh) {
        if (connected.has(n.id)) this._inRow(n.id, layer.get(n.id));
        else this._inGrid(n.id);
      }
      return this.positions;
    }

    // Before a full layout: where each layer's lines start, and how wide the grid below them is.
    _firstLines(fresh, layer, connected) {
      const counts = new Map();
      for (const n of fresh) if (connected.has(n.id)) counts.set(layer.get(n.id), (counts.get(layer.get(n.id)) || 0) + 1);
      let y = 0;
      for (const l of [...counts.keys()].sort((a, b) => a - b)) {
        this.layerY.set(l, y);
        this.rowCount.set(l, 0);
        this.rowSize.set(l, counts.get(l));
        y += Math.ceil(counts.get(l) / ROW_WIDTH) * GAP_Y;
      }
      this.gridTop = counts.size ? y + GAP_Y / 2 : 0;
      const loose = fresh.length - [...counts.values()].reduce((a, b) => a + b, 0);
      this.gridColumns = Math.max(1, Math.min(loose, Math.ceil(Math.sqrt(loose * 2))));
    }

    _inRow(id, l) {
      if (!this.layerY.has(l)) {
        // a layer the first layout did not have: below everything placed so far
        const bottom = Math.max(0, ...[...this.positions.values()].map((p) => p.y));
        this.layerY.set(l, bottom + GAP_Y);
        this.rowCount.set(l, 0);
        this.rowSize.set(l, 1);
      }
      const index = this.rowCount.get(l);
      this.rowCount.set(l, index + 1);
      const size = Math.min(this.rowSize.get(l), ROW_WIDTH);
      const column = index % ROW_WIDTH;
      const line = Math.floor(index / ROW_WIDTH);
      this.positions.set(id, {
        x: (column - (size - 1) / 2) * GAP_X + (line % 2) * (GAP_X / 2),
        y: this.layerY.get(l) + line * GAP_Y,
      });
    }

    _inGrid(id) {
      if (this.gridTop === null) {
        this.gridTop = Math.max(0, ...[...this.positions.values()].map((p) => p.y)) + GAP_Y;
      }
      const slot = this.gridNext++;
      const columns = this.gridColumns;
      this.positions.set(id, {
        x: ((slot % columns) - (columns - 1) / 2) * GRID,
        y: this.gridTop + Math.floor(slot / columns) * GRID * 0.8,
      });
    }
  }

  P.StableLayout = StableLayout;
  P.layers = layers;
})();
