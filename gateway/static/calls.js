// Supervisor view: the tenant's active calls from GET /v1/calls, refreshed every few seconds,
// with durations ticking locally between refreshes and a link to each call's live captions.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 3000;
  const STATES = { pending: "Not transcribing yet", active: "Transcribing", paused: "Paused",
                   declined: "Caller declined" };
  const token = takeToken();
  let calls = [];
  let fetchedAt = 0;

  function takeToken() {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get("token");
    if (fromUrl) {
      sessionStorage.setItem("captions-token", fromUrl);
      history.replaceState(null, "", location.pathname);
      return fromUrl;
    }
    return sessionStorage.getItem("captions-token");
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function cell(label, content, className) {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (className) td.className = className;
    td.append(content);
    return td;
  }

  function row(call, elapsed) {
    const tr = document.createElement("tr");
    tr.dataset.callId = call.call_id;
    const state = document.createElement("span");
    state.className = "state state-" + call.consent;
    state.textContent = STATES[call.consent] || call.consent;
    const link = document.createElement("a");
    link.href = `/captions/${encodeURIComponent(call.call_id)}?token=${encodeURIComponent(token)}`;
    link.textContent = "Open captions";
    link.setAttribute("aria-label", `Open captions of call ${call.call_id}`);
    tr.append(
      cell("Call", call.call_id),
      cell("Legs", call.legs.join(", ")),
      cell("Duration", clock(call.duration_s + elapsed), "num duration"),
      cell("Consent", state),
      cell("Viewers", String(call.viewers), "num"),
      cell("Captions", link),
    );
    return tr;
  }

  function render() {
    const elapsed = (performance.now() - fetchedAt) / 1000;
    $("rows").replaceChildren(...calls.map((call) => row(call, elapsed)));
    $("empty").hidden = calls.length > 0;
  }

  function tick() {
    const elapsed = (performance.now() - fetchedAt) / 1000;
    document.querySelectorAll("#rows tr").forEach((tr, i) => {
      const call = calls[i];
      if (call) tr.querySelector(".duration").textContent = clock(call.duration_s + elapsed);
    });
  }

  async function refresh() {
    try {
      const response = await fetch("/v1/calls", { headers: { Authorization: `Bearer ${token}` },
                                                  cache: "no-store" });
      if (response.status === 401) {
        $("status").textContent = "The access token was not accepted.";
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      calls = (await response.json()).calls;
      fetchedAt = performance.now();
      render();
      $("status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch {
      $("status").textContent = "Could not load the calls; retrying…";
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  if (!token) {
    $("status").textContent = "No access token: open this page with ?token=…";
  } else {
    refresh();
    setInterval(tick, 1000);
  }
})();
