// Builds kibana/logsift.ndjson, logsift's one saved-objects bundle for Kibana 7.10+/8.x and
// OpenSearch Dashboards 1.x/2.x. Run `node tools/dashboards/build_bundle.mjs` after editing;
// the output is committed and checked by tests/kibana_bundle.rs (structure) and
// tools/dashboards/render.mjs (every Vega chart drawn against real data).
//
// Only object types both products import: index-pattern, search, aggregation-based
// visualizations, TSVB ("metrics") and Vega. Version stamps stay at what OpenSearch Dashboards
// knows: index-pattern 7.6.0, search 7.9.3, visualization 7.10.0, dashboard 7.9.3.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LOGS = "logsift-logs"; // index-pattern ids; titles are adapted at install time
const CLUSTERS = "logsift-clusters";
const LOGS_TITLE = "logs-*";
const CLUSTERS_TITLE = "logsift-clusters";
const VL = "https://vega.github.io/schema/vega-lite/v4.json";
const objects = [];

const indexPattern = (id, title, timeFieldName) =>
  objects.push({
    type: "index-pattern", id,
    attributes: { title, timeFieldName, fields: "[]" },
    references: [], migrationVersion: { "index-pattern": "7.6.0" },
  });

const searchSource = (query, withIndex) => {
  const s = { query: { query, language: "kuery" }, filter: [] };
  if (withIndex) s.indexRefName = "kibanaSavedObjectMeta.searchSourceJSON.index";
  return JSON.stringify(s);
};
const indexRef = (id) => [{ name: "kibanaSavedObjectMeta.searchSourceJSON.index", type: "index-pattern", id }];

function search(id, title, description, columns, query) {
  objects.push({
    type: "search", id,
    attributes: {
      title, description, hits: 0, columns, sort: [["@timestamp", "desc"]], version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(query, true) },
    },
    references: indexRef(LOGS), migrationVersion: { search: "7.9.3" },
  });
}

// An aggregation-based visualization bound to an index pattern.
function aggVis(id, title, description, type, aggs, params, index, query = "") {
  objects.push({
    type: "visualization", id,
    attributes: {
      title, description, version: 1, uiStateJSON: "{}",
      visState: JSON.stringify({ title, type, aggs, params }),
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(query, true) },
    },
    references: indexRef(index), migrationVersion: { visualization: "7.10.0" },
  });
}

// A Vega(-Lite) visualization: the spec names its index in data.url.index.
function vega(id, title, description, spec) {
  objects.push({
    type: "visualization", id,
    attributes: {
      title, description, version: 1, uiStateJSON: "{}",
      visState: JSON.stringify({ title, type: "vega", aggs: [], params: { spec: JSON.stringify(spec, null, 2) } }),
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
    },
    references: [], migrationVersion: { visualization: "7.10.0" },
  });
}

// A TSVB time series; TSVB names its index pattern as a string in params.index_pattern.
function tsvb(id, title, description, series, indexPattern, timeField) {
  const params = {
    id: `${id}-panel`, type: "timeseries", series, time_field: timeField, index_pattern: indexPattern,
    interval: "", axis_position: "left", axis_formatter: "number", axis_scale: "normal",
    show_legend: 1, show_grid: 1, tooltip_mode: "show_all", default_index_pattern: indexPattern,
    default_timefield: timeField, isModelInvalid: false, annotations: [],
  };
  objects.push({
    type: "visualization", id,
    attributes: {
      title, description, version: 1, uiStateJSON: "{}",
      visState: JSON.stringify({ title, type: "metrics", aggs: [], params }),
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
    },
    references: [], migrationVersion: { visualization: "7.10.0" },
  });
}

function dashboard(id, title, description, panels) {
  const panelsJSON = panels.map((p, i) => ({
    version: "7.9.3", gridData: { x: p.x, y: p.y, w: p.w, h: p.h, i: String(i + 1) },
    panelIndex: String(i + 1), embeddableConfig: {}, panelRefName: `panel_${i}`,
  }));
  objects.push({
    type: "dashboard", id,
    attributes: {
      title, description, hits: 0, version: 1, timeRestore: false,
      panelsJSON: JSON.stringify(panelsJSON),
      optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", false) },
    },
    references: panels.map((p, i) => ({ name: `panel_${i}`, type: p.type ?? "visualization", id: p.id })),
    migrationVersion: { dashboard: "7.9.3" },
  });
}

const metricParams = (label) => ({
  addTooltip: true, addLegend: false, type: "metric",
  metric: {
    percentageMode: false, useRanges: false, colorSchema: "Green to Red", metricColorMode: "None",
    colorsRange: [{ from: 0, to: 10000 }], labels: { show: true }, invertColors: false,
    style: { bgFill: "#000", bgColor: false, labelColor: false, subText: label, fontSize: 48 },
  },
});
const count = (label) => ({ id: "1", enabled: true, type: "count", schema: "metric", params: { customLabel: label } });
const terms = (id, field, size, label, schema = "bucket", orderBy = "1", order = "desc") => ({
  id, enabled: true, type: "terms", schema,
  params: { field, orderBy, order, size, otherBucket: false, otherBucketLabel: "Other", missingBucket: false, missingBucketLabel: "Missing", customLabel: label },
});
const tableParams = { perPage: 20, showPartialRows: false, showMetricsAtAllLevels: false, sort: { columnIndex: null, direction: null }, showTotal: false, totalFunc: "sum", percentageCol: "" };

// Kibana fills these in: %context% (dashboard query + filters), %timefield% (time picker),
// and %autointerval% (a bucket size for the picked range; Kibana 8 turns `interval` into
// fixed_interval/calendar_interval, Kibana 7.10 and OpenSearch Dashboards send `interval`).
const esData = (index, timefield, body, property) => ({
  url: { index, "%context%": true, "%timefield%": timefield, body },
  format: { property },
});
const autoHistogram = (field) => ({ date_histogram: { field, interval: { "%autointerval%": true }, min_doc_count: 1 } });

// ---------------------------------------------------------------- index patterns, searches
indexPattern(LOGS, LOGS_TITLE, "@timestamp");
indexPattern(CLUSTERS, CLUSTERS_TITLE, "last_seen");

search("logsift-labelled-logs", "logsift: labelled log lines",
  "Log documents with their logsift template and cluster id; filter on logsift.cluster_id or logsift.template to drill into one template.",
  ["logsift.template", "logsift.cluster_id", "message"], "logsift.cluster_id:*");
search("logsift-audit-events", "logsift: audit events",
  "Structured audit events: who (user, source_ip) did what (trace_name) to which resource, with the outcome and the logsift template.",
  ["user", "trace_name", "resource_type", "trace_rating", "logsift.template"], "trace_name:*");

// ---------------------------------------------------------------- overview
aggVis("logsift-templates-known", "logsift: templates known", "Templates in the cluster index seen in the time range (by last_seen).",
  "metric", [count("Templates known")], metricParams(""), CLUSTERS);
aggVis("logsift-documents-labelled", "logsift: documents labelled", "Log documents that carry a logsift.cluster_id.",
  "metric", [count("Documents labelled")], metricParams(""), LOGS, "logsift.cluster_id:*");
aggVis("logsift-outlier-documents", "logsift: outlier documents", "Log documents the batch miners left in no cluster (logsift.outlier: true).",
  "metric", [count("Outlier documents")], metricParams(""), LOGS, "logsift.outlier:true");
// Top and rare templates count the log documents (terms on logsift.template), so the time
// picker and the dashboard's filters apply; the cluster index keeps the all-time figures.
aggVis("logsift-top-templates", "logsift: top templates",
  "Templates by documents in the time range (counted from the log documents), with the first and last document of the range.",
  "table", [
    count("Documents"),
    { id: "3", enabled: true, type: "min", schema: "metric", params: { field: "@timestamp", customLabel: "First seen" } },
    { id: "4", enabled: true, type: "max", schema: "metric", params: { field: "@timestamp", customLabel: "Last seen" } },
    terms("2", "logsift.template", 25, "Template"),
    terms("5", "logsift.cluster_id", 1, "Cluster id"),
  ], tableParams, LOGS, "logsift.cluster_id:*");

vega("logsift-volume-per-template", "logsift: volume over time per top template",
  "Log lines per time bucket for the five most frequent templates.", {
    $schema: VL, title: "Volume over time per top template",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { templates: { terms: { field: "logsift.template", size: 5 }, aggs: { time: autoHistogram("@timestamp") } } },
    }, "aggregations.templates.buckets"),
    transform: [
      { flatten: ["time.buckets"], as: ["bucket"] },
      { calculate: "datum.bucket.key", as: "time" },
      { calculate: "datum.bucket.doc_count", as: "lines" },
    ],
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "time", type: "temporal", title: null },
      y: { field: "lines", type: "quantitative", title: "log lines" },
      color: { field: "key", type: "nominal", title: "template", legend: { orient: "bottom", columns: 1, labelLimit: 520 } },
      tooltip: [{ field: "key", title: "template" }, { field: "time", type: "temporal" }, { field: "lines" }],
    },
  });

vega("logsift-new-templates", "logsift: new templates over time",
  "Templates by the time logsift first saw them (first_seen in the cluster index).", {
    $schema: VL, title: "New templates over time",
    data: esData(CLUSTERS_TITLE, "first_seen", { size: 0, aggs: { born: autoHistogram("first_seen") } }, "aggregations.born.buckets"),
    mark: "bar",
    encoding: {
      x: { field: "key", type: "temporal", title: "first seen" },
      y: { field: "doc_count", type: "quantitative", title: "new templates" },
      tooltip: [{ field: "key", type: "temporal", title: "first seen" }, { field: "doc_count", title: "new templates" }],
    },
  });

vega("logsift-rare-templates", "logsift: rare templates",
  "The templates with the fewest documents in the time range (counted from the log documents): often the interesting ones.", {
    $schema: VL, title: "Rare templates",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { templates: { terms: { field: "logsift.template", size: 15, shard_size: 1000, order: { _count: "asc" } },
        aggs: { cluster: { terms: { field: "logsift.cluster_id", size: 1 } } } } },
    }, "aggregations.templates.buckets"),
    transform: [
      { calculate: "datum.doc_count", as: "count" },
      { calculate: "datum.key", as: "template" },
      { calculate: "datum.cluster.buckets[0].key", as: "cluster" },
    ],
    mark: "bar",
    encoding: {
      y: { field: "template", type: "nominal", sort: { field: "count", order: "ascending" }, title: null, axis: { labelLimit: 420 } },
      x: { field: "count", type: "quantitative", title: "documents in the time range" },
      tooltip: [{ field: "cluster", title: "cluster id" }, { field: "template" }, { field: "count", title: "documents" }],
    },
  });

vega("logsift-new-in-range", "logsift: new templates in the time range",
  "Templates first seen in the time range, never before it (first_seen in the cluster index), by documents since.", {
    $schema: VL, title: "New in this time range (not seen before it)",
    data: esData(CLUSTERS_TITLE, "first_seen", {
      size: 20, sort: [{ count: { order: "desc" } }], _source: ["template", "cluster_id", "count", "first_seen"],
    }, "hits.hits"),
    transform: [
      { calculate: "datum._source.count", as: "count" },
      { calculate: "datum._source.cluster_id", as: "cluster" },
      { calculate: "datum._source.template", as: "template" },
      { calculate: "datum._source.first_seen", as: "first_seen" },
    ],
    mark: "bar",
    encoding: {
      y: { field: "template", type: "nominal", sort: { field: "count", order: "descending" }, title: null, axis: { labelLimit: 420 } },
      x: { field: "count", type: "quantitative", title: "documents since first seen" },
      tooltip: [{ field: "cluster", title: "cluster id" }, { field: "template" }, { field: "first_seen", type: "temporal", title: "first seen" }, { field: "count", title: "documents" }],
    },
  });

tsvb("logsift-outliers-over-time", "logsift: labelled and outlier lines over time",
  "TSVB: documents labelled by logsift versus documents marked as outliers.", [
    { id: "labelled", color: "#54B399", split_mode: "filter", filter: { query: "logsift.cluster_id:*", language: "kuery" },
      label: "labelled", metrics: [{ id: "labelled-count", type: "count" }], chart_type: "line", line_width: 1, fill: 0.3,
      point_size: 1, stacked: "none", axis_position: "right", formatter: "number", separate_axis: 0, split_color_mode: "kibana" },
    { id: "outliers", color: "#E7664C", split_mode: "filter", filter: { query: "logsift.outlier:true", language: "kuery" },
      label: "outliers", metrics: [{ id: "outliers-count", type: "count" }], chart_type: "bar", line_width: 1, fill: 0.5,
      point_size: 1, stacked: "none", axis_position: "right", formatter: "number", separate_axis: 0, split_color_mode: "kibana" },
  ], LOGS_TITLE, "@timestamp");

// ---------------------------------------------------------------- drill-down
aggVis("logsift-templates-in-view", "logsift: templates in view", "Templates of the log lines matching the dashboard's query and filters; click one to filter.",
  "table", [count("Lines"), terms("2", "logsift.template", 50, "Template"), terms("3", "logsift.cluster_id", 1, "Cluster id")], tableParams, LOGS);
vega("logsift-drilldown-volume", "logsift: lines over time in view",
  "Log lines matching the dashboard's query and filters (e.g. one logsift.cluster_id) over time.", {
    $schema: VL, title: "Lines over time",
    data: esData(LOGS_TITLE, "@timestamp", { size: 0, aggs: { time: autoHistogram("@timestamp") } }, "aggregations.time.buckets"),
    mark: "area",
    encoding: {
      x: { field: "key", type: "temporal", title: null },
      y: { field: "doc_count", type: "quantitative", title: "log lines" },
      tooltip: [{ field: "key", type: "temporal", title: "time" }, { field: "doc_count", title: "lines" }],
    },
  });

// ---------------------------------------------------------------- audit
vega("logsift-audit-rare-operations", "logsift: rare audit operations",
  "The least frequent audit operations (trace_name) with who ran them.", {
    $schema: VL, title: "Rare operations",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { ops: { terms: { field: "trace_name", size: 12, order: { _count: "asc" } }, aggs: { users: { terms: { field: "user", size: 10 } } } } },
    }, "aggregations.ops.buckets"),
    transform: [
      { flatten: ["users.buckets"], as: ["u"] },
      { calculate: "datum.u.key", as: "user" },
      { calculate: "datum.u.doc_count", as: "events" },
    ],
    mark: "bar",
    encoding: {
      y: { field: "key", type: "nominal", title: "operation", sort: { field: "doc_count", order: "ascending" } },
      x: { field: "events", type: "quantitative", title: "events", stack: "zero" },
      color: { field: "user", type: "nominal" },
      tooltip: [{ field: "key", title: "operation" }, { field: "user" }, { field: "events" }],
    },
  });
vega("logsift-audit-bad-outcomes", "logsift: templates with warning/incident outcomes over time",
  "Audit events rated warning or incident, by logsift template, over time.", {
    $schema: VL, title: "Templates with warning/incident outcomes",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { rating: { terms: { field: "trace_rating", size: 5 }, aggs: {
        templates: { terms: { field: "logsift.template", size: 8 }, aggs: { time: autoHistogram("@timestamp") } } } } },
    }, "aggregations.rating.buckets"),
    transform: [
      { filter: "datum.key != 'normal'" },
      { calculate: "datum.key", as: "rating" },
      { flatten: ["templates.buckets"], as: ["tpl"] },
      { flatten: ["tpl.time.buckets"], as: ["bucket"] },
      { calculate: "datum.bucket.key", as: "time" },
      { calculate: "datum.bucket.doc_count", as: "events" },
      { calculate: "datum.tpl.key", as: "template" },
    ],
    mark: "bar",
    encoding: {
      x: { field: "time", type: "temporal", title: null },
      y: { field: "events", type: "quantitative", title: "events", stack: "zero" },
      color: { field: "template", type: "nominal", legend: { orient: "bottom", columns: 1, labelLimit: 520 } },
      tooltip: [{ field: "rating" }, { field: "template" }, { field: "time", type: "temporal" }, { field: "events" }],
    },
  });
aggVis("logsift-audit-who-what", "logsift: who did what to which resource", "Audit events by user, operation and resource type.",
  "table", [count("Events"), terms("2", "user", 10, "User"), terms("3", "trace_name", 20, "Operation"), terms("4", "resource_type", 5, "Resource type")],
  tableParams, LOGS, "trace_name:*");
aggVis("logsift-audit-outcomes", "logsift: audit outcomes", "Audit events by trace_rating (normal, warning, incident).",
  "pie", [count("Events"), terms("2", "trace_rating", 5, "Outcome", "segment")],
  { type: "pie", addTooltip: true, addLegend: true, legendPosition: "right", isDonut: true, labels: { show: true, values: true, last_level: true, truncate: 100 } },
  LOGS, "trace_name:*");

// ---------------------------------------------------------------- dashboards
dashboard("logsift-overview", "Log clusters overview", "logsift: what templates exist, how busy they are, what is new and what is rare.", [
  { id: "logsift-templates-known", x: 0, y: 0, w: 12, h: 8 },
  { id: "logsift-documents-labelled", x: 12, y: 0, w: 12, h: 8 },
  { id: "logsift-outlier-documents", x: 24, y: 0, w: 12, h: 8 },
  { id: "logsift-new-templates", x: 36, y: 0, w: 12, h: 8 },
  { id: "logsift-volume-per-template", x: 0, y: 8, w: 48, h: 16 },
  { id: "logsift-top-templates", x: 0, y: 24, w: 28, h: 18 },
  { id: "logsift-rare-templates", x: 28, y: 24, w: 20, h: 18 },
  { id: "logsift-new-in-range", x: 0, y: 42, w: 48, h: 14 },
  { id: "logsift-outliers-over-time", x: 0, y: 56, w: 48, h: 12 },
]);
dashboard("logsift-drilldown", "Cluster drill-down",
  "Filter on logsift.cluster_id or logsift.template (or click a row of the table) to see the lines of one template.", [
  { id: "logsift-templates-in-view", x: 0, y: 0, w: 24, h: 14 },
  { id: "logsift-drilldown-volume", x: 24, y: 0, w: 24, h: 14 },
  { id: "logsift-labelled-logs", type: "search", x: 0, y: 14, w: 48, h: 24 },
]);
dashboard("logsift-audit", "Audit events", "Structured audit sources: who did what to which resource, rare operations, and templates with bad outcomes.", [
  { id: "logsift-audit-rare-operations", x: 0, y: 0, w: 24, h: 15 },
  { id: "logsift-audit-outcomes", x: 24, y: 0, w: 24, h: 15 },
  { id: "logsift-audit-bad-outcomes", x: 0, y: 15, w: 48, h: 16 },
  { id: "logsift-audit-who-what", x: 0, y: 31, w: 24, h: 18 },
  { id: "logsift-audit-events", type: "search", x: 24, y: 31, w: 24, h: 18 },
]);

const lines = objects.map((o) => JSON.stringify(o));
lines.push(JSON.stringify({ exportedCount: objects.length, missingRefCount: 0, missingReferences: [] }));
writeFileSync(path.join(ROOT, "kibana", "logsift.ndjson"), lines.join("\n") + "\n");
console.log(`kibana/logsift.ndjson: ${objects.length} objects`);
