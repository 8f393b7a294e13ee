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

/** Runs `logsift ARGS... --url url --set clusters.index=...` (without `url`: `logsift ARGS...`);
 * returns {stdout, stderr}. */
export function logsift(url, root, args) {
  const env = { ...process.env, NO_COLOR: "1", RUST_LOG: "warn" };
  for (const k of Object.keys(env)) if (k.startsWith("LOGSIFT_") && k !== "LOGSIFT_BIN") delete env[k];
  const bin = logsiftBin(root);
  const r = spawnSync(bin, url ? [...args, "--url", url, "--set", `clusters.index=${CLUSTER_INDEX}`] : args,
    { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs `logsift run --once` over logs-* (or `args`' source) against `url`; returns its stderr summary. */
export function runLogsift(url, root, args = ["--index", "logs-*"]) {
  return logsift(url, root, ["run", "--once", ...args]).stderr;
}

/** The audit samples of both presets (tools/gen_audit_scenario.py --seed 3), each its own source
 * on its own index, as a deployment with one logsift per audit trail runs them. */
export const AUDIT_SOURCES = [
  { preset: "cloud-trace", name: "cloudtrace", index: "audit-cloudtrace", file: "audit_cloud_trace.ndjson", idField: "trace_id", rawField: "trace_name" },
  { preset: "o365-exchange", name: "exchange", index: "audit-exchange", file: "audit_exchange.ndjson", idField: "Id", rawField: "Operation" },
];

/** One audit source as a user sets it up: the index exists (default dynamic mapping, no template
 * of ours), `logsift setup` with the preset maps the preset's fields as keyword, the events are
 * indexed, `logsift run --once` labels and scores them. Returns {docs, setup, mapping}. */
export async function loadAuditSource(url, root, s) {
  const args = ["--index", s.index, "--source-name", s.name, "--preset", s.preset];
  await es(url, "PUT", `/${s.index}`, {});
  const setup = logsift(url, root, ["setup", ...args]).stdout;
  const docs = readFileSync(path.join(root, "tests", "data", "samples", s.file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  await bulk(url, docs.flatMap((d) => [{ index: { _index: s.index, _id: d[s.idField] } }, d]));
  runLogsift(url, root, args);
  const mapping = (await es(url, "GET", `/${s.index}/_mapping`))[s.index].mappings.properties;
  return { docs, setup, mapping };
}

/** Documents in `index` and how many carry logsift.cluster_id (and logsift.audit); clusters in the cluster index. */
export async function labelCounts(url, index = "logs-*") {
  const count = async (i, query) => (await es(url, "POST", `/${i}/_count`, query ? { query } : undefined)).count;
  return {
    docs: await count(index),
    labelled: await count(index, { exists: { field: "logsift.cluster_id" } }),
    scored: await count(index, { exists: { field: "logsift.audit.score" } }),
    clusters: await count(CLUSTER_INDEX),
  };
}
