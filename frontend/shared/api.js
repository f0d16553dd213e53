// Tandem's tiny shared client: HTTP calls, DOM building without innerHTML, a resilient websocket.
"use strict";

const Tandem = (() => {
  class ApiError extends Error {
    constructor(status, message, data) {
      super(message);
      this.status = status;
      this.data = data;
    }
  }

  async function api(path, { method = "GET", body, token, query } = {}) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body instanceof Blob) {
      // A file goes as it is: its type (from its extension, often empty) for the server to weigh.
      headers["Content-Type"] = body.type || "application/octet-stream";
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const url = query ? path + "?" + new URLSearchParams(clean(query)) : path;
    const res = await fetch(url, { method, headers, body: payload, credentials: "omit" });
    if (res.status === 204) return null;
    const isJson = (res.headers.get("content-type") || "").includes("json");
    const data = isJson ? await res.json() : await res.text();
    if (!res.ok) throw new ApiError(res.status, errorText(data, res), data);
    return data;
  }

  function clean(query) {
    return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== "" && v != null));
  }

  function errorText(data, res) {
    if (data && typeof data === "object") {
      const detail = data.detail || data.error;
      if (typeof detail === "string") return detail;
      if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    }
    return res.status + " " + res.statusText;
  }

  // el("p", {class: "x", text: "hi"}, child, "more text"): text always goes in as text nodes.
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // A websocket that authenticates with its first frame and reconnects with backoff.
  function live(path, token, { lastSeq = () => 0, onEvent, onState }) {
    let socket = null;
    let stopped = false;
    let delay = 1000;
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;

    function connect() {
      if (stopped) return;
      try {
        socket = new WebSocket(url);
      } catch (err) {
        return retry();
      }
      socket.addEventListener("open", () => {
        socket.send(JSON.stringify({ type: "auth", token, last_seq: lastSeq() }));
        delay = 1000;
        if (onState) onState(true);
      });
      socket.addEventListener("message", (e) => {
        let event;
        try {
          event = JSON.parse(e.data);
        } catch (err) {
          return;
        }
        if (event.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
        else onEvent(event);
      });
      socket.addEventListener("close", (e) => {
        if (onState) onState(false);
        if (e.code === 4401 || e.code === 4403 || e.code === 1008) stopped = true;
        retry();
      });
    }

    function retry() {
      if (stopped) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    }

    connect();
    return {
      send(data) {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
      },
      get open() {
        return Boolean(socket && socket.readyState === WebSocket.OPEN);
      },
      close() {
        stopped = true;
        if (socket) socket.close();
      },
    };
  }

  function duration(seconds) {
    if (seconds == null || isNaN(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
  }

  function time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function since(iso) {
    const d = new Date(iso);
    return isNaN(d) ? null : (Date.now() - d.getTime()) / 1000;
  }

  // A table from a list of plain objects; nested values are shown as compact JSON text.
  function table(rows, columns) {
    const cols = columns || [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const head = el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col", text: c }))));
    const body = el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => el("td", { text: show(r[c]) })))));
    return el("table", {}, head, body);
  }

  function show(value) {
    if (value == null) return "";
    if (typeof value === "object") return JSON.stringify(value);
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
    return String(value);
  }

  // A value kept for this tab (sign-ins), or with `lasting` for this browser: a customer's
  // conversation must still be there when they come back tomorrow for the answer.
  function session(key, { lasting = false } = {}) {
    const store = () => (lasting ? localStorage : sessionStorage);
    return {
      get() {
        try {
          return JSON.parse(store().getItem(key) || "null");
        } catch (err) {
          return null;
        }
      },
      set(value) {
        if (value == null) store().removeItem(key);
        else store().setItem(key, JSON.stringify(value));
      },
    };
  }

  return { api, ApiError, el, live, duration, time, since, table, show, session };
})();
