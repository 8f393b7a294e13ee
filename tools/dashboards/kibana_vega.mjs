// What Kibana's Vega plugin does to a spec before it runs the query, done here so the charts
// can be rendered outside Kibana: substitute %context%, %timefield%, %timefilter% and
// %autointerval%, then hand the search response to Vega as inline values.
//
// Semantics follow Kibana's es_query_parser: `%context%: true` wraps the dashboard context
// (here: match_all) and, with `%timefield%`, a range on that field into body.query; a
// `{"%timefilter%": true}` object becomes {gte, lte, format}; `{"%autointerval%": true}` becomes
// an interval string, and (as Kibana 8 does) a date_histogram `interval` is sent as
// `fixed_interval`. Any other %placeholder% is an error: a chart must not silently skip one.

const NICE = [1e3, 5e3, 1e4, 3e4, 6e4, 3e5, 6e5, 18e5, 36e5, 3 * 36e5, 12 * 36e5, 864e5, 7 * 864e5];
const unit = (ms) => (ms % 864e5 === 0 ? `${ms / 864e5}d` : ms % 36e5 === 0 ? `${ms / 36e5}h` : ms % 6e4 === 0 ? `${ms / 6e4}m` : `${ms / 1e3}s`);

/** An interval giving about `buckets` buckets over [from, to] (ms), like Kibana's auto interval. */
export function autoInterval(from, to, buckets = 50) {
  const raw = Math.max(1, (to - from) / buckets);
  return unit(NICE.find((n) => n >= raw) ?? NICE[NICE.length - 1]);
}

const rangeOf = (time) => ({ gte: new Date(time.from).toISOString(), lte: new Date(time.to).toISOString(), format: "strict_date_optional_time" });

function substitute(node, time, parentKey) {
  if (Array.isArray(node)) return node.map((n) => substitute(n, time));
  if (node === null || typeof node !== "object") {
    if (typeof node === "string" && /^%[\w-]+%$/.test(node)) throw new Error(`unsupported placeholder ${node}`);
    return node;
  }
  if (node["%timefilter%"] === true) return rangeOf(time);
  if ("%autointerval%" in node) {
    const v = node["%autointerval%"];
    return autoInterval(time.from, time.to, v === true ? 50 : Number(v));
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (/^%.*%$/.test(k)) throw new Error(`unsupported placeholder key ${k}`);
    let key = k;
    if (parentKey === "date_histogram" && k === "interval") key = "fixed_interval";
    out[key] = substitute(v, time, k);
  }
  return out;
}

/** Turns a Kibana `data.url` object into {index, body} ready to POST to `/{index}/_search`;
 * `filters` (query DSL clauses) stand for the dashboard's filters that `%context%` injects. */
export function kibanaQuery(url, time, filters = []) {
  const { index, body = {}, ...rest } = url;
  const context = rest["%context%"] === true;
  const timefield = rest["%timefield%"];
  for (const k of Object.keys(rest)) {
    if (k !== "%context%" && k !== "%timefield%") throw new Error(`unsupported data.url key ${k}`);
  }
  const out = substitute(body, time);
  if (context) {
    if (out.query) throw new Error("data.url.body.query is not allowed together with %context%");
    const must = [{ match_all: {} }, ...filters];
    if (timefield) must.push({ range: { [timefield]: rangeOf(time) } });
    out.query = { bool: { must } };
  }
  return { index, body: out };
}

/** Picks `format.property` (a dotted path) out of a search response, as Vega's loader would. */
export function pickProperty(response, property) {
  if (!property) return response;
  return property.split(".").reduce((o, k) => (o == null ? undefined : o[k]), response);
}
