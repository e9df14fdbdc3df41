// Logs in (the session cookie), then joins a room over a WebSocket. The
// browser sends the session cookie with the handshake.
const log = document.getElementById("log");
const say = document.getElementById("say");
let socket = null;

function show(line) {
  const item = document.createElement("li");
  item.textContent = line;
  log.appendChild(item);
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = document.getElementById("name").value;
  const room = document.getElementById("room").value;
  const res = await fetch("/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) {
    show(`login failed: ${res.status}`);
    return;
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/${encodeURIComponent(room)}`);
  socket.onmessage = (message) => show(message.data);
  socket.onclose = (close) => show(`disconnected (${close.code})`);
  say.hidden = false;
});

say.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = document.getElementById("text");
  socket?.send(text.value);
  text.value = "";
});
