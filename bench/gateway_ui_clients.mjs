// Opens N connections shaped like the official Control UI (client
// openclaw-control-ui in webchat mode, a signed Ed25519 device identity, the
// gateway's own Origin, the token), makes the reads the UI makes when it boots,
// subscribes to the main session's messages, then holds the sockets open until
// stdin closes. Prints "ready <n>" once every client has booted.
//
// node bench/gateway_ui_clients.mjs <port> <token> <n>
import { createHash, generateKeyPairSync, sign } from "node:crypto";

const [, , port, token, countArg] = process.argv;
const count = Number(countArg ?? 100);
const origin = `http://127.0.0.1:${port}`;
const b64url = (buf) => Buffer.from(buf).toString("base64url");
const BOOT = [
  ["sessions.subscribe", {}],
  ["sessions.list", { agentId: "main", configuredAgentsOnly: true, includeDerivedTitles: true, includeGlobal: true, includeLastMessage: true, includeUnknown: true, limit: 200, ownerFirst: true }],
  ["agents.list", {}],
  ["config.get", {}],
  ["agent.identity.get", { agentId: "main" }],
  ["models.authStatus", { agentId: "main" }],
  ["chat.startup", { sessionKey: "agent:main:main", limit: 80, maxBytes: 262144 }],
  ["chat.metadata", { agentId: "main", sessionKey: "agent:main:main" }],
  ["sessions.messages.subscribe", { key: "agent:main:main", includeApprovals: true }],
  ["system.info", {}],
  ["cron.list", { agentId: "main", limit: 50 }],
  ["tasks.list", { agentId: "main", limit: 200 }],
];

function client(i) {
  return new Promise((resolve, reject) => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const deviceId = createHash("sha256").update(raw).digest("hex");
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { origin } });
    const waiting = new Map();
    let n = 0;
    const call = (method, params) => new Promise((res) => {
      const id = `${++n}:${i}`;
      waiting.set(id, res);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
    ws.onerror = (e) => reject(new Error(`client ${i}: ${e.message ?? "socket error"}`));
    ws.onmessage = async (m) => {
      const f = JSON.parse(m.data);
      if (f.type === "event" && f.event === "connect.challenge") {
        const scopes = ["operator.admin", "operator.read", "operator.write", "operator.approvals", "operator.questions", "operator.pairing"];
        const signedAt = f.payload.ts;
        const payload = ["v3", deviceId, "openclaw-control-ui", "webchat", "operator", scopes.join(","), signedAt, token, f.payload.nonce, "linux x86_64", ""].join("|");
        const hello = await call("connect", {
          minProtocol: 4, maxProtocol: 4,
          client: { id: "openclaw-control-ui", version: "2026.9.6", platform: "Linux x86_64", mode: "webchat", instanceId: `bench-${i}` },
          role: "operator", scopes, caps: [], auth: { token },
          device: { id: deviceId, publicKey: b64url(raw), signature: b64url(sign(null, Buffer.from(payload), privateKey)), signedAt, nonce: f.payload.nonce },
        });
        if (!hello.ok) return reject(new Error(`client ${i}: connect refused: ${JSON.stringify(hello.error)}`));
        for (const [method, params] of BOOT) {
          const r = await call(method, params);
          if (!r.ok) return reject(new Error(`client ${i}: ${method}: ${JSON.stringify(r.error)}`));
        }
        resolve(ws);
      } else if (f.type === "res" && waiting.has(f.id)) {
        waiting.get(f.id)(f);
        waiting.delete(f.id);
      }
    };
  });
}

const sockets = [];
for (let i = 0; i < count; i += 10) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, k) => client(i + k)))));
}
console.log(`ready ${sockets.length}`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
