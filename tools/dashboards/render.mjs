// `make dashboards`: renders every Vega chart of kibana/logsift.ndjson to PNG against real data.
//
// Starts an osmem-server, loads the sample logs, labels them with `logsift run --once`, then for every Vega visualization
// substitutes Kibana's placeholders, runs the chart's query on the server, renders the spec with
// vega/vega-lite to SVG and @resvg/resvg-js to PNG under target/dashboards/, and counts the data
// marks drawn. Writes target/dashboards/report.json; exits 1 if any chart drew no data mark.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
// Kibana 7.10 and OpenSearch Dashboards ship Vega-Lite 4, Kibana 8 Vega-Lite 5: draw with both.
import * as vegaLite4 from "vega-lite-4";
import { Resvg } from "@resvg/resvg-js";
import { startOsmem, es } from "./osmem.mjs";
import { loadSamples, runLogsift, labelCounts } from "./load.mjs";
import { kibanaQuery, pickProperty } from "./kibana_vega.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(ROOT, "target", "dashboards");

/** The Vega visualizations of the bundle: [{id, title, spec}]. */
export function vegaCharts(bundlePath = path.join(ROOT, "kibana", "logsift.ndjson")) {
  return readFileSync(bundlePath, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
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
  // Kibana sizes a chart to its panel; outside Kibana give it a panel-like size.
  spec.width ??= 640;
  spec.height ??= 260;
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
async function dataRange(url) {
  const r = await es(url, "POST", "/logs-*/_search", { size: 1, sort: [{ "@timestamp": "asc" }] });
  const last = await es(url, "POST", "/logs-*/_search", { size: 1, sort: [{ "@timestamp": "desc" }] });
  const from = Date.parse(r.hits.hits[0]._source["@timestamp"]);
  const to = Date.parse(last.hits.hits[0]._source["@timestamp"]);
  return { from: from - 36e5, to: to + 36e5 };
}

export async function main() {
  mkdirSync(OUT, { recursive: true });
  const server = await startOsmem(ROOT);
  const report = [];
  let labelling;
  let drilldown;
  try {
    const docs = await loadSamples(server.url, ROOT);
    process.stdout.write(runLogsift(server.url, ROOT));
    const counts = await labelCounts(server.url);
    console.log(`loaded ${docs.length} log lines; logsift labelled ${counts.labelled} of ${counts.docs}, ${counts.clusters} clusters`);
    if (counts.labelled === 0 || counts.clusters === 0) throw new Error("logsift labelled nothing");
    labelling = counts;
    const time = await dataRange(server.url);
    for (const chart of vegaCharts()) {
      const r = await renderChart(server.url, chart, time);
      const file = path.join(OUT, `${chart.id}.png`);
      writeFileSync(file, r.png);
      report.push({ id: chart.id, title: chart.title, rows: r.rows, data_marks: r.marks, data_items: r.items, data_items_vega_lite_4: r.itemsLite4, png: path.relative(ROOT, file), png_bytes: r.png.length });
      console.log(`${chart.id}: ${r.rows} rows, ${r.items} data mark items -> ${path.relative(ROOT, file)}`);
    }
    drilldown = await renderDrilldown(server.url, time);
  } finally {
    await server.stop();
  }
  writeFileSync(path.join(OUT, "report.json"), JSON.stringify({ labelling, drilldown, charts: report }, null, 2) + "\n");
  const empty = report.filter((r) => r.data_items === 0 || r.data_items_vega_lite_4 === 0);
  if (empty.length) {
    console.error(`charts with no data marks: ${empty.map((r) => r.id).join(", ")}`);
    process.exitCode = 1;
  }
  return { labelling, drilldown, charts: report };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
