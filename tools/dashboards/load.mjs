// Loads the sample logs into a search server and labels them.
//
// PROVISIONAL labelling: until the sidecar's `logsift run --once` lands on this branch, each
// document gets logsift.* fields from a crude number/IP mask below, and the cluster index is
// filled from those groups, in the field contract the sidecar writes. Swap for `logsift run --once`.
import { readFileSync } from "node:fs";
import path from "node:path";
import { es } from "./osmem.mjs";
import { sampleDocs } from "./samples.mjs";

export const CLUSTER_INDEX = "logsift-clusters";

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

const mask = (m) => m.split(/\s+/).map((t) => (/\d/.test(t) ? "<*>" : t)).join(" ");

/** PROVISIONAL: labels every loaded document and writes the cluster index (see header). */
export async function labelProvisionally(url) {
  const hits = (await es(url, "POST", "/logs-*/_search", { size: 10000, sort: [{ "@timestamp": "asc" }] })).hits.hits;
  const clusters = new Map();
  const actions = [];
  for (const h of hits) {
    const template = mask(h._source.message);
    let c = clusters.get(template);
    if (!c) clusters.set(template, (c = { cluster_id: String(clusters.size + 1), template, count: 0, first_seen: h._source["@timestamp"], examples: [] }));
    c.count += 1;
    c.last_seen = h._source["@timestamp"];
    if (c.examples.length < 3) c.examples.push(h._source.message);
    actions.push({ update: { _index: h._index, _id: h._id } }, { doc: { logsift: { cluster_id: c.cluster_id, template } } });
  }
  const now = new Date().toISOString();
  for (const c of clusters.values()) {
    actions.push({ index: { _index: CLUSTER_INDEX, _id: c.cluster_id } }, { ...c, source: "logs-*", algorithm: "provisional-mask", updated_at: now });
  }
  await es(url, "PUT", `/${CLUSTER_INDEX}`, { mappings: { properties: {
    cluster_id: { type: "keyword" }, template: { type: "keyword", ignore_above: 8191 }, count: { type: "long" },
    first_seen: { type: "date" }, last_seen: { type: "date" }, examples: { type: "keyword", ignore_above: 8191 },
    source: { type: "keyword" }, algorithm: { type: "keyword" }, updated_at: { type: "date" },
  } } });
  await bulk(url, actions);
  return clusters.size;
}
