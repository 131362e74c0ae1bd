// 统计看板: draws the charts from the JSON the page carries (#dashboard-data) with the local ECharts.
// Every bar, cell and point opens the hazard list with the filters of the figure it shows.
(function () {
  "use strict";

  function percent(value) {
    return value === null || value === undefined ? "/" : (value * 100).toFixed(1) + "%";
  }

  function open(url) {
    if (url) window.location.assign(url);
  }

  // Tooltips are drawn on the canvas (richText): ECharts' HTML tooltips carry inline styles, which the
  // site's Content Security Policy refuses.
  var tooltip = { renderMode: "richText", confine: true };

  function chart(id) {
    var element = document.getElementById(id);
    if (!element) return null;
    var instance = echarts.init(element, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }

  function areas(data) {
    var instance = chart("chart-areas");
    if (!instance) return;
    var rows = data.areas;
    // A value over each bar only where the bars are wide enough to hold one (not on a phone's 12 bars).
    var roomy = instance.getWidth() / Math.max(rows.length, 1) >= 48;
    instance.setOption({
      animation: false,
      tooltip: Object.assign({ trigger: "item", formatter: function (p) {
        var row = rows[p.dataIndex];
        return row.name + "\n整改率 " + percent(row.rate) + "\n排查隐患 " + row.found + " 条";
      } }, tooltip),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
               axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        type: "bar",
        name: "整改率",
        data: rows.map(function (r) { return r.rate === null ? 0 : Math.round(r.rate * 1000) / 10; }),
        label: { show: rows.length <= 12 && roomy, position: "top", formatter: function (p) { return percent(rows[p.dataIndex].rate); } },
        itemStyle: { color: "#0d6efd" }
      }]
    });
    instance.on("click", function (p) { open(rows[p.dataIndex].url); });
  }

  function heat(data) {
    var h = data.heat;
    // One row of cells per sector, each tall enough for its name (set through the CSSOM, which the
    // Content Security Policy allows, before ECharts measures the element).
    var element = document.getElementById("chart-heat");
    if (element) element.style.height = Math.max(320, 22 * h.y.length + 120) + "px";
    var instance = chart("chart-heat");
    if (!instance) return;
    var xIndex = {}, yIndex = {};
    h.x.forEach(function (x, i) { xIndex[x.code] = i; });
    h.y.forEach(function (y, i) { yIndex[y.code] = i; });
    var cells = h.cells.map(function (c) {
      return { value: [xIndex[c.x], yIndex[c.y], c.rate === null ? 0 : Math.round(c.rate * 1000) / 10], cell: c };
    });
    instance.setOption({
      animation: false,
      tooltip: Object.assign({ formatter: function (p) {
        var c = p.data.cell;
        return h.x[xIndex[c.x]].name + " · " + h.y[yIndex[c.y]].name + "\n整改率 " + percent(c.rate) +
          "\n排查 " + c.found + " 条，销号 " + c.closed + " 条";
      } }, tooltip),
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: h.x.map(function (x) { return x.name; }), axisLabel: { interval: 0, rotate: h.x.length > 6 ? 40 : 0 } },
      yAxis: { type: "category", data: h.y.map(function (y) { return y.name; }),
               axisLabel: { interval: 0, width: 112, overflow: "truncate" } },
      visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
                   text: ["100%", "0%"], inRange: { color: ["#dc3545", "#ffc107", "#198754"] } },
      series: [{ type: "heatmap", data: cells, label: { show: h.x.length <= 8, formatter: function (p) { return p.value[2] + "%"; } } }]
    });
    instance.on("click", function (p) { if (p.data && p.data.cell) open(p.data.cell.url); });
  }

  function trend(data) {
    var instance = chart("chart-trend");
    if (!instance) return;
    var t = data.trend;
    function line(points, key, name, dashed, color) {
      return { type: "line", name: name, data: points.map(function (p) { return p[key]; }),
               lineStyle: { type: dashed ? "dashed" : "solid", color: color }, itemStyle: { color: color },
               symbolSize: 8, urls: points.map(function (p) { return p[key + "_url"]; }) };
    }
    var series = [
      line(t.now, "found", t.year + "年发现", false, "#0d6efd"),
      line(t.now, "closed", t.year + "年销号", false, "#198754"),
      line(t.before, "found", t.last_year + "年发现", true, "#6ea8fe"),
      line(t.before, "closed", t.last_year + "年销号", true, "#75b798")
    ];
    instance.setOption({
      animation: false,
      tooltip: Object.assign({ trigger: "axis" }, tooltip),
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: t.months },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map(function (s) { return { type: s.type, name: s.name, data: s.data, lineStyle: s.lineStyle, itemStyle: s.itemStyle, symbolSize: s.symbolSize }; })
    });
    instance.on("click", function (p) { open(series[p.seriesIndex].urls[p.dataIndex]); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    areas(data);
    heat(data);
    trend(data);
    document.body.dataset.chartsReady = "1";
  });

  // Choosing 本月 / 本季度 / 本年 applies at once; 自定义 waits for the dates and 查看.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "period" && input.value !== "custom") input.form.submit();
    if ((input.name === "found_from" || input.name === "found_to") && input.form) {
      var custom = input.form.querySelector("#period-custom");
      if (custom) custom.checked = true;
    }
  });
})();
