/* The log viewer: one EventSource on the logs stream; lines kept in time order (stdout and stderr come
 * on two requests), capped, filtered by stream and search as they arrive. */
(function () {
  "use strict";
  const log = document.getElementById("log");
  const status = document.getElementById("log-status");
  const controls = {
    tail: document.getElementById("tail"),
    stdout: document.getElementById("stdout"),
    stderr: document.getElementById("stderr"),
    follow: document.getElementById("follow"),
    timestamps: document.getElementById("timestamps"),
    search: document.getElementById("search"),
  };
  const MAX_LINES = 10000;
  let source = null;

  function matches(line) {
    const words = controls.search.value.toLowerCase();
    return !words || line.dataset.text.toLowerCase().includes(words);
  }

  function addLine(entry) {
    const line = document.createElement("div");
    line.className = "line " + entry.stream;
    line.dataset.time = entry.t;
    line.dataset.text = entry.text;
    const stamp = document.createElement("span");
    stamp.className = "stamp";
    stamp.textContent = entry.t + " ";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = entry.text;
    line.append(stamp, text);
    line.hidden = !matches(line);
    // RFC 3339 stamps of equal length sort as strings; most lines arrive last, so look from the end
    let before = log.lastElementChild;
    while (before && before.dataset.time > entry.t) before = before.previousElementSibling;
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.insertBefore(line, before ? before.nextSibling : log.firstChild);
    while (log.childElementCount > MAX_LINES) log.firstElementChild.remove();
    if (controls.follow.checked && atBottom) log.scrollTop = log.scrollHeight;
  }

  function connect() {
    if (source) source.close();
    log.replaceChildren();
    if (!controls.stdout.checked && !controls.stderr.checked) {
      status.textContent = "choose stdout, stderr or both";
      return;
    }
    const query = new URLSearchParams({
      tail: controls.tail.value,
      stdout: controls.stdout.checked ? "1" : "0",
      stderr: controls.stderr.checked ? "1" : "0",
      follow: controls.follow.checked ? "1" : "0",
    });
    source = new EventSource(log.dataset.url + "?" + query);
    status.textContent = controls.follow.checked ? "following" : "loading";
    source.onmessage = (event) => addLine(JSON.parse(event.data));
    source.addEventListener("failure", (event) => (status.textContent = JSON.parse(event.data).message));
    source.addEventListener("end", () => {
      source.close();
      status.textContent = log.childElementCount + " lines";
    });
    // the stream ends when a followed container stops; EventSource reconnects after the line it last got
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) status.textContent = "waiting for the container";
    };
    source.onopen = () => (status.textContent = controls.follow.checked ? "following" : "loading");
  }

  function applySearch() {
    for (const line of log.children) line.hidden = !matches(line);
  }

  for (const name of ["tail", "stdout", "stderr", "follow"]) controls[name].addEventListener("change", connect);
  controls.timestamps.addEventListener("change", () => log.classList.toggle("no-stamps", !controls.timestamps.checked));
  controls.search.addEventListener("input", applySearch);
  document.getElementById("log-options").addEventListener("submit", (event) => event.preventDefault());
  connect();
})();
