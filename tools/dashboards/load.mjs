// Loads the sample logs into a search server, as the demo stack's Logstash writes them, and
// labels them with `logsift run --once` (the same single source over logs-* as the stack).
import { readFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { es } from "./osmem.mjs";
import { sampleDocs } from "./samples.mjs";

export const CLUSTER_INDEX = "logsift-clusters";

/** The logsift binary: $LOGSIFT_BIN, else the release build, else the debug build. */
export function logsiftBin(root) {
  if (process.env.LOGSIFT_BIN) return path.resolve(root, process.env.LOGSIFT_BIN);
  for (const p of ["target/release/logsift", "target/debug/logsift"]) {
    if (existsSync(path.join(root, p))) return path.join(root, p);
  }
  throw new Error("no logsift binary: run `cargo build` (or set LOGSIFT_BIN)");
}

async function bulk(url, actions) {
  for (let i = 0; i < actions.length; i += 1000) {
    const body = actions.slice(i, i + 1000).map((a) => JSON.stringify(a)).join("\n") + "\n";
    const r = await es(url, "POST", "/_bulk?refresh=true", body, true);
    if (r.errors) throw new Error(`bulk errors: ${JSON.stringify(r.items.find((it) => Object.values(it)[0].error))}`);
  }
}

/** Creates the log indices with the stack's template mappings and indexes the samples. */
export async function loadSamples(url, root) {
  const template = JSON.parse(readFileSync(path.join(root, "docker", "index-templates", "logs.json"), "utf8"));
  const docs = sampleDocs(root);
  for (const index of new Set(docs.map((d) => d.index))) {
    await es(url, "PUT", `/${index}`, { mappings: template.template.mappings });
  }
  await bulk(url, docs.flatMap(({ index, doc }) => [{ index: { _index: index } }, doc]));
  return docs;
}

/** Runs `logsift run --once` over logs-* against `url`; returns its stderr summary. */
export function runLogsift(url, root) {
  const env = { ...process.env, NO_COLOR: "1", RUST_LOG: "warn" };
  for (const k of Object.keys(env)) if (k.startsWith("LOGSIFT_") && k !== "LOGSIFT_BIN") delete env[k];
  const bin = logsiftBin(root);
  const r = spawnSync(bin, ["run", "--once", "--url", url, "--index", "logs-*", "--set", `clusters.index=${CLUSTER_INDEX}`],
    { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${bin} run --once failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stderr;
}

/** Documents in logs-* and how many carry logsift.cluster_id; clusters in the cluster index. */
export async function labelCounts(url) {
  const count = async (index, query) => (await es(url, "POST", `/${index}/_count`, query ? { query } : undefined)).count;
  return {
    docs: await count("logs-*"),
    labelled: await count("logs-*", { exists: { field: "logsift.cluster_id" } }),
    clusters: await count(CLUSTER_INDEX),
  };
}
