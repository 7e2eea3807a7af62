// Softphone test page: microphone -> WebRTC -> gateway; transcripts come back on the "transcripts"
// data channel as transcribe.v1 JSON. Query string: token, call_id, language (default "en"),
// consent ("pending" or "granted", default "pending"), autostart=1 to call on load.
"use strict";

const params = new URLSearchParams(location.search);
// The token must not stay in the address bar (history, screenshots, shoulder surfing): keep it in this
// tab's sessionStorage and rewrite the URL without it.
if (params.has("token")) {
  sessionStorage.setItem("callscribe-token", params.get("token") || "");
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
}
const token = sessionStorage.getItem("callscribe-token") || "";
const callId = params.get("call_id") || "softphone-" + Math.random().toString(36).slice(2, 10);
const $ = (id) => document.getElementById(id);
let pc = null;
let channel = null;
let mic = null;

function setStatus(text) { $("status").textContent = text; }

function showMessage(msg) {
  if (msg.type === "ready" || msg.type === "consent") {
    $("consent-state").textContent = msg.type === "ready" ? msg.consent : msg.state;
  } else if (msg.type === "partial") {
    $("partial").textContent = msg.leg + ": " + msg.text;
  } else if (msg.type === "final") {
    const item = document.createElement("li");
    const leg = document.createElement("span");
    leg.className = "leg";
    leg.textContent = msg.leg;
    item.append(leg, document.createTextNode(msg.text));
    item.dataset.seq = msg.seq;
    $("finals").append(item);
    $("partial").textContent = "";
  } else if (msg.type === "error") {
    $("error").textContent = msg.code + ": " + msg.message;
  } else if (msg.type === "closed") {
    setStatus("closed (" + msg.finals + " finals)");
    hangUpNow();
  }
}

function iceGatheringDone(peer) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    peer.addEventListener("icegatheringstatechange", () => {
      if (peer.iceGatheringState === "complete") resolve();
    });
  });
}

async function call() {
  $("call").disabled = true;
  $("error").textContent = "";
  setStatus("opening microphone");
  mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  pc = new RTCPeerConnection({ iceServers: [] });
  channel = pc.createDataChannel("transcripts");
  channel.onmessage = (event) => showMessage(JSON.parse(event.data));
  channel.onopen = () => { $("consent").disabled = false; $("hangup").disabled = false; };
  for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
  pc.onconnectionstatechange = () => setStatus(pc.connectionState);
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringDone(pc);  // no trickle ICE: the offer carries every candidate
  setStatus("connecting");
  const response = await fetch("/v1/webrtc/offer", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
    body: JSON.stringify({
      sdp: pc.localDescription.sdp, type: "offer", call_id: callId,
      language: params.get("language") || "en", consent: params.get("consent") || "pending",
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.code + ": " + (body.message || response.status));
  await pc.setRemoteDescription(body);
}

function send(msg) {
  if (channel && channel.readyState === "open") channel.send(JSON.stringify(msg));
}

function hangUpNow() {
  if (mic) mic.getTracks().forEach((t) => t.stop());
  if (pc) pc.close();
  pc = null;
  $("consent").disabled = true;
  $("hangup").disabled = true;
}

$("call-id").textContent = callId;
$("call").onclick = () => call().catch((err) => {
  $("error").textContent = String(err.message || err);
  setStatus("failed");
  hangUpNow();
});
$("consent").onclick = () => send({ type: "consent", event: "granted" });
$("hangup").onclick = () => {
  setStatus("hanging up");
  send({ type: "stop" });  // the gateway flushes the last finals, sends "closed", then we close
};
if (params.get("autostart") === "1") $("call").click();
