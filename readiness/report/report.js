// readiness report: filters, free-text search, sort on every column, evidence on demand.
(function () {
  "use strict";
  var root = document.getElementById("readiness");
  if (!root) return;
  var tbody = root.querySelector("#rd-table tbody");
  var rows = Array.prototype.slice.call(tbody.rows);
  var evidence = JSON.parse(document.getElementById("rd-evidence").textContent);
  var search = document.getElementById("rd-search");
  var selects = Array.prototype.slice.call(root.querySelectorAll(".rd-filters select"));
  var chips = Array.prototype.slice.call(root.querySelectorAll(".rd-chip"));
  var shown = document.getElementById("rd-shown");
  var empty = document.getElementById("rd-empty");
  var texts = null;

  function rowText(r) {
    return (r.cells[4].textContent + "\n" + r.cells[5].querySelector(".rd-msg, .rd-dim").textContent).toLowerCase();
  }

  function apply() {
    var want = {};
    selects.forEach(function (s) { if (s.value) want[s.dataset.attr] = s.value; });
    var q = search.value.trim().toLowerCase();
    if (q && !texts) texts = rows.map(rowText);
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], d = r.dataset, ok = true;
      if (want.o && d.o !== want.o) ok = false;
      else if (want.s && d.s !== want.s) ok = false;
      else if (want.f && d.f !== want.f) ok = false;
      else if (want.c && d.c !== want.c) ok = false;
      else if (want.fw && (" " + d.fw + " ").indexOf(" " + want.fw + " ") < 0) ok = false;
      else if (q && texts[i].indexOf(q) < 0) ok = false;
      r.hidden = !ok;
      if (ok) n++;
    }
    chips.forEach(function (c) { c.setAttribute("aria-pressed", String(want.o === c.dataset.outcome)); });
    shown.textContent = n + " of " + rows.length + " shown";
    empty.hidden = n !== 0;
  }

  function setSelect(id, value) {
    var s = document.getElementById(id);
    s.value = value;
    apply();
  }

  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      var s = document.getElementById("rd-f-outcome");
      setSelect("rd-f-outcome", s.value === c.dataset.outcome ? "" : c.dataset.outcome);
      document.getElementById("rd-results").scrollIntoView();
    });
  });
  Array.prototype.forEach.call(root.querySelectorAll(".rd-fw-filter"), function (a) {
    a.addEventListener("click", function () { setSelect("rd-f-framework", a.dataset.framework); });
  });
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  var timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  document.getElementById("rd-reset").addEventListener("click", function () {
    selects.forEach(function (s) { s.value = ""; });
    search.value = "";
    apply();
  });

  // Sort: every column; numbers by value, text by locale; stable on the original order.
  var heads = Array.prototype.slice.call(root.querySelectorAll("#rd-table th[data-sort]"));
  heads.forEach(function (th, col) {
    th.setAttribute("tabindex", "0");
    th.addEventListener("click", function () {
      var cur = th.getAttribute("aria-sort");
      var asc = cur ? cur !== "ascending" : th.dataset.first !== "descending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = th.dataset.sort, num = th.dataset.type === "num";
      var keyed = rows.map(function (r, i) {
        var v = r.dataset[key];
        if (v === undefined) v = r.cells[col].textContent.trim().toLowerCase();
        return {r: r, v: num ? parseFloat(v) : v, i: i};
      });
      keyed.sort(function (a, b) {
        var c = num ? a.v - b.v : (a.v < b.v ? -1 : a.v > b.v ? 1 : 0);
        return (asc ? c : -c) || a.i - b.i;
      });
      var frag = document.createDocumentFragment();
      keyed.forEach(function (k) { frag.appendChild(k.r); });
      tbody.appendChild(frag);
      rows = keyed.map(function (k) { return k.r; });
      texts = null;
    });
  });

  // Evidence: rendered when first opened, as key/value tables, code blocks and links.
  var CODE_KEYS = /(^|_)(expr|expression|query|promql|selector|regex|pattern|yaml|json|manifest|rule|command|script)s?$/i;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function render(value, key) {
    if (value === null || value === undefined) return el("span", "rd-dim", "none");
    if (Array.isArray(value)) {
      if (!value.length) return el("span", "rd-dim", "empty");
      if (value.every(function (v) { return v === null || typeof v !== "object"; }) && !CODE_KEYS.test(key || "")) {
        var line = el("span");
        value.forEach(function (v, i) { if (i) line.appendChild(document.createTextNode(", ")); line.appendChild(render(v, key)); });
        return line;
      }
      var ol = el("ol");
      value.forEach(function (v) { var li = el("li"); li.appendChild(render(v, key)); ol.appendChild(li); });
      return ol;
    }
    if (typeof value === "object") {
      var keys = Object.keys(value);
      if (!keys.length) return el("span", "rd-dim", "empty");
      var t = el("table");
      keys.forEach(function (k) {
        var tr = el("tr"), td = el("td");
        tr.appendChild(el("th", "", k));
        td.appendChild(render(value[k], k));
        tr.appendChild(td);
        t.appendChild(tr);
      });
      return t;
    }
    var s = String(value);
    if (typeof value === "string" && /^https?:\/\/[^\s]+$/.test(s)) {
      var a = el("a", "", s);
      a.href = s;
      a.rel = "noopener noreferrer";
      return a;
    }
    if (typeof value === "string" && (s.indexOf("\n") >= 0 || CODE_KEYS.test(key || ""))) {
      var pre = el("pre"), code = el("code", "", s);
      pre.appendChild(code);
      return pre;
    }
    return el("span", "", s);
  }
  tbody.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.open || !d.classList || !d.classList.contains("rd-detail")) return;
    var box = d.querySelector(".rd-ev");
    if (box.dataset.done) return;
    box.dataset.done = "1";
    var data = evidence[+box.dataset.i];
    if (data && Object.keys(data).length) box.appendChild(render(data, ""));
    else box.appendChild(el("p", "rd-dim", "no evidence recorded"));
  }, true);

  Array.prototype.forEach.call(root.querySelectorAll(".rd-jump"), function (a) {
    a.addEventListener("click", function () {
      var target = document.getElementById(a.getAttribute("href").slice(1));
      if (target && target.hidden) { selects.forEach(function (s) { s.value = ""; }); search.value = ""; apply(); }
    });
  });
})();
