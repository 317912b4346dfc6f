// Draws each group's totals as a horizontal bar chart. The page carries the numbers as exact
// decimal strings; they become floats here only to be drawn, and labels show the strings.
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif';
  var BAR = "#2f5d8a";
  var BAR_FIRST = "#b8862b";  // every unit ranked first, ties included

  function drawChart(el) {
    var names = JSON.parse(el.dataset.names);
    var totals = JSON.parse(el.dataset.totals);
    var ranks = JSON.parse(el.dataset.ranks);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 64, top: 28, bottom: 8, containLabel: true },
      title: { text: el.dataset.title, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: "normal", color: "#55606e" } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (_v, i) { return totals[i]; } },
      // Totals sit close together (93.50 vs 94.25): an axis from zero would make them look equal,
      // one from the lowest total would make the last bar vanish. Start below by half the spread,
      // on a tick ECharts picks (scale + boundaryGap keep the ticks round).
      xAxis: { type: "value", scale: true, boundaryGap: ["50%", "0%"],
        splitLine: { lineStyle: { color: "#e6e9ee" } },
        axisLabel: { color: "#6b7480" } },
      yAxis: { type: "category", inverse: true, data: names,
        axisTick: { show: false }, axisLine: { lineStyle: { color: "#c5ccd6" } },
        axisLabel: { color: "#26303b", fontSize: 13 } },
      series: [{
        type: "bar",
        barMaxWidth: 20,
        data: totals.map(function (t, i) {
          return { value: parseFloat(t), itemStyle: { color: ranks[i] === 1 ? BAR_FIRST : BAR } };
        }),
        label: { show: true, position: "right", color: "#26303b",
          formatter: function (p) { return totals[p.dataIndex]; } }
      }]
    });
    return chart;
  }

  var charts = Array.prototype.map.call(document.querySelectorAll(".chart"), drawChart);
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
