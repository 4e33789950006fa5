/* The topology map: a topology's nodes from /api/topology/<id> every few seconds, drawn as a graph
 * (cytoscape.js, with the stable layout of layout.js) or a table; the search and the filters are the
 * API's (one parser, on the server); clicking a node opens its details (details.js).
 * Keys: / search, g graph, t table, Escape closes the details. */
(function () {
  "use strict";
  const P = window.Porthole;
  const root = document.getElementById("topology");
  const apiUrl = root.dataset.apiUrl;
  const graphBox = document.getElementById("graph");
  const tableBox = document.getElementById("table-view");
  const searchBox = document.getElementById("search");
  const problem = document.getElementById("problem");
  const status = document.getElementById("status");
  const REFRESH_MS = 3000;
  const TABLE_ABOVE = 300; // a first visit with more nodes starts in the table (Scope #1721)

  const query = new URLSearchParams(location.search);
  const state = {
    topology: query.get("topology") || "containers",
    view: query.get("view") || "",
    search: query.get("q") || "",
    options: {},
    descriptors: [],
    nodes: {},
    selected: query.get("node") || null,
    generation: null,
    drawnKey: null,
  };
  searchBox.value = state.search;
  const layouts = new Map(); // topology -> StableLayout
  let generation = 0; // of requests: an answer older than the newest request is dropped

  const SHAPES = { hexagon: "hexagon", square: "round-rectangle", circle: "ellipse", heptagon: "heptagon", cloud: "round-octagon" };
  const cy = cytoscape({
    container: graphBox,
    minZoom: 0.05,
    maxZoom: 3,
    wheelSensitivity: 0.3,
    textureOnViewport: true,
    hideEdgesOnViewport: true,
    style: [
      { selector: "node", style: {
        shape: (n) => SHAPES[n.data("shape")] || "ellipse",
        width: 44, height: 44, "background-color": "#3b7cb3", "border-width": 2, "border-color": "#1f5f8b",
        label: "data(text)", "text-wrap": "wrap", "text-valign": "bottom", "text-margin-y": 6,
        "font-size": 12, color: "#1d2329", "min-zoomed-font-size": 7,
      } },
      { selector: "node[?pseudo]", style: { "background-color": "#dde2e7", "border-style": "dashed", "border-color": "#66717c" } },
      { selector: "node[?stopped]", style: { opacity: 0.45 } },
      { selector: "node:selected", style: { "border-color": "#e8a317", "border-width": 4 } },
      { selector: "edge", style: {
        width: 2, "line-color": "#9bb0c3", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "#9bb0c3", "arrow-scale": 1.1,
      } },
      { selector: "edge.near", style: { "line-color": "#e8a317", "target-arrow-color": "#e8a317", width: 3 } },
    ],
  });
  window.PortholeMap = { cy: cy, state: state };

  const table = new P.NodeTable(document.getElementById("node-table"), (nodeId) => select(state.topology, nodeId));
  const details = new P.DetailsPanel(
    document.getElementById("details"),
    { controls: root.dataset.controlsUrl, logs: root.dataset.logsUrl, container: root.dataset.containerUrl, csrf: root.dataset.csrf },
    (topologyId, nodeId) => select(topologyId, nodeId)
  );

  function say(text) {
    problem.textContent = text || "";
    problem.hidden = !text;
  }

  function remember() {
    const q = new URLSearchParams({ topology: state.topology });
    if (state.view) q.set("view", state.view);
    if (state.search) q.set("q", state.search);
    if (state.selected) q.set("node", state.selected);
    for (const [k, v] of Object.entries(state.options)) q.set(k, v);
    history.replaceState(null, "", "?" + q);
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json();
    return { ok: response.ok, status: response.status, body: body };
  }

  // -- the topologies and their options ------------------------------------------------------------
  async function loadDescriptors() {
    const { ok, body } = await getJson(apiUrl);
    if (!ok) return say(body.message);
    state.descriptors = body;
    for (const button of document.querySelectorAll("#topologies button")) {
      const d = body.find((x) => x.id === button.dataset.topology);
      button.querySelector(".count").textContent = d ? d.stats.node_count : "";
      button.classList.toggle("active", button.dataset.topology === state.topology);
    }
    drawOptions();
  }

  function drawOptions() {
    const d = state.descriptors.find((x) => x.id === state.topology);
    const box = document.getElementById("options");
    const controls = [];
    for (const option of d ? d.options : []) {
      const select = document.createElement("select");
      select.id = "option-" + option.id;
      select.dataset.option = option.id;
      for (const o of option.options) select.appendChild(new Option(o.label, o.value));
      select.value = state.options[option.id] || query.get(option.id) || option.defaultValue;
      state.options[option.id] = select.value;
      select.addEventListener("change", () => {
        state.options[option.id] = select.value;
        refresh();
      });
      controls.push(select);
    }
    box.replaceChildren(...controls);
  }

  // -- nodes ---------------------------------------------------------------------------------------
  async function refresh() {
    const mine = ++generation;
    const q = new URLSearchParams(state.options);
    if (state.search) q.set("q", state.search);
    let answer;
    try {
      answer = await getJson(`${apiUrl}/${encodeURIComponent(state.topology)}?${q}`);
    } catch (e) {
      return say("web: cannot reach the map's API: " + e.message);
    }
    if (mine !== generation) return;
    if (!answer.ok) return say(answer.body.message);
    say("");
    state.nodes = answer.body.nodes;
    const count = Object.keys(state.nodes).length;
    if (!state.view) state.view = count > TABLE_ABOVE ? "table" : "graph";
    status.textContent = `${count} of ${answer.body.total} nodes · updated ${new Date().toLocaleTimeString()}`;
    showView();
    remember();
    if (state.selected) loadDetails();
  }

  function showView() {
    graphBox.hidden = state.view !== "graph";
    tableBox.hidden = state.view !== "table";
    for (const b of document.querySelectorAll(".views button")) b.classList.toggle("active", b.dataset.view === state.view);
    if (state.view === "graph") drawGraph();
    else drawTable();
  }

  function drawGraph() {
    const started = performance.now();
    const list = Object.values(state.nodes);
    if (!layouts.has(state.topology)) layouts.set(state.topology, new P.StableLayout());
    const layout = layouts.get(state.topology);
    const firstDraw = layout.positions.size === 0;
    const positions = layout.place(list);
    const wanted = new Set();
    cy.batch(() => {
      for (const n of list) {
        wanted.add(n.id);
        const data = { id: n.id, text: n.labelMinor ? `${n.label}\n${n.labelMinor}` : n.label, shape: n.shape, pseudo: n.pseudo, stopped: n.stopped };
        const existing = cy.getElementById(n.id);
        if (existing.nonempty()) existing.data(data);
        else cy.add({ group: "nodes", data: data, position: { ...positions.get(n.id) } });
      }
      for (const n of list) {
        for (const target of n.adjacency) {
          const id = `${n.id}->${target}`;
          wanted.add(id);
          if (cy.getElementById(id).empty()) cy.add({ group: "edges", data: { id: id, source: n.id, target: target } });
        }
      }
      cy.elements().filter((e) => !wanted.has(e.id())).remove();
    });
    if (firstDraw || state.drawnKey !== state.topology) cy.fit(undefined, 30);
    state.drawnKey = state.topology;
    highlight();
    drawStarted = started;
    graphBox.dataset.nodes = cy.nodes().length;
    graphBox.dataset.edges = cy.edges().length;
    graphBox.dataset.drawn = String(Date.now());
  }

  // For the benchmark and the tests: how long the last draw took to reach the screen, and when (since
  // navigation) it did.
  let drawStarted = null;
  cy.on("render", () => {
    if (drawStarted === null) return;
    graphBox.dataset.drawMs = (performance.now() - drawStarted).toFixed(1);
    graphBox.dataset.drawnAt = performance.now().toFixed(1);
    drawStarted = null;
  });

  function highlight() {
    cy.elements().unselect();
    cy.edges().removeClass("near");
    if (!state.selected) return;
    const node = cy.getElementById(state.selected);
    if (node.nonempty()) {
      node.select();
      node.connectedEdges().addClass("near");
    }
  }

  function drawTable() {
    table.draw(Object.values(state.nodes), state.selected);
  }

  // -- details -------------------------------------------------------------------------------------
  async function loadDetails() {
    const id = state.selected;
    const answer = await getJson(`${apiUrl}/${encodeURIComponent(state.topology)}/${encodeURIComponent(id)}`);
    if (id !== state.selected) return;
    if (answer.status === 404) {
      say(answer.body.message);
      state.selected = null;
      details.hide();
      return highlight();
    }
    if (!answer.ok) return say(answer.body.message);
    const opening = details.root.hidden;
    details.show(answer.body.node);
    if (opening) cy.resize(); // the panel took its width from the graph
  }

  function select(topologyId, nodeId) {
    if (topologyId !== state.topology) {
      state.topology = topologyId;
      state.options = {};
      state.selected = nodeId;
      loadDescriptors().then(refresh);
      return;
    }
    state.selected = nodeId;
    remember();
    highlight();
    if (state.view === "table") drawTable();
    loadDetails();
  }

  // -- events --------------------------------------------------------------------------------------
  cy.on("tap", "node", (event) => select(state.topology, event.target.id()));
  cy.on("tap", (event) => {
    if (event.target === cy) closeDetails();
  });

  function closeDetails() {
    state.selected = null;
    if (!details.root.hidden) {
      details.hide();
      cy.resize();
    }
    highlight();
    remember();
  }
  document.getElementById("details-close").addEventListener("click", closeDetails);

  for (const button of document.querySelectorAll("#topologies button")) {
    button.addEventListener("click", () => {
      state.topology = button.dataset.topology;
      state.options = {};
      closeDetails();
      loadDescriptors().then(refresh);
    });
  }
  for (const button of document.querySelectorAll(".views button")) {
    button.addEventListener("click", () => {
      state.view = button.dataset.view;
      showView();
      remember();
    });
  }
  document.getElementById("relayout").addEventListener("click", () => {
    layouts.get(state.topology)?.reset();
    cy.elements().remove();
    drawGraph();
  });
  let typing = null;
  searchBox.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.search = searchBox.value.trim();
      refresh();
    }, 250);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const views = { g: "graph", t: "table" };
    if (event.key === "/") {
      event.preventDefault();
      searchBox.focus();
    } else if (views[event.key]) {
      state.view = views[event.key];
      showView();
    } else if (event.key === "Escape") closeDetails();
  });

  loadDescriptors().then(refresh);
  setInterval(refresh, REFRESH_MS);
  setInterval(loadDescriptors, REFRESH_MS * 4);
})();
