// Live captions of one call: subscribes to /v1/calls/{call_id}/captions and renders one column per leg.
// Partials are shown light and replaced in place (per utterance_id); finals replace them, once each (by seq).
// After a dropped connection it reconnects with exponential back-off; the server resends the finals so far,
// which are skipped when already shown.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const jump = $("jump");
  const callId = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop() || "");
  const token = takeToken();

  const BANNERS = {
    waiting: ["Waiting for the call to start", "Captions appear here as soon as the call begins."],
    pending: ["Not transcribing yet", "Waiting for the caller's consent."],
    active: ["Transcribing", "The caller consented; captions are live."],
    paused: ["Paused", "Transcription is paused; nothing is transcribed until it resumes."],
    declined: ["Caller declined", "Nothing is transcribed and the transcript was removed."],
    ended: ["Call ended", "This call is over."],
  };

  let legs = [];
  const seenSeq = new Set();
  const lines = new Map(); // utterance_id -> element (partial or final)
  let ended = false;
  let attempt = 0;
  let follow = true;

  // The token travels in the URL only once: keep it for this tab, then drop it from the address bar.
  function takeToken() {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get("token");
    if (fromUrl) {
      sessionStorage.setItem("captions-token", fromUrl);
      params.delete("token");
      const query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
      return fromUrl;
    }
    return sessionStorage.getItem("captions-token");
  }

  function setBanner(state) {
    const [title, detail] = BANNERS[state] || BANNERS.waiting;
    const banner = $("consent");
    if (banner.dataset.state === state) return;
    banner.dataset.state = state;
    $("consent-title").textContent = title;
    $("consent-detail").textContent = detail;
  }

  // "Start transcription": the phone system plays the announcement; consent changes only when it reports it.
  const startButton = $("start-transcription");
  startButton.addEventListener("click", async () => {
    startButton.disabled = true;
    const status = $("request-status");
    try {
      const reply = await fetch(`/v1/calls/${encodeURIComponent(callId)}/transcription-request`,
        {method: "POST", headers: {Authorization: `Bearer ${token}`}});
      status.textContent = reply.ok ? "Requested: the caller hears the announcement now."
        : "The request was not accepted.";
    } catch {
      status.textContent = "The request could not be sent.";
    }
    startButton.disabled = false;
  });

  function setConnection(text) {
    $("connection").textContent = text;
  }

  function setLegs(names) {
    for (const name of names) if (!legs.includes(name)) legs.push(name);
    const count = String(Math.max(1, legs.length));
    document.documentElement.style.setProperty("--legs", count);
    log.dataset.legs = count;
    const header = $("legs");
    header.replaceChildren(...legs.map((name, i) => {
      const h = document.createElement("h2");
      h.className = "leg-" + i;
      h.textContent = name;
      return h;
    }));
  }

  function legIndex(leg) {
    if (!legs.includes(leg)) setLegs([leg]);
    return legs.indexOf(leg);
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  // Text with the final's redacted spans ([start, end) in code points) rendered as redacted, nothing else.
  function renderText(text, redactions) {
    const chars = Array.from(text);
    const out = document.createElement("span");
    out.className = "text";
    const spans = (redactions || [])
      .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.end) && r.start < r.end)
      .sort((a, b) => a.start - b.start);
    let pos = 0;
    for (const r of spans) {
      const start = Math.max(r.start, pos);
      const end = Math.min(r.end, chars.length);
      if (start >= end) continue;
      out.append(chars.slice(pos, start).join(""));
      const masked = document.createElement("span");
      masked.className = "redacted";
      masked.title = "redacted" + (r.kind ? ": " + r.kind : "");
      masked.textContent = chars.slice(start, end).join("");
      out.append(masked);
      pos = end;
    }
    out.append(chars.slice(pos).join(""));
    return out;
  }

  function lineFor(msg, kind) {
    const i = legIndex(msg.leg);
    const el = document.createElement("p");
    el.className = `line ${kind} leg-${i}`;
    el.dataset.leg = msg.leg;
    el.dataset.utterance = msg.utterance_id;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = msg.leg + ": ";
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(msg.start) + "–" + clock(msg.end);
    el.append(who, time, renderText(msg.text, kind === "final" ? msg.redactions : []));
    return el;
  }

  function place(msg, el) {
    const old = lines.get(msg.utterance_id);
    if (old && old.isConnected) old.replaceWith(el);
    else log.append(el);
    lines.set(msg.utterance_id, el);
    afterChange();
  }

  function showPartial(msg) {
    const old = lines.get(msg.utterance_id);
    if (old && old.classList.contains("final")) return; // the final is already shown
    const el = lineFor(msg, "partial");
    el.setAttribute("aria-hidden", "true"); // screen readers get the finals only
    place(msg, el);
  }

  function showFinal(msg) {
    if (seenSeq.has(msg.seq)) return;
    seenSeq.add(msg.seq);
    const el = lineFor(msg, "final");
    el.dataset.seq = String(msg.seq);
    place(msg, el);
  }

  function clearTranscript() {
    log.replaceChildren();
    lines.clear();
    seenSeq.clear();
  }

  function afterChange() {
    if (follow) log.scrollTop = log.scrollHeight;
    else jump.hidden = false;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 32;
  }

  log.addEventListener("scroll", () => {
    follow = nearBottom();
    if (follow) jump.hidden = true;
  });

  jump.addEventListener("click", () => {
    follow = true;
    jump.hidden = true;
    log.scrollTop = log.scrollHeight;
    log.focus();
  });

  function handle(msg) {
    switch (msg.type) {
      case "call":
        setLegs(msg.legs || []);
        break;
      case "consent":
        if (msg.state === "declined") clearTranscript();
        if (!ended) setBanner(msg.state);
        startButton.hidden = ended || msg.state !== "pending";
        break;
      case "partial":
        showPartial(msg);
        break;
      case "final":
        showFinal(msg);
        break;
      case "call_ended":
        ended = true;
        startButton.hidden = true;
        for (const el of log.querySelectorAll(".line.partial")) el.remove(); // never finalised
        setBanner($("consent").dataset.state === "declined" ? "declined" : "ended");
        setConnection("Call ended");
        if ($("consent").dataset.state !== "declined") pollInsights(30);
        break;
    }
  }

  // After the call: the summary, agreements and sentiment (GET .../insights/live), in the call's language.
  const INSIGHTS_TEXT = {
    en: { title: "After the call", agreements: "Agreements", none: "No agreements", agent: "Agent",
          caller: "Caller", due: "due", sentiment: "Sentiment", call: "Call",
          positive: "positive", neutral: "neutral", negative: "negative",
          improving: "improving", worsening: "worsening", steady: "steady" },
    nl: { title: "Na het gesprek", agreements: "Afspraken", none: "Geen afspraken", agent: "Medewerker",
          caller: "Beller", due: "wanneer", sentiment: "Sentiment", call: "Gesprek",
          positive: "positief", neutral: "neutraal", negative: "negatief",
          improving: "verbetert", worsening: "verslechtert", steady: "gelijk" },
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dueText(due, lang) {
    if (!due) return "";
    const fmt = new Intl.DateTimeFormat(lang === "nl" ? "nl-NL" : "en-GB",
      { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    const start = new Date(due.start), end = new Date(due.end);
    return start.getTime() === end.getTime() ? fmt.format(end) : fmt.format(start) + " – " + fmt.format(end);
  }

  function showInsights(data) {
    const t = INSIGHTS_TEXT[data.language] || INSIGHTS_TEXT.en;
    const box = $("insights");
    box.lang = data.language;
    const items = el("ul", "agreements");
    for (const a of data.agreements || []) {
      const li = el("li", "agreement");
      li.dataset.owner = a.owner;
      li.append(el("strong", "owner", t[a.owner] + ": "), el("span", "what", a.what));
      if (a.due) li.append(el("span", "due", ` (${t.due}: ${dueText(a.due, data.language)})`));
      items.append(li);
    }
    if (!items.children.length) items.append(el("li", "agreement", t.none));
    const mood = el("p", "sentiment");
    const s = data.sentiment || {};
    const part = (name, v) => `${name}: ${t[v.label]} (${t[v.trend]})`;
    mood.textContent = [part(t.call, s.call), ...Object.entries(s.legs || {}).map(([leg, v]) => part(leg, v))]
      .join(" · ");
    const title = el("h2", "", t.title);
    title.id = "insights-title";
    const summary = data.abstract || data.summary.split("\n").slice(0, 2).join(" ");
    box.replaceChildren(title, el("p", "summary", summary),
                        el("h3", "", t.agreements), items, el("h3", "", t.sentiment), mood);
    box.hidden = false;
  }

  async function pollInsights(left) {
    try {
      const r = await fetch(`/v1/calls/${encodeURIComponent(callId)}/insights/live`,
                            { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
      if (r.ok) return showInsights(await r.json());
      if (r.status !== 404) return;
    } catch { /* retried below */ }
    if (left > 0) setTimeout(() => pollInsights(left - 1), 2000);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/v1/calls/${encodeURIComponent(callId)}/captions` +
      `?wait=1&token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    ws.addEventListener("open", () => setConnection("Live"));
    ws.addEventListener("message", (event) => {
      attempt = 0;
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      handle(msg);
    });
    ws.addEventListener("close", () => {
      if (ended) return;
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt += 1;
      setConnection(`Connection lost, reconnecting in ${Math.ceil(delay / 1000)} s…`);
      setTimeout(connect, delay);
    });
  }

  $("call-id").textContent = callId;
  document.title = `Live captions: ${callId}`;
  setLegs([]);
  if (!token) {
    setConnection("No access token: open this page with ?token=…");
  } else {
    connect();
  }
})();
