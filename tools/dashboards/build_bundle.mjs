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

function search(id, title, description, columns, query, index = LOGS, sort = [["@timestamp", "desc"]]) {
  objects.push({
    type: "search", id,
    attributes: {
      title, description, hits: 0, columns, sort, version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(query, true) },
    },
    references: indexRef(index), migrationVersion: { search: "7.9.3" },
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
  "Structured audit events of any layout: who (logsift.audit.user) from where (address) did what (logsift.audit.what) to which objects, with the outcome and the rarity score.",
  ["logsift.audit.user", "logsift.audit.address", "logsift.audit.what", "logsift.audit.objects", "logsift.audit.outcome", "logsift.audit.score", "logsift.audit.reasons"],
  "logsift.audit.score:*");
// Annotations (`logsift annotate`, PUT /v1/clusters/{id}/annotation) live in the cluster documents.
search("logsift-annotated-templates", "logsift: annotated templates",
  "Templates a user named, tagged or noted (logsift annotate), with their all-time document count.",
  ["annotation.name", "annotation.tags", "annotation.note", "template", "cluster_id", "count"],
  "annotation.name:* or annotation.tags:* or annotation.note:*", CLUSTERS, [["count", "desc"]]);

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
      size: 20, sort: [{ count: { order: "desc" } }], _source: ["template", "cluster_id", "count", "first_seen", "annotation.name", "annotation.tags"],
    }, "hits.hits"),
    transform: [
      { calculate: "datum._source.count", as: "count" },
      { calculate: "datum._source.cluster_id", as: "cluster" },
      { calculate: "datum._source.template", as: "template" },
      { calculate: "datum._source.first_seen", as: "first_seen" },
      { calculate: "datum._source.annotation ? datum._source.annotation.name : null", as: "name" },
      { calculate: "datum._source.annotation && datum._source.annotation.tags ? join(datum._source.annotation.tags, ', ') : null", as: "tags" },
    ],
    mark: "bar",
    encoding: {
      y: { field: "template", type: "nominal", sort: { field: "count", order: "descending" }, title: null, axis: { labelLimit: 420 } },
      x: { field: "count", type: "quantitative", title: "documents since first seen" },
      tooltip: [{ field: "cluster", title: "cluster id" }, { field: "template" }, { field: "name" }, { field: "tags" }, { field: "first_seen", type: "temporal", title: "first seen" }, { field: "count", title: "documents" }],
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
// Every audit panel reads only `logsift.audit.*` (and `logsift.template`, `@timestamp`): the roles
// of an event under fixed names whatever the source's layout (preset cloud-trace, o365-exchange or
// [source.fields]), mapped as keyword by `logsift setup` on every source index. No field name of a
// layout appears here (tests/it/kibana_bundle.rs checks it).
const AUDIT = "logsift.audit";
const auditExists = { exists: { field: `${AUDIT}.score` } };
// The document in Discover. The link is relative to the dashboard's page (/app/dashboards in
// Kibana and OpenSearch Dashboards, under any base path or space): ./discover#/doc/<pattern>/<index>?id=<id>.
const docLink = `'discover#/doc/${LOGS}/' + datum._index + '?id=' + datum._id`;
const src = (f) => `datum._source.logsift && datum._source.logsift.audit ? datum._source.logsift.audit.${f} : null`;
const joined = (f) => `isArray(${src(f)}) ? join(${src(f)}, ', ') : (${src(f)} || '-')`;

// A table of events drawn as text (one row per hit of `top_hits` under a filter aggregation, so
// that %context% still applies); each cell links to the document. Columns sit at fixed shares of
// the panel's width (`share`), their text cut to fit a full-width panel.
const TABLE_CHARS_PER_SHARE = 150; // ~1,100 px of 11 px text per whole width
function auditTable(id, title, description, filter, sort, rows, columns) {
  const fields = ["@timestamp", ...new Set(columns.flatMap((c) => c.fields ?? []))];
  const names = JSON.stringify(columns.map((c) => c.name));
  const starts = JSON.stringify(columns.map((_, i) => columns.slice(0, i).reduce((x, c) => x + c.share, 0)));
  const chars = JSON.stringify(columns.map((c) => Math.floor(c.share * TABLE_CHARS_PER_SHARE)));
  const col = `indexof(${names}, datum.column)`;
  const x = { field: "x", type: "quantitative", scale: { domain: [0, 1], nice: false, zero: true }, axis: null };
  vega(id, title, description, {
    $schema: VL, title,
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { events: { filter, aggs: { top: { top_hits: { size: rows, sort: [sort], _source: fields } } } } },
    }, "aggregations.events.top.hits.hits"),
    transform: [
      { calculate: "datum.sort[0]", as: "key" },
      { window: [{ op: "row_number", as: "row" }], sort: [{ field: "key", order: "descending" }] },
      ...columns.map((c) => ({ calculate: c.expr, as: c.name })),
      { calculate: docLink, as: "link" },
      { fold: columns.map((c) => c.name), as: ["column", "full"] },
      { calculate: `${starts}[${col}]`, as: "x" },
      { calculate: `truncate('' + datum.full, ${chars}[${col}])`, as: "value" },
    ],
    encoding: { y: { field: "row", type: "ordinal", axis: null } },
    layer: [
      { mark: { type: "text", align: "left", baseline: "middle", fontSize: 11, cursor: "pointer" },
        encoding: { x, text: { field: "value", type: "nominal" }, href: { field: "link", type: "nominal" },
          tooltip: [{ field: "column" }, { field: "full", title: "value" }, { field: "link", title: "document" }] } },
      // The header: the column names over the first row.
      { transform: [{ filter: "datum.row == 1" }],
        mark: { type: "text", align: "left", baseline: "bottom", fontSize: 11, fontWeight: "bold", dy: -12 },
        encoding: { x, text: { field: "column", type: "nominal" } } },
    ],
  });
}
const cols = {
  time: { name: "time", share: 0.13, fields: ["@timestamp"], expr: "utcFormat(toDate(datum._source['@timestamp']), '%Y-%m-%d %H:%M')" },
  score: { name: "score", share: 0.05, fields: [`${AUDIT}.score`], expr: `format(${src("score")} || 0, '.2f')` },
  user: { name: "user", share: 0.17, fields: [`${AUDIT}.user`], expr: `${src("user")} || '-'` },
  address: { name: "address", share: 0.12, fields: [`${AUDIT}.address`], expr: `${src("address")} || '-'` },
  what: { name: "operation", share: 0.25, fields: [`${AUDIT}.what`], expr: `${src("what")} || '-'` },
  objects: { name: "objects", share: 0.17, fields: [`${AUDIT}.objects`], expr: joined("objects") },
  outcome: { name: "outcome", share: 0.07, fields: [`${AUDIT}.outcome`], expr: `${src("outcome")} || '-'` },
  reasons: { name: "why", share: 0.17, fields: [`${AUDIT}.reasons`], expr: joined("reasons") },
};

auditTable("logsift-audit-rare-combinations", "logsift: rare combinations",
  "The rarest audit events (highest logsift.audit.score first): who, from where, what, on which objects, the outcome and why; click a row to open the document.",
  auditExists, { [`${AUDIT}.score`]: { order: "desc" } }, 15,
  [cols.score, cols.user, cols.address, { ...cols.what, share: 0.22 }, { ...cols.objects, share: 0.14 }, cols.outcome, { ...cols.reasons, share: 0.23 }]);
auditTable("logsift-audit-sensitive", "logsift: sensitive operations",
  "Audit events whose operation is on the source's sensitive list (logsift.audit.sensitive), newest first; click a row to open the document.",
  { term: { [`${AUDIT}.sensitive`]: true } }, { "@timestamp": { order: "desc" } }, 15,
  [cols.time, cols.user, cols.what, cols.address, cols.objects, cols.outcome]);

vega("logsift-audit-new-pairs", "logsift: new (who, what) pairs over time",
  "Audit events that made a pair never seen before (logsift.audit.new_pairs): a user's first time with an operation (who_what), from an address block (who_where), an operation on an object (what_which), a new mail domain.", {
    $schema: VL, title: "New (who, what) pairs over time",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { new: { filter: { term: { [`${AUDIT}.new_pair`]: true } }, aggs: {
        kind: { terms: { field: `${AUDIT}.new_pairs`, size: 5 }, aggs: { time: autoHistogram("@timestamp") } } } } },
    }, "aggregations.new.kind.buckets"),
    transform: [
      { calculate: "datum.key", as: "pair" },
      { flatten: ["time.buckets"], as: ["bucket"] },
      { calculate: "datum.bucket.key", as: "time" },
      { calculate: "datum.bucket.doc_count", as: "events" },
    ],
    mark: "bar",
    encoding: {
      x: { field: "time", type: "temporal", title: null },
      y: { field: "events", type: "quantitative", title: "events with a new pair", stack: "zero" },
      color: { field: "pair", type: "nominal", title: "new", sort: ["who_what", "who_where", "what_which", "domain"],
        scale: { domain: ["who_what", "who_where", "what_which", "domain"], range: ["#D6604D", "#F4A582", "#92C5DE", "#4393C3"] } },
      tooltip: [{ field: "pair", title: "new pair" }, { field: "time", type: "temporal" }, { field: "events" }],
    },
  });

vega("logsift-audit-rare-operations", "logsift: rare audit operations",
  "The least frequent audit operations (logsift.audit.what) with who ran them.", {
    $schema: VL, title: "Rare operations",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { ops: { terms: { field: `${AUDIT}.what`, size: 12, shard_size: 1000, order: { _count: "asc" } },
        aggs: { users: { terms: { field: `${AUDIT}.user`, size: 10 } } } } },
    }, "aggregations.ops.buckets"),
    transform: [
      { flatten: ["users.buckets"], as: ["u"] },
      { calculate: "datum.u.key", as: "user" },
      { calculate: "datum.u.doc_count", as: "events" },
    ],
    mark: "bar",
    encoding: {
      y: { field: "key", type: "nominal", title: "operation", sort: { field: "doc_count", order: "ascending" }, axis: { labelLimit: 320 } },
      x: { field: "events", type: "quantitative", title: "events", stack: "zero" },
      color: { field: "user", type: "nominal" },
      tooltip: [{ field: "key", title: "operation" }, { field: "user" }, { field: "events" }],
    },
  });
vega("logsift-audit-bad-outcomes", "logsift: audit outcomes over time",
  "Audit events by outcome (logsift.audit.outcome: normal, failure, warning, incident), over time; the operations of each in the tooltip.", {
    $schema: VL, title: "Outcomes over time",
    data: esData(LOGS_TITLE, "@timestamp", {
      size: 0,
      aggs: { outcome: { terms: { field: `${AUDIT}.outcome`, size: 5 }, aggs: { time: autoHistogram("@timestamp") } } },
    }, "aggregations.outcome.buckets"),
    transform: [
      { calculate: "datum.key", as: "outcome" },
      { flatten: ["time.buckets"], as: ["bucket"] },
      { calculate: "datum.bucket.key", as: "time" },
      { calculate: "datum.bucket.doc_count", as: "events" },
    ],
    // Lines on a symlog scale, not stacked bars: a handful of incidents stays visible beside
    // thousands of normal events.
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "time", type: "temporal", title: null },
      y: { field: "events", type: "quantitative", title: "events (symlog)", scale: { type: "symlog" } },
      color: { field: "outcome", type: "nominal", sort: ["normal", "failure", "warning", "incident"],
        scale: { domain: ["normal", "failure", "warning", "incident"], range: ["#B0B0B0", "#F1A340", "#E7B416", "#CC3311"] } },
      tooltip: [{ field: "outcome" }, { field: "time", type: "temporal" }, { field: "events" }],
    },
  });
aggVis("logsift-audit-who-what", "logsift: who did what to which resource", "Audit events by user, operation and objects (logsift.audit.*, any layout).",
  "table", [count("Events"), terms("2", `${AUDIT}.user`, 10, "User"), terms("3", `${AUDIT}.what`, 20, "Operation"), terms("4", `${AUDIT}.objects`, 5, "Objects")],
  tableParams, LOGS, `${AUDIT}.score:*`);
aggVis("logsift-audit-outcomes", "logsift: audit outcomes", "Audit events by logsift.audit.outcome (normal, failure, warning, incident).",
  "pie", [count("Events"), terms("2", `${AUDIT}.outcome`, 5, "Outcome", "segment")],
  { type: "pie", addTooltip: true, addLegend: true, legendPosition: "right", isDonut: true, labels: { show: true, values: true, last_level: true, truncate: 100 } },
  LOGS, `${AUDIT}.score:*`);

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
  { id: "logsift-annotated-templates", type: "search", x: 0, y: 68, w: 48, h: 14 },
]);
dashboard("logsift-drilldown", "Cluster drill-down",
  "Filter on logsift.cluster_id or logsift.template (or click a row of the table) to see the lines of one template.", [
  { id: "logsift-templates-in-view", x: 0, y: 0, w: 24, h: 14 },
  { id: "logsift-drilldown-volume", x: 24, y: 0, w: 24, h: 14 },
  { id: "logsift-labelled-logs", type: "search", x: 0, y: 14, w: 48, h: 24 },
]);
dashboard("logsift-audit", "Audit events",
  "Structured audit sources (any preset or [source.fields]; every panel reads logsift.audit.*): rare combinations, sensitive operations, new (who, what) pairs, outcomes, who did what to which resource.", [
  { id: "logsift-audit-rare-combinations", x: 0, y: 0, w: 48, h: 18 },
  { id: "logsift-audit-new-pairs", x: 0, y: 18, w: 24, h: 14 },
  { id: "logsift-audit-outcomes", x: 24, y: 18, w: 24, h: 14 },
  { id: "logsift-audit-sensitive", x: 0, y: 32, w: 48, h: 18 },
  { id: "logsift-audit-rare-operations", x: 0, y: 50, w: 24, h: 16 },
  { id: "logsift-audit-bad-outcomes", x: 24, y: 50, w: 24, h: 16 },
  { id: "logsift-audit-who-what", x: 0, y: 66, w: 24, h: 18 },
  { id: "logsift-audit-events", type: "search", x: 24, y: 66, w: 24, h: 18 },
]);

const lines = objects.map((o) => JSON.stringify(o));
lines.push(JSON.stringify({ exportedCount: objects.length, missingRefCount: 0, missingReferences: [] }));
writeFileSync(path.join(ROOT, "kibana", "logsift.ndjson"), lines.join("\n") + "\n");
console.log(`kibana/logsift.ndjson: ${objects.length} objects`);
