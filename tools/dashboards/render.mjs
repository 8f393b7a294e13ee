// `make dashboards`: renders every Vega chart of kibana/logsift.ndjson to PNG against real data.
//
// Starts an osmem-server, loads the sample logs, labels them with `logsift run --once`, then for every Vega visualization
// substitutes Kibana's placeholders, runs the chart's query on the server, renders the spec with
// vega/vega-lite to SVG and @resvg/resvg-js to PNG under target/dashboards/, and counts the data
// marks drawn. The charts of the Audit events dashboard are drawn once per audit preset
// (load.mjs AUDIT_SOURCES: each its own source and index, set up with `logsift setup --preset`),
// from the bundle as `logsift kibana bundle --source-pattern <index>` adapts it; the others from
// the demo stack's logs (logs-*). Writes target/dashboards/report.json; exits 1 if any chart drew
// no data mark.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
// Kibana 7.10 and OpenSearch Dashboards ship Vega-Lite 4, Kibana 8 Vega-Lite 5: draw with both.
import * as vegaLite4 from "vega-lite-4";
import { Resvg } from "@resvg/resvg-js";
import { startOsmem, es } from "./osmem.mjs";
import { loadSamples, runLogsift, labelCounts, logsift, AUDIT_SOURCES, loadAuditSource, CLUSTER_INDEX } from "./load.mjs";
import { kibanaQuery, pickProperty } from "./kibana_vega.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(ROOT, "target", "dashboards");

const BUNDLE = path.join(ROOT, "kibana", "logsift.ndjson");
const objectsOf = (ndjson) => ndjson.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

/** The ids of the visualizations on the Audit events dashboard. */
export function auditPanelIds(bundlePath = BUNDLE) {
  const d = objectsOf(readFileSync(bundlePath, "utf8")).find((o) => o.type === "dashboard" && o.id === "logsift-audit");
  return new Set(d.references.filter((r) => r.type === "visualization").map((r) => r.id));
}

/** The size Kibana gives each visualization: its first dashboard panel's grid cells (48 columns
 * over a ~1,200 px wide dashboard, rows of 20 px), less the panel's title and padding. */
export function panelSizes(bundlePath = BUNDLE) {
  const sizes = new Map();
  for (const d of objectsOf(readFileSync(bundlePath, "utf8")).filter((o) => o.type === "dashboard")) {
    const refs = new Map(d.references.map((r) => [r.name, r.id]));
    for (const p of JSON.parse(d.attributes.panelsJSON)) {
      const id = refs.get(p.panelRefName);
      if (!sizes.has(id)) sizes.set(id, { width: Math.round((p.gridData.w / 48) * 1200) - 40, height: p.gridData.h * 20 - 60 });
    }
  }
  return sizes;
}
const SIZES = panelSizes();

/** The Vega visualizations of the bundle (or of an adapted bundle's text): [{id, title, spec}]. */
export function vegaCharts(bundlePath = BUNDLE, text = readFileSync(bundlePath, "utf8")) {
  return objectsOf(text)
    .filter((o) => o.type === "visualization")
    .map((o) => ({ id: o.id, title: o.attributes.title, vis: JSON.parse(o.attributes.visState) }))
    .filter((v) => v.vis.type === "vega")
    .map((v) => ({ id: v.id, title: v.title, spec: JSON.parse(v.vis.params.spec) }));
}

/** Data marks (role "mark") and their items in a rendered view's scenegraph. */
function countMarks(node, acc = { marks: 0, items: 0 }) {
  if (!node) return acc;
  if (node.marktype && node.role === "mark" && node.items?.length) {
    acc.marks += 1;
    acc.items += node.items.length;
  }
  for (const child of node.items ?? []) countMarks(child, acc);
  return acc;
}

/** Runs one chart: its query against `url`, then render; returns {hits, marks, items, png}. */
export async function renderChart(url, chart, time, filters = []) {
  const spec = structuredClone(chart.spec);
  const { index, body } = kibanaQuery(spec.data.url, time, filters);
  const response = await es(url, "POST", `/${index}/_search`, body);
  const values = pickProperty(response, spec.data.format?.property) ?? [];
  spec.data = { values };
  // Kibana sizes a chart to its panel; outside Kibana give it its panel's size.
  const size = SIZES.get(chart.id) ?? { width: 640, height: 260 };
  spec.width ??= size.width;
  spec.height ??= size.height;
  const isLite = /vega-lite/.test(spec.$schema);
  const view = await draw(isLite ? vegaLite.compile(structuredClone(spec)).spec : spec);
  const { marks, items } = countMarks(view.scenegraph().root);
  const svg = await view.toSVG();
  view.finalize();
  let itemsLite4 = null;
  if (isLite) {
    const v4 = await draw(vegaLite4.compile(structuredClone(spec)).spec);
    itemsLite4 = countMarks(v4.scenegraph().root).items;
    v4.finalize();
  }
  const png = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  return { rows: values.length, values, marks, items, itemsLite4, png, query: { index, body } };
}

async function draw(vegaSpec) {
  const view = new vega.View(vega.parse(vegaSpec), { renderer: "none" });
  await view.runAsync();
  return view;
}

/** The drill-down chart as a user sees it with a filter on the busiest cluster: its lines
 * over time, which must add up to that cluster's count in the cluster index. */
async function renderDrilldown(url, time) {
  const chart = vegaCharts().find((c) => c.id === "logsift-drilldown-volume");
  const top = (await es(url, "POST", "/logsift-clusters/_search", { size: 1, sort: [{ count: { order: "desc" } }] })).hits.hits[0]._source;
  const r = await renderChart(url, chart, time, [{ term: { "logsift.cluster_id": top.cluster_id } }]);
  const file = path.join(OUT, `${chart.id}--filtered.png`);
  writeFileSync(file, r.png);
  const lines = r.values.reduce((n, b) => n + b.doc_count, 0);
  console.log(`${chart.id} filtered on logsift.cluster_id=${top.cluster_id}: ${lines} lines (cluster index count ${top.count}) -> ${path.relative(ROOT, file)}`);
  return { cluster_id: top.cluster_id, template: top.template, cluster_count: top.count, lines_drawn: lines, data_items: r.items, png: path.relative(ROOT, file) };
}

/** The time range covered by the loaded logs (the "time picker" for the charts). */
async function dataRange(url, index = "logs-*") {
  const r = await es(url, "POST", `/${index}/_search`, { size: 1, sort: [{ "@timestamp": "asc" }] });
  const last = await es(url, "POST", `/${index}/_search`, { size: 1, sort: [{ "@timestamp": "desc" }] });
  const from = Date.parse(r.hits.hits[0]._source["@timestamp"]);
  const to = Date.parse(last.hits.hits[0]._source["@timestamp"]);
  return { from: from - 36e5, to: to + 36e5 };
}

/** Names and tags the busiest cluster as a user would (`logsift annotate`). */
const ANNOTATION = { name: "dashboard check", tags: ["known", "render"] };
async function annotateBusiest(url) {
  const top = (await es(url, "POST", `/${CLUSTER_INDEX}/_search`, { size: 1, sort: [{ count: { order: "desc" } }] })).hits.hits[0]._source;
  logsift(url, ROOT, ["annotate", top.cluster_id, "--name", ANNOTATION.name, ...ANNOTATION.tags.flatMap((t) => ["--tag", t]), "--note", "set by render.mjs"]);
  // What the "annotated templates" saved search asks (annotation.name:* or annotation.tags:* or annotation.note:*).
  const q = { bool: { should: ["name", "tags", "note"].map((f) => ({ exists: { field: `annotation.${f}` } })), minimum_should_match: 1 } };
  await es(url, "POST", `/${CLUSTER_INDEX}/_refresh`);
  const hits = (await es(url, "POST", `/${CLUSTER_INDEX}/_search`, { query: q, size: 10 })).hits.hits.map((h) => h._source);
  return { cluster_id: top.cluster_id, ...ANNOTATION, annotated: hits.map((h) => ({ cluster_id: h.cluster_id, name: h.annotation?.name, tags: h.annotation?.tags })) };
}

async function renderTo(url, chart, time, suffix, extra) {
  const r = await renderChart(url, chart, time);
  const file = path.join(OUT, `${chart.id}${suffix}.png`);
  writeFileSync(file, r.png);
  console.log(`${chart.id}${suffix}: ${r.rows} rows, ${r.items} data mark items -> ${path.relative(ROOT, file)}`);
  return { r, entry: { id: chart.id, title: chart.title, ...extra, rows: r.rows, data_marks: r.marks, data_items: r.items, data_items_vega_lite_4: r.itemsLite4, png: path.relative(ROOT, file), png_bytes: r.png.length } };
}

/** One audit preset: set up, load, label, then draw every Vega chart of the Audit events
 * dashboard from the bundle adapted to the preset's index. */
async function renderAudit(url, s, audit) {
  const { docs, setup, mapping } = await loadAuditSource(url, ROOT, s);
  const counts = await labelCounts(url, s.index);
  console.log(`audit ${s.preset} (${s.index}): ${docs.length} events; logsift labelled ${counts.labelled}, scored ${counts.scored}`);
  const adapted = logsift(null, ROOT, ["kibana", "bundle", "--bundle", BUNDLE, "--source-pattern", s.index, "--cluster-index", CLUSTER_INDEX]).stdout;
  const charts = vegaCharts(BUNDLE, adapted).filter((c) => audit.has(c.id));
  const time = await dataRange(url, s.index);
  const maxScore = (await es(url, "POST", `/${s.index}/_search`, { size: 0, aggs: { m: { max: { field: "logsift.audit.score" } } } })).aggregations.m.value;
  const out = [];
  for (const chart of charts) {
    const { r, entry } = await renderTo(url, chart, time, `--${s.preset}`, { preset: s.preset, index: chart.spec.data.url.index });
    if (chart.id === "logsift-audit-rare-combinations") {
      // The table's first row is the source's highest score, and each row names its document.
      entry.first_score = r.values[0]?._source?.logsift?.audit?.score ?? null;
      entry.max_score = maxScore;
      entry.rows_with_document = r.values.filter((v) => v._index === s.index && docs.some((d) => d[s.idField] === v._id)).length;
    }
    out.push(entry);
  }
  return {
    preset: s.preset, index: s.index, events: docs.length, ...counts,
    setup_mapped_fields: /keyword mappings for the source's fields .*: yes/.test(setup),
    raw_field: s.rawField, raw_field_type: mapping[s.rawField]?.type ?? null, charts: out,
  };
}

export async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await startOsmem(ROOT);
  const report = [];
  const audits = [];
  let labelling;
  let drilldown;
  let annotation;
  try {
    const docs = await loadSamples(server.url, ROOT);
    process.stdout.write(runLogsift(server.url, ROOT));
    const counts = await labelCounts(server.url);
    console.log(`loaded ${docs.length} log lines; logsift labelled ${counts.labelled} of ${counts.docs}, ${counts.clusters} clusters`);
    if (counts.labelled === 0 || counts.clusters === 0) throw new Error("logsift labelled nothing");
    labelling = counts;
    annotation = await annotateBusiest(server.url);
    const time = await dataRange(server.url);
    const audit = auditPanelIds();
    for (const chart of vegaCharts().filter((c) => !audit.has(c.id))) {
      const { r, entry } = await renderTo(server.url, chart, time, "", { preset: null, index: chart.spec.data.url.index });
      if (chart.id === "logsift-new-in-range") {
        const hit = r.values.find((v) => v._source.cluster_id === annotation.cluster_id);
        entry.annotation_shown = hit?._source?.annotation ?? null;
      }
      report.push(entry);
    }
    drilldown = await renderDrilldown(server.url, time);
    for (const s of AUDIT_SOURCES) {
      const a = await renderAudit(server.url, s, audit);
      report.push(...a.charts);
      audits.push({ ...a, charts: a.charts.map((c) => c.id) });
    }
  } finally {
    await server.stop();
  }
  writeFileSync(path.join(OUT, "report.json"), JSON.stringify({ labelling, drilldown, annotation, audits, charts: report }, null, 2) + "\n");
  const empty = report.filter((r) => r.rows === 0 || r.data_items === 0 || r.data_items_vega_lite_4 === 0);
  if (empty.length) {
    console.error(`charts with no data marks: ${empty.map((r) => `${r.id}${r.preset ? ` (${r.preset})` : ""}`).join(", ")}`);
    process.exitCode = 1;
  }
  return { labelling, drilldown, annotation, audits, charts: report };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
