// Tandem embed: <script src="https://HOST/widget.js" defer></script>
// Adds a launcher button and the chat in an iframe from HOST, so the conversation token never
// touches the host page. Options: data-open="true" opens the chat at once; data-locale="nl"
// picks the language (else the browser's, else the page's <html lang>). Served after i18n.js,
// both inside one function, so WIDGET_TEXTS is ours and not the host page's.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__tandemWidget) return;
  window.__tandemWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var openKey = "tandem-widget-open";
  var activeKey = "tandem-widget-active"; // the widget has a conversation: keep it listening
  var unreadKey = "tandem-widget-unread";
  // The customer's language: what the site asks for explicitly, else what their browser asks
  // for (as the server reads Accept-Language), else the page's own language.
  var locale = pickLocale([script.dataset.locale].concat(navigator.languages || [navigator.language], [document.documentElement.lang]));
  var T = WIDGET_TEXTS[locale];
  var phone = window.matchMedia("(max-width: 480px)");
  var frame = null;
  var unread = Number(remember(unreadKey)) || 0;

  function pickLocale(candidates) {
    for (var i = 0; i < candidates.length; i += 1) {
      var code = String(candidates[i] || "").slice(0, 2).toLowerCase();
      if (WIDGET_TEXTS[code]) return code;
    }
    return "en";
  }

  function remember(key, value) {
    try {
      if (value === undefined) return sessionStorage.getItem(key);
      sessionStorage.setItem(key, value);
    } catch (e) { /* storage off: nothing survives a page change */ }
    return null;
  }

  function style(node, props) {
    for (var key in props) node.style[key] = props[key];
  }

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  style(launcher, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483646",
    padding: "12px 20px", borderRadius: "999px", border: "0", cursor: "pointer",
    background: "#0b5cad", color: "#fff", font: "600 16px system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)",
  });
  var label = document.createElement("span");
  var badge = document.createElement("span");
  badge.setAttribute("aria-hidden", "true"); // the button's own label says it in words
  style(badge, {
    minWidth: "1.4em", marginLeft: "8px", padding: "0 6px",
    borderRadius: "999px", background: "#c62828", color: "#fff", font: "700 13px/1.5 system-ui, sans-serif",
    textAlign: "center",
  });
  launcher.append(label, badge);
  launcher.addEventListener("click", function () { setOpen(!frame || frame.hidden); });

  function isOpen() {
    return Boolean(frame && !frame.hidden);
  }

  function paint() {
    var open = isOpen();
    label.textContent = open ? T.close : T.launcher;
    badge.textContent = unread > 0 ? String(unread) : "";
    badge.style.display = open || unread === 0 ? "none" : "inline-block";
    var words = open ? T.close : T.launcherLabel;
    if (!open && unread > 0) words += ", " + (unread === 1 ? T.unreadOne : T.unreadMany.replace("{n}", unread));
    launcher.setAttribute("aria-label", words);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.hidden = open && phone.matches; // full screen: the widget's own close button shows
  }

  function place() {
    if (!frame) return;
    // On a phone the open chat is the whole screen, inside the safe areas (notch, home bar).
    // A frame does not stretch between its offsets as a box does: it is sized in full.
    var full = phone.matches;
    style(frame, full ? {
      top: "0", left: "0", right: "auto", bottom: "auto", width: "100%", height: "100vh",
      border: "0", borderRadius: "0", boxShadow: "none",
    } : {
      top: "auto", left: "auto", right: "20px", bottom: "80px",
      width: "min(400px, calc(100vw - 24px))", height: "min(640px, calc(100vh - 100px))",
      border: "1px solid #d0d7de", borderRadius: "12px", boxShadow: "0 8px 30px rgba(0,0,0,.2)",
    });
    if (full) { // where supported (ignored elsewhere): the visible height, inside the notch and bars
      style(frame, {
        top: "env(safe-area-inset-top, 0px)", left: "env(safe-area-inset-left, 0px)",
        width: "calc(100% - env(safe-area-inset-left, 0px) - env(safe-area-inset-right, 0px))",
        height: "calc(100dvh - env(safe-area-inset-top, 0px) - env(safe-area-inset-bottom, 0px))",
      });
    }
    paint();
  }

  function build(open) {
    frame = document.createElement("iframe");
    frame.src = origin + "/widget?locale=" + encodeURIComponent(locale);
    frame.title = T.frameTitle;
    frame.hidden = !open;
    frame.setAttribute("allow", "clipboard-write");
    style(frame, { position: "fixed", zIndex: "2147483647", background: "#fff" });
    // The widget learns our origin from this message (the browser vouches for e.origin), and
    // posts back to that origin only.
    frame.addEventListener("load", function () {
      frame.contentWindow.postMessage({ type: "tandem:hello" }, origin);
    });
    document.body.appendChild(frame);
    place();
  }

  function setOpen(open) {
    if (!frame) build(open);
    frame.hidden = !open;
    if (open) setUnread(0);
    paint();
    remember(openKey, open ? "1" : "0");
    if (open) frame.focus();
  }

  function setUnread(n) {
    unread = n;
    remember(unreadKey, String(n));
    paint();
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    var data = e.data || {};
    if (data.type === "tandem:close") { setOpen(false); launcher.focus(); }
    else if (data.type === "tandem:reply" && !isOpen()) setUnread(unread + 1);
    else if (data.type === "tandem:active") remember(activeKey, data.active ? "1" : "0");
  });

  function start() {
    document.body.appendChild(launcher);
    paint();
    if (phone.addEventListener) phone.addEventListener("change", place);
    var remembered = remember(openKey);
    if (remembered === "1" || (remembered === null && script.dataset.open === "true")) setOpen(true);
    else if (remember(activeKey) === "1") build(false); // closed, but its replies still count
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
