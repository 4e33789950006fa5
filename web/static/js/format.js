/* How numbers read in the browser; web/formatting.py says the same on the server. */
(function () {
  "use strict";
  const P = (window.Porthole = window.Porthole || {});
  const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

  function size(value) {
    if (value == null || Number.isNaN(value)) return "–";
    let v = Number(value);
    for (const unit of UNITS) {
      if (Math.abs(v) < 1024 || unit === UNITS[UNITS.length - 1]) {
        if (unit !== "B") return v.toFixed(1) + " " + unit;
        return (Number.isInteger(v) || Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1)) + " B";
      }
      v /= 1024;
    }
    return String(value);
  }

  function number(value, digits) {
    if (value == null || Number.isNaN(value)) return "–";
    const v = Number(value);
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return v.toFixed(digits == null ? (Number.isInteger(v) ? 0 : 2) : digits);
  }

  P.format = {
    size: size,
    rate: (v) => (v == null ? "–" : size(v) + "/s"),
    number: number,
    cores: (v) => (v == null ? "–" : Number(v).toFixed(2)),
    percent: (v) => (v == null ? "–" : Number(v).toFixed(1) + " %"),
    time: (t) => (t == null ? "never" : new Date(t * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")),
  };
})();
