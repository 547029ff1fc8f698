// The broker's dashboard: counts and sessions from the REST API, events from the SSE stream
// (docs/http.md). Plain JavaScript, no build step and nothing from a CDN: it is served from the jar.
"use strict";

const tokenInput = document.getElementById("token");
tokenInput.value = sessionStorage.getItem("adminToken") || "";
tokenInput.addEventListener("change", () => {
  sessionStorage.setItem("adminToken", tokenInput.value);
  connect();
  refresh();
});

function headers() {
  return tokenInput.value ? { Authorization: "Bearer " + tokenInput.value } : {};
}

async function api(path, method = "GET") {
  const response = await fetch(path, { method, headers: headers() });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.status);
  return body;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  row.appendChild(td);
  return td;
}

function time(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : "";
}

let sessions = [];

function renderCounts(count) {
  const counts = document.getElementById("counts");
  counts.replaceChildren();
  const tiles = [["total", count.total]].concat(Object.entries(count.byTransport || {}));
  for (const [label, n] of tiles) {
    const tile = document.createElement("div");
    tile.className = "count";
    tile.id = "count-" + label;
    tile.innerHTML = '<span class="n"></span><span class="l"></span>';
    tile.querySelector(".n").textContent = n;
    tile.querySelector(".l").textContent = label;
    counts.appendChild(tile);
  }
  const nodes = document.getElementById("nodes");
  nodes.replaceChildren();
  for (const [node, n] of Object.entries(count.byNode || {})) {
    const li = document.createElement("li");
    li.textContent = node + ": " + n;
    nodes.appendChild(li);
  }
  for (const node of count.unreachable || []) {
    const li = document.createElement("li");
    li.textContent = node + ": unreachable";
    nodes.appendChild(li);
  }
}

function renderSessions() {
  const needle = document.getElementById("search").value.trim().toLowerCase();
  const body = document.querySelector("#sessions tbody");
  body.replaceChildren();
  const shown = sessions.filter(s =>
    !needle || [s.deviceId, s.transport, s.node, s.remote].some(v => String(v).toLowerCase().includes(needle)));
  for (const s of shown) {
    const row = document.createElement("tr");
    row.dataset.device = s.deviceId;
    cell(row, s.deviceId);
    cell(row, s.transport);
    cell(row, s.node);
    cell(row, s.remote);
    cell(row, time(s.connectedAt));
    cell(row, time(s.lastSeenAt));
    const kick = document.createElement("button");
    kick.className = "kick";
    kick.textContent = "kick";
    kick.addEventListener("click", () =>
      api("/api/sessions/" + encodeURIComponent(s.deviceId), "DELETE").then(refresh, alertError));
    cell(row, "").appendChild(kick);
    body.appendChild(row);
  }
  document.getElementById("sessions-note").textContent =
    shown.length + " shown of " + sessions.length + " listed";
}

function alertError(e) {
  document.getElementById("sessions-note").textContent = "error: " + e.message;
}

let refreshing = null;
async function refresh() {
  try {
    renderCounts(await api("/api/sessions/count"));
    sessions = (await api("/api/sessions?limit=1000")).sessions;
    renderSessions();
  } catch (e) {
    alertError(e);
  }
}
function refreshSoon() {
  if (!refreshing) refreshing = setTimeout(() => { refreshing = null; refresh(); }, 250);
}

function showEvent(kind, e) {
  const data = JSON.parse(e.data);
  const body = document.querySelector("#events tbody");
  const row = document.createElement("tr");
  if (kind === "closed") row.className = "closed";
  cell(row, e.lastEventId);
  cell(row, time(data.at));
  cell(row, kind);
  cell(row, data.deviceId);
  cell(row, data.transport);
  cell(row, data.reason || data.code || "");
  const late = data.reason === "TIMEOUT" && data.lastSeenAt != null
    ? (data.at - data.lastSeenAt - data.timeoutMs) + " ms" : "";
  cell(row, late);
  body.insertBefore(row, body.firstChild);
  while (body.children.length > 200) body.removeChild(body.lastChild);
  refreshSoon();
}

let source = null;
function connect() {
  if (source) source.close();
  const query = tokenInput.value ? "?access_token=" + encodeURIComponent(tokenInput.value) : "";
  source = new EventSource("/api/events/stream" + query);
  const state = document.getElementById("connection");
  source.onopen = () => { state.textContent = "live"; state.className = "state live"; };
  source.onerror = () => { state.textContent = "reconnecting…"; state.className = "state"; };
  source.addEventListener("sessions.opened", e => showEvent("opened", e));
  source.addEventListener("sessions.closed", e => showEvent("closed", e));
  source.addEventListener("sessions.rejected", e => showEvent("rejected", e));
}

document.getElementById("search").addEventListener("input", renderSessions);
connect();
refresh();
setInterval(refresh, 5000);
