// Starts and stops an osmem-server (the project's test search server) for the chart harness.
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

function binary(root) {
  if (process.env.OSMEM_SERVER) return process.env.OSMEM_SERVER;
  const py = path.join(root, ".venv", "bin", "python");
  if (!existsSync(py)) throw new Error(`${py} missing: run \`make venv\` first`);
  return execFileSync(py, ["-c", "import osmem_server; print(osmem_server.resolve_binary())"]).toString().trim();
}

/** Starts a server on a free port; resolves to {url, stop()}. */
export function startOsmem(root) {
  const child = spawn(binary(root), ["-addr", "127.0.0.1:0", "-no-stdin-watch", "-parent-pid", String(process.pid)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("osmem-server did not print its url")), 30000);
    child.on("error", reject);
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners("data");
      child.stdout.resume();
      const { url } = JSON.parse(buf.slice(0, nl));
      resolve({ url, stop: () => new Promise((r) => { child.once("exit", r); child.kill("SIGTERM"); }) });
    });
  });
}

/** A JSON request against the server; throws on HTTP errors. */
export async function es(base, method, p, body, ndjson = false) {
  const res = await fetch(base + p, {
    method, body: body === undefined ? undefined : ndjson ? body : JSON.stringify(body),
    headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : {};
}
