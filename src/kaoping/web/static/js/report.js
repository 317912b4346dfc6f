// The report form: filter the category list as one types, and fill in the phone's position.
// The form works without this script (plain POST); nothing here talks to any server.
"use strict";

(function () {
  var select = document.getElementById("category");
  var filter = document.getElementById("category-filter");
  // The full list, kept aside: hiding <option>s does not work on every phone, rebuilding does.
  var full = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
    return { label: group.label, options: Array.prototype.map.call(group.children, function (o) {
      return { value: o.value, text: o.textContent };
    }) };
  });

  function rebuild() {
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    Array.prototype.slice.call(select.querySelectorAll("optgroup")).forEach(function (g) { g.remove(); });
    full.forEach(function (group) {
      var hits = group.options.filter(function (o) {
        var text = (group.label + " " + o.text).toLowerCase();
        return words.every(function (w) { return text.indexOf(w) >= 0; });
      });
      if (!hits.length) { return; }
      var node = document.createElement("optgroup");
      node.label = group.label;
      hits.forEach(function (o) {
        var option = new Option(o.text, o.value, false, o.value === chosen);
        node.appendChild(option);
      });
      select.appendChild(node);
    });
    if (words.length && select.options.length === 2) { select.selectedIndex = 1; }
  }
  filter.addEventListener("input", rebuild);

  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) {
      status.textContent = "此浏览器不能取得位置, 请手工填写经纬度";
      return;
    }
    status.textContent = "正在取得位置…";
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("lon").value = position.coords.longitude.toFixed(6);
      document.getElementById("lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("crs").value = "wgs84";  // the browser reports WGS84
      status.textContent = "已取得当前位置 (精度约 " + Math.round(position.coords.accuracy) + " 米)";
    }, function (error) {
      status.textContent = error.code === 1 ? "未获准使用位置, 请手工填写经纬度" : "取得位置失败, 请手工填写经纬度";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
