// secop-bridge: draws the "processes per month" chart of the search page from
// /api/monthly (the same parameters as the page), with the vendored uPlot, and fills the
// table beside it that screen readers and keyboard users can read. Nothing else on the
// page needs JavaScript.
(function () {
  "use strict";
  // Empty filters stay out of the URL, so a search is short enough to share.
  Array.prototype.forEach.call(document.querySelectorAll("form.search"), function (f) {
    f.addEventListener("submit", function () {
      Array.prototype.forEach.call(f.elements, function (e) {
        if (e.name && e.value === "" && e.tagName !== "BUTTON") e.disabled = true;
      });
    });
  });
  // Coming back (the browser's back button) finds the form usable again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.search [disabled]"), function (e) {
      e.disabled = false;
    });
  });
  // The transition view: the share published on SECOP II per month, with gaps where a
  // platform has no data (not zero).
  var tbox = document.getElementById("grafico-transicion");
  if (tbox) {
    fetch(tbox.getAttribute("data-src"), { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (d) {
        var months = d.months || [];
        if (!months.length || !window.uPlot) {
          tbox.textContent = months.length ? "No se pudo cargar la biblioteca del gráfico." : "Sin datos para este alcance.";
          tbox.setAttribute("data-ready", "0");
          return;
        }
        var labels = months.map(function (m) { var p = m.month.split("-"); return ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"][+p[1] - 1] + " " + p[0]; });
        var xs = months.map(function (m, i) { return i; });
        var share = months.map(function (m) { return m.share_secop2 == null ? null : Math.round(m.share_secop2 * 1000) / 10; });
        var shareValue = months.map(function (m) { return m.share_secop2_value == null ? null : Math.round(m.share_secop2_value * 1000) / 10; });
        var w = function () { return Math.max(280, tbox.clientWidth || 600); };
        var plot = new uPlot({
          width: w(), height: 240,
          scales: { x: { time: false, range: function () { return [-0.5, months.length - 0.5]; } }, y: { range: [0, 100] } },
          axes: [
            { space: 70, values: function (u, t) { return t.map(function (i) { return labels[i] || ""; }); } },
            { label: "% en SECOP II", values: function (u, t) { return t.map(function (v) { return v + " %"; }); } }
          ],
          series: [
            { label: "Mes", value: function (u, i) { return i == null ? "—" : labels[i] || ""; } },
            { label: "Procesos en SECOP II", stroke: "#0b4f8a", width: 2, spanGaps: false,
              value: function (u, v) { return v == null ? "sin datos" : v + " %"; } },
            { label: "Valor en SECOP II", stroke: "#c25e00", width: 2, dash: [6, 4], spanGaps: false,
              value: function (u, v) { return v == null ? "sin datos" : v + " %"; } }
          ]
        }, [xs, share, shareValue], tbox);
        window.addEventListener("resize", function () { plot.setSize({ width: w(), height: 240 }); });
        tbox.setAttribute("data-ready", String(months.length));
      })
      .catch(function (e) {
        tbox.textContent = "No se pudo cargar el gráfico (" + e.message + ").";
        tbox.setAttribute("data-error", "1");
      });
  }
  var box = document.getElementById("grafico");
  if (!box) return;
  var details = document.getElementById("grafico-datos");
  var pesos = new Intl.NumberFormat("es-CO", { style: "currency", currency: "COP", maximumFractionDigits: 0 });
  var compact = new Intl.NumberFormat("es-CO", { notation: "compact", maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat("es-CO", { maximumFractionDigits: 0 });
  var MESES = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
  function monthLabel(m) {
    var p = m.split("-");
    return MESES[(+p[1] - 1) % 12] + " " + p[0];
  }

  // Months without processes still take their place on the axis (at most 50 years).
  function contiguous(months) {
    var have = {};
    months.forEach(function (b) { have[b.month] = b; });
    var first = months[0].month.split("-"), last = months[months.length - 1].month.split("-");
    var y = +first[0], m = +first[1], out = [];
    while ((y < +last[0] || (y === +last[0] && m <= +last[1])) && out.length < 600) {
      var key = y + "-" + (m < 10 ? "0" : "") + m;
      out.push(have[key] || { month: key, count: 0, value: 0 });
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    return out;
  }

  function fillTable(months) {
    if (!details) return;
    var body = details.querySelector("tbody");
    months.forEach(function (b) {
      var tr = document.createElement("tr");
      [monthLabel(b.month), whole.format(b.count), pesos.format(b.value)]
        .forEach(function (text, i) {
          var td = document.createElement("td");
          td.textContent = text;
          if (i > 0) td.className = "num";
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
    details.hidden = false;
  }

  function draw(months) {
    if (!window.uPlot) { box.textContent = "No se pudo cargar la biblioteca del gráfico."; return; }
    // The x axis is the month's position: one bar per month, labelled "mar 2026".
    var labels = months.map(function (b) { return monthLabel(b.month); });
    var xs = months.map(function (b, i) { return i; });
    var counts = months.map(function (b) { return b.count; });
    var values = months.map(function (b) { return b.value; });
    var width = function () { return Math.max(280, box.clientWidth || 600); };
    var upTo = function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; };
    var opts = {
      width: width(),
      height: 240,
      scales: {
        x: { time: false, range: function () { return [-0.5, months.length - 0.5]; } },
        n: { range: upTo },
        cop: { range: upTo }
      },
      axes: [
        { space: 70, incrs: [1, 2, 3, 6, 12, 24, 60],
          values: function (u, ticks) { return ticks.map(function (i) { return labels[i] || ""; }); } },
        { scale: "n", label: "Procesos", size: 60,
          values: function (u, t) { return t.map(function (v) { return compact.format(v); }); } },
        { scale: "cop", side: 1, label: "Valor (COP)", size: 90, grid: { show: false },
          values: function (u, t) { return t.map(function (v) { return "$ " + compact.format(v); }); } }
      ],
      series: [
        { label: "Mes", value: function (u, i) { return i == null ? "—" : labels[i] || ""; } },
        { label: "Procesos", scale: "n", stroke: "#0b4f8a", fill: "rgba(11,79,138,0.35)", width: 1,
          paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 60] }) : undefined,
          points: { show: false },
          value: function (u, v) { return v == null ? "—" : whole.format(v); } },
        { label: "Valor total", scale: "cop", stroke: "#c25e00", width: 2,
          points: { show: months.length <= 36, size: 6 },
          value: function (u, v) { return v == null ? "—" : pesos.format(v); } }
      ]
    };
    var plot = new uPlot(opts, [xs, counts, values], box);
    var t = null;
    window.addEventListener("resize", function () {
      clearTimeout(t);
      t = setTimeout(function () { plot.setSize({ width: width(), height: 240 }); }, 150);
    });
    box.setAttribute("data-ready", String(months.length));
  }

  fetch(box.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (d) {
      var months = (d.months || []).filter(function (b) { return b.month !== "0000-00"; });
      if (!months.length) {
        box.textContent = "No hay fechas de publicación para graficar.";
        box.setAttribute("data-ready", "0");
        return;
      }
      months = contiguous(months);
      fillTable(months);
      draw(months);
    })
    .catch(function (e) {
      box.textContent = "No se pudo cargar el gráfico (" + e.message + ").";
      box.setAttribute("data-error", "1");
    });
})();
