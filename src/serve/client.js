// Gazette preview: reloads the page after each rebuild and shows build errors over it.
(function () {
  var me = document.currentScript;
  var served = me ? me.getAttribute("data-build") : null;
  var overlay = null;
  function show(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "gazette-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:#15151c;color:#fff;overflow:auto;padding:2rem;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
      var h = document.createElement("h2");
      h.textContent = "Gazette: the site has errors (showing the last good build underneath)";
      h.style.cssText = "margin:0 0 1rem;font:600 18px system-ui,sans-serif;color:#ff8080";
      var pre = document.createElement("pre");
      pre.style.cssText = "white-space:pre-wrap;margin:0";
      overlay.appendChild(h);
      overlay.appendChild(pre);
      document.body.appendChild(overlay);
    }
    overlay.querySelector("pre").textContent = text;
  }
  function hide() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  var events = new EventSource("/__gazette/events");
  // A page reloads when the server has a newer build than the one it was served with.
  function check(build) { if (served !== null && build !== served) { location.reload(); } }
  events.addEventListener("reload", function (e) { check(e.data); });
  events.addEventListener("css", function () {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (l) {
      var u = new URL(l.href);
      u.searchParams.set("gazette", Date.now());
      l.href = u.toString();
    });
  });
  events.addEventListener("failed", function (e) { show(JSON.parse(e.data).text); });
  events.addEventListener("ok", function (e) { hide(); check(e.data); });
  events.addEventListener("bye", function () { events.close(); });
})();
