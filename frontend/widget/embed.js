// Tandem embed: <script src="https://HOST/widget.js" defer></script>
// Adds a launcher button and the chat in an iframe from HOST, so the conversation token never
// touches the host page. Options: data-open="true" opens the chat at once.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__tandemWidget) return;
  window.__tandemWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var openKey = "tandem-widget-open";
  var frame = null;

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.textContent = "Chat";
  launcher.setAttribute("aria-label", "Open customer service chat");
  launcher.setAttribute("aria-expanded", "false");
  style(launcher, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483646",
    padding: "12px 20px", borderRadius: "999px", border: "0", cursor: "pointer",
    background: "#0b5cad", color: "#fff", font: "600 16px system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)",
  });
  launcher.addEventListener("click", function () { setOpen(!frame || frame.hidden); });

  function style(node, props) {
    for (var key in props) node.style[key] = props[key];
  }

  function build() {
    frame = document.createElement("iframe");
    frame.src = origin + "/widget";
    frame.title = "Customer service chat";
    frame.setAttribute("allow", "clipboard-write");
    style(frame, {
      position: "fixed", right: "20px", bottom: "80px", zIndex: "2147483647",
      width: "min(400px, calc(100vw - 24px))", height: "min(640px, calc(100vh - 100px))",
      border: "1px solid #d0d7de", borderRadius: "12px", background: "#fff",
      boxShadow: "0 8px 30px rgba(0,0,0,.2)",
    });
    document.body.appendChild(frame);
  }

  function setOpen(open) {
    if (open && !frame) build();
    if (frame) frame.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? "Close chat" : "Chat";
    try { sessionStorage.setItem(openKey, open ? "1" : "0"); } catch (e) { /* storage off */ }
    if (open && frame) frame.focus();
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    if (e.data && e.data.type === "tandem:close") { setOpen(false); launcher.focus(); }
  });

  function start() {
    document.body.appendChild(launcher);
    var remembered = null;
    try { remembered = sessionStorage.getItem(openKey); } catch (e) { /* storage off */ }
    if (remembered === "1" || (remembered === null && script.dataset.open === "true")) setOpen(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
