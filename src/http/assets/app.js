// secop-bridge: draws the "processes per month" chart of the search page from
// /api/monthly (the same parameters as the page), with the vendored uPlot, and fills the
// table beside it that screen readers and keyboard users can read. Nothing else on the
// page needs JavaScript.
(function () {
  "use strict";
  var box = document.getElementById("grafico");
  if (!box) return;
  var details = document.getElementById("grafico-datos");
  var pesos = new Intl.NumberFormat("es-CO", { style: "currency", currency: "COP", maximumFractionDigits: 0 });
  var compact = new Intl.NumberFormat("es-CO", { notation: "compact", maximumFractionDigits: 1 });
  var whole = new Intl.NumberFormat("es-CO", { maximumFractionDigits: 0 });
  var monthName = new Intl.DateTimeFormat("es-CO", { month: "short", year: "numeric", timeZone: "UTC" });

  function monthStart(m) {
    var p = m.split("-");
    return Date.UTC(+p[0], +p[1] - 1, 1) / 1000;
  }

  function fillTable(months) {
    if (!details) return;
    var body = details.querySelector("tbody");
    months.forEach(function (b) {
      var tr = document.createElement("tr");
      [monthName.format(new Date(monthStart(b.month) * 1000)), whole.format(b.count), pesos.format(b.value)]
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
    var xs = months.map(function (b) { return monthStart(b.month); });
    var counts = months.map(function (b) { return b.count; });
    var values = months.map(function (b) { return b.value; });
    var width = function () { return Math.max(280, box.clientWidth || 600); };
    var opts = {
      width: width(),
      height: 300,
      title: "",
      scales: { x: { time: true }, n: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } },
                cop: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return monthName.format(new Date(t * 1000)); }); } },
        { scale: "n", label: "Procesos", values: function (u, t) { return t.map(function (v) { return compact.format(v); }); } },
        { scale: "cop", side: 1, label: "Valor (COP)", grid: { show: false },
          values: function (u, t) { return t.map(function (v) { return "$ " + compact.format(v); }); } }
      ],
      series: [
        { label: "Mes", value: function (u, v) { return v == null ? "—" : monthName.format(new Date(v * 1000)); } },
        { label: "Procesos", scale: "n", stroke: "#0b4f8a", fill: "rgba(11,79,138,0.35)", width: 1,
          paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined,
          points: { show: false },
          value: function (u, v) { return v == null ? "—" : whole.format(v); } },
        { label: "Valor total", scale: "cop", stroke: "#c25e00", width: 2,
          points: { show: true, size: 5 },
          value: function (u, v) { return v == null ? "—" : pesos.format(v); } }
      ]
    };
    var plot = new uPlot(opts, [xs, counts, values], box);
    var t = null;
    window.addEventListener("resize", function () {
      clearTimeout(t);
      t = setTimeout(function () { plot.setSize({ width: width(), height: 300 }); }, 150);
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
      fillTable(months);
      draw(months);
    })
    .catch(function (e) {
      box.textContent = "No se pudo cargar el gráfico (" + e.message + ").";
      box.setAttribute("data-error", "1");
    });
})();
