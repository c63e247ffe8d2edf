// readiness report: the results table, rendered from the page's data a page at a time,
// with filters, free-text search, sort on every column and evidence on demand.
(function () {
  "use strict";
  var root = document.getElementById("readiness");
  if (!root) return;
  var PAGE = 500;
  var data = JSON.parse(document.getElementById("rd-data").textContent);
  var tbody = root.querySelector("#rd-table tbody");
  var search = document.getElementById("rd-search");
  var selects = Array.prototype.slice.call(root.querySelectorAll(".rd-filters select"));
  var chips = Array.prototype.slice.call(root.querySelectorAll(".rd-chip"));
  var shown = document.getElementById("rd-shown");
  var empty = document.getElementById("rd-empty");
  var paging = document.getElementById("rd-paging");
  var heads = Array.prototype.slice.call(root.querySelectorAll("#rd-table th[data-sort]"));
  var byIndex = {};
  data.forEach(function (r) { byIndex[r.i] = r; });
  var texts = null;
  var details = null;  // evidence and charts: the bulk of the data, parsed on first use
  function detailsOf(i) {
    if (!details) details = JSON.parse(document.getElementById("rd-details").textContent);
    return details[i];
  }
  var order = data.slice();  // the current sort order of all rows
  var view = order;          // the rows that pass the filters, in that order
  var limit = PAGE;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function rowHtml(r) {
    var msg = r.m ? '<pre class="rd-msg">' + esc(r.m) + "</pre>" : '<span class="rd-dim">' + esc(r.t) + "</span>";
    return '<tr id="rd-row-' + r.i + '" class="rd-row" data-i="' + r.i + '" data-o="' + r.o +
      '" data-s="' + r.s + '" data-f="' + esc(r.f) + '" data-c="' + esc(r.c) + '" data-fw="' + r.fw +
      '" data-nodeid="' + esc(r.id) + '">' +
      '<td><span class="rd-outcome rd-o-' + r.o + '">' + r.o + "</span>" +
      (r.b ? '<br><span class="rd-block">blocking</span>' : "") + "</td>" +
      '<td><span class="rd-sev rd-sev-' + r.s + '">' + r.s + "</span></td>" +
      '<td class="rd-control" title="' + esc(r.t) + '">' + esc(r.c) + "</td>" +
      "<td>" + esc(r.f) + "</td>" +
      '<td class="rd-target">' + esc(r.tg) + "</td>" +
      '<td class="rd-message">' + msg +
      (r.fix ? '<p class="rd-fix"><b>How to fix:</b> ' + esc(r.fix) + "</p>" : "") +
      (r.w ? '<p class="rd-waiver">waiver: ' + esc(r.w) + "</p>" : "") +
      '<details class="rd-detail"><summary>evidence</summary><div class="rd-ev" data-i="' + r.i + '"></div></details>' +
      "</td><td>" + Number(r.d).toFixed(3) + "</td></tr>";
  }

  function render() {
    var n = Math.min(limit, view.length);
    var parts = new Array(n);
    for (var k = 0; k < n; k++) parts[k] = rowHtml(view[k]);
    tbody.innerHTML = parts.join("");
    shown.textContent = view.length + " of " + data.length + (n < view.length ? " match, first " + n + " shown" : " shown");
    empty.hidden = view.length !== 0;
    paging.hidden = n >= view.length;
  }

  function rowText(r) { return (r.tg + "\n" + (r.m || r.t)).toLowerCase(); }

  function apply() {
    var want = {};
    selects.forEach(function (s) { if (s.value) want[s.dataset.attr] = s.value; });
    var q = search.value.trim().toLowerCase();
    if (q && !texts) { texts = {}; data.forEach(function (r) { texts[r.i] = rowText(r); }); }
    view = order.filter(function (r) {
      if (want.o && r.o !== want.o) return false;
      if (want.s && r.s !== want.s) return false;
      if (want.f && r.f !== want.f) return false;
      if (want.c && r.c !== want.c) return false;
      if (want.fw && (" " + r.fw + " ").indexOf(" " + want.fw + " ") < 0) return false;
      return !q || texts[r.i].indexOf(q) >= 0;
    });
    limit = PAGE;
    chips.forEach(function (c) { c.setAttribute("aria-pressed", String(want.o === c.dataset.outcome)); });
    render();
  }

  function reset() {
    selects.forEach(function (s) { s.value = ""; });
    search.value = "";
    apply();
  }

  chips.forEach(function (c) {
    c.addEventListener("click", function () {
      var s = document.getElementById("rd-f-outcome");
      s.value = s.value === c.dataset.outcome ? "" : c.dataset.outcome;
      apply();
      document.getElementById("rd-results").scrollIntoView();
    });
  });
  Array.prototype.forEach.call(root.querySelectorAll(".rd-fw-filter"), function (a) {
    a.addEventListener("click", function () {
      document.getElementById("rd-f-framework").value = a.dataset.framework;
      apply();
    });
  });
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  var timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  document.getElementById("rd-reset").addEventListener("click", reset);
  document.getElementById("rd-more").addEventListener("click", function () { limit += PAGE; render(); });
  document.getElementById("rd-all").addEventListener("click", function () { limit = view.length; render(); });

  // Sort: every column; numbers by value, text by code point; stable on review order.
  var KEYS = {out: "or", sev: "sr", control: "c", family: "f", target: "tg", message: "m", dur: "d"};
  heads.forEach(function (th) {
    th.setAttribute("tabindex", "0");
    th.addEventListener("click", function () {
      var cur = th.getAttribute("aria-sort");
      var asc = cur ? cur !== "ascending" : th.dataset.first !== "descending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = KEYS[th.dataset.sort];
      var keyed = data.map(function (r, pos) {
        var v = r[key];
        return {r: r, v: typeof v === "string" ? v.toLowerCase() : v, pos: pos};
      });
      keyed.sort(function (a, b) {
        var c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
        return (asc ? c : -c) || a.pos - b.pos;
      });
      order = keyed.map(function (k) { return k.r; });
      var keepLimit = limit;
      apply();
      limit = keepLimit;
      render();
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
  function show(value, key) {
    if (value === null || value === undefined) return el("span", "rd-dim", "none");
    if (Array.isArray(value)) {
      if (!value.length) return el("span", "rd-dim", "empty");
      if (value.every(function (v) { return v === null || typeof v !== "object"; }) && !CODE_KEYS.test(key || "")) {
        var line = el("span");
        value.forEach(function (v, i) { if (i) line.appendChild(document.createTextNode(", ")); line.appendChild(show(v, key)); });
        return line;
      }
      var ol = el("ol");
      value.forEach(function (v) { var li = el("li"); li.appendChild(show(v, key)); ol.appendChild(li); });
      return ol;
    }
    if (typeof value === "object") {
      var keys = Object.keys(value);
      if (!keys.length) return el("span", "rd-dim", "empty");
      var t = el("table");
      keys.forEach(function (k) {
        var tr = el("tr"), td = el("td");
        tr.appendChild(el("th", "", k));
        td.appendChild(show(value[k], k));
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
    var r = byIndex[+box.dataset.i], more = detailsOf(r.i);
    if (more.e && Object.keys(more.e).length) box.appendChild(show(more.e, ""));
    else box.appendChild(el("p", "rd-dim", "no evidence recorded"));
    box.appendChild(el("p", "rd-dim rd-nodeid", r.id));
    if (r.rq.length) box.appendChild(el("p", "rd-reqs", "evidences: " + r.rq.join("; ")));
    if (more.h) box.insertAdjacentHTML("beforeend", more.h);  // charts drawn by readiness itself
  }, true);

  // Links from "what blocks" to a row: show it whatever the filters, then go there.
  Array.prototype.forEach.call(root.querySelectorAll(".rd-jump"), function (a) {
    a.addEventListener("click", function (ev) {
      var i = +a.getAttribute("href").slice("#rd-row-".length);
      reset();
      var pos = view.indexOf(byIndex[i]);
      if (pos >= limit) { limit = pos + 1; render(); }
      var row = document.getElementById("rd-row-" + i);
      if (row) { ev.preventDefault(); row.scrollIntoView(); }
    });
  });

  render();
})();
