// A new handoff for this agent: a count in the tab title, an optional short beep (WebAudio, no
// file), and a browser notification when the agent allowed them (asked from a button only).
"use strict";

const TandemAlerts = (() => {
  const title = document.title;
  const store = "tandem.sound";
  let seen = null; // ids already known: null until the first queue arrives (no alert on load)
  let count = 0;
  let audio = null;

  const soundOn = () => localStorage.getItem(store) === "on";

  function show() {
    document.title = count ? `(${count}) ${title}` : title;
  }

  function beep() {
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (err) {
      // no audio device: the title count still tells
    }
  }

  function notify(n) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const body = n === 1 ? "A customer is waiting for a person." : `${n} customers are waiting for a person.`;
    new Notification("Tandem: new handoff", { body, tag: "tandem-handoff" });
  }

  // The conversations waiting or newly mine; those not known before are new handoffs.
  function update(ids) {
    const fresh = seen === null ? [] : ids.filter((id) => !seen.has(id));
    seen = new Set([...(seen || []), ...ids]);
    if (!fresh.length) return;
    count += fresh.length;
    show();
    if (soundOn()) beep();
    notify(fresh.length);
  }

  // The agent looked at the queue (or claimed): nothing is new any more.
  function clear() {
    count = 0;
    show();
  }

  function bind(soundBox, button, state) {
    soundBox.checked = soundOn();
    soundBox.addEventListener("change", () => {
      localStorage.setItem(store, soundBox.checked ? "on" : "off");
      if (soundBox.checked) beep(); // a sample, and browsers let audio start from a click
    });
    const supported = "Notification" in window;
    const describe = () => {
      const p = supported ? Notification.permission : "unsupported";
      state.textContent = { granted: "Notifications are on.", denied: "Notifications are blocked in this browser.", unsupported: "This browser has no notifications." }[p] || "";
      button.hidden = p !== "default";
    };
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      describe();
    });
    describe();
  }

  function reset() {
    seen = null;
    clear();
  }

  return { update, clear, bind, reset };
})();
