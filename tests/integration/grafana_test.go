package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// dashboardPath is the Grafana dashboard, relative to this package.
var dashboardPath = filepath.Join("..", "..", "deploy", "grafana", "kiwi.json")

// TestGrafanaDashboard keeps deploy/grafana/kiwi.json honest: it is a
// well-formed dashboard, and every metric and label its PromQL queries
// (panels, collapsed rows, template variables) name is exposed by a real
// kiwi on /metrics after a small workload.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := dashboardQueries(raw)
	if err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if len(queries) < 20 {
		t.Fatalf("%s: only %d queries found; the extraction is broken", dashboardPath, len(queries))
	}
	nested := 0
	for _, q := range queries {
		if q.nested {
			nested++
		}
	}
	if nested == 0 {
		t.Errorf("no query found inside a collapsed row; the dashboard walk misses nested panels")
	}

	// Two servers cover both engines' label values and both runtime modes
	// (single mode still exposes the storage metrics, as zeros).
	for _, tc := range []struct{ engine, mode string }{{"pebble", "dual"}, {"leveldb", "single"}} {
		t.Run(tc.engine+"/"+tc.mode, func(t *testing.T) {
			p := startKiwi(t, "--storage.engine", tc.engine, "--runtime.mode", tc.mode)
			grafanaWorkload(t, p)
			code, body := adminGet(t, p, "/metrics")
			if code != http.StatusOK {
				t.Fatalf("/metrics = %d", code)
			}
			sc, err := parseExposition(body)
			if err != nil {
				t.Fatalf("parsing /metrics: %v", err)
			}
			// The workload must have reached the histograms the latency
			// panels read, or an empty panel would go unnoticed.
			if v := sc.value(`kiwi_command_duration_seconds_count`, "command", "set"); v < 1 {
				t.Fatalf("kiwi_command_duration_seconds_count{command=\"set\"} = %v after the workload", v)
			}
			used, failed := map[string]bool{}, 0
			for _, q := range queries {
				names, err := checkQuery(sc, q)
				if err != nil {
					t.Errorf("%s: %v\n\tquery: %s", q.where, err, q.expr)
					failed++
				}
				for _, n := range names {
					used[n] = true
				}
			}
			t.Logf("%d queries, %d distinct metric names, %d queries refused", len(queries), len(used), failed)
			// Not an error (new metrics may come before their panel), but
			// worth seeing: kiwi metrics no panel shows.
			var unused []string
			for fam := range sc.types {
				if !strings.HasPrefix(fam, "kiwi_") {
					continue
				}
				shown := used[fam]
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					shown = shown || used[fam+suf]
				}
				if !shown {
					unused = append(unused, fam)
				}
			}
			sort.Strings(unused)
			if len(unused) > 0 {
				t.Logf("kiwi metrics without a panel: %s", strings.Join(unused, ", "))
			}
		})
	}
}

// grafanaWorkload gives the counters and histograms samples: single
// commands, a pipeline, error replies and an unknown command.
func grafanaWorkload(t *testing.T, p *proc) {
	t.Helper()
	ctx := ctxT(t)
	c := p.Client(t)
	for i := range 50 {
		k := "g:" + strconv.Itoa(i)
		if err := c.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	pipe := c.Pipeline()
	for i := range 100 {
		pipe.Set(ctx, "gp:"+strconv.Itoa(i), "v", 0)
		pipe.Incr(ctx, "gp:counter")
		pipe.Get(ctx, "gp:"+strconv.Itoa(i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Incr(ctx, "gp:0").Err(); err == nil {
		t.Fatal("INCR of a non-integer succeeded")
	}
	if err := c.Do(ctx, "NOSUCHCMD").Err(); err == nil || err == redis.Nil {
		t.Fatalf("unknown command: %v", err)
	}
}

// ---------------------------------------------------------------------------
// The dashboard

// dashQuery is one PromQL expression of the dashboard, or one Grafana
// template variable query (label_values(...), query_result(...)).
type dashQuery struct {
	where    string // "panel 7 \"Commands/s\" target A"
	expr     string
	legend   string // legendFormat, "" for variables
	variable bool   // a template variable query, not plain PromQL
	nested   bool   // inside a collapsed row
}

// dsVar is the data source every panel must use: the DS_PROMETHEUS template
// variable, so the dashboard works imported or provisioned.
const dsVar = "${DS_PROMETHEUS}"

type dashDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashTarget struct {
	Datasource   *dashDatasource `json:"datasource"`
	Expr         string          `json:"expr"`
	LegendFormat string          `json:"legendFormat"`
	RefID        string          `json:"refId"`
}

type dashPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Collapsed  bool            `json:"collapsed"`
	Datasource *dashDatasource `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []dashTarget `json:"targets"`
	Panels  []dashPanel  `json:"panels"`
}

type dashVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *dashDatasource `json:"datasource"`
}

type dashboard struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	SchemaVersion int         `json:"schemaVersion"`
	Panels        []dashPanel `json:"panels"`
	Templating    struct {
		List []dashVariable `json:"list"`
	} `json:"templating"`
}

// dashboardQueries validates the dashboard's structure and returns its
// queries.
func dashboardQueries(raw []byte) ([]dashQuery, error) {
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if d.UID == "" || len(d.UID) > 40 {
		bad("uid %q: must be set and at most 40 characters", d.UID)
	}
	if d.Title == "" {
		bad("title missing")
	}
	if d.SchemaVersion < 36 {
		bad("schemaVersion %d: want a current schema (>= 36)", d.SchemaVersion)
	}
	if len(d.Panels) == 0 {
		bad("no panels")
	}

	var queries []dashQuery
	vars := map[string]dashVariable{}
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			bad("template variable %q defined twice", v.Name)
		}
		vars[v.Name] = v
		switch v.Type {
		case "datasource":
		case "query":
			if v.Datasource == nil || v.Datasource.UID != dsVar {
				bad("variable %q: datasource must be %s", v.Name, dsVar)
			}
			q := v.Definition
			if len(v.Query) > 0 {
				var s string
				var obj struct{ Query string }
				if json.Unmarshal(v.Query, &s) == nil {
					q = s
				} else if json.Unmarshal(v.Query, &obj) == nil && obj.Query != "" {
					q = obj.Query
				}
			}
			if q == "" {
				bad("variable %q: no query", v.Name)
				continue
			}
			queries = append(queries, dashQuery{where: "variable " + v.Name, expr: q, variable: true})
		default:
			bad("variable %q: unexpected type %q", v.Name, v.Type)
		}
	}
	if v, ok := vars["DS_PROMETHEUS"]; !ok || v.Type != "datasource" || !strings.Contains(string(v.Query), "prometheus") {
		bad("template variable DS_PROMETHEUS (type datasource, query prometheus) missing")
	}
	if v, ok := vars["instance"]; !ok || v.Type != "query" {
		bad("template variable instance (type query) missing")
	}

	ids := map[int]string{}
	rows := 0
	var walk func(ps []dashPanel, inCollapsed bool)
	walk = func(ps []dashPanel, inCollapsed bool) {
		for _, p := range ps {
			name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID <= 0 {
				bad("%s: id must be positive", name)
			} else if prev, dup := ids[p.ID]; dup {
				bad("%s: id already used by %s", name, prev)
			}
			ids[p.ID] = name
			if p.Title == "" {
				bad("%s: no title", name)
			}
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				bad("%s: gridPos missing or outside the 24-column grid", name)
			}
			if p.Type == "row" {
				rows++
				if inCollapsed {
					bad("%s: row inside a row", name)
				}
				if !p.Collapsed && len(p.Panels) > 0 {
					bad("%s: an expanded row holds nested panels (they belong at the top level)", name)
				}
				walk(p.Panels, p.Collapsed)
				continue
			}
			if p.Type == "" {
				bad("%s: no type", name)
			}
			if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != dsVar {
				bad("%s: datasource must be {type: prometheus, uid: %s}", name, dsVar)
			}
			if len(p.Targets) == 0 {
				bad("%s: no targets", name)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				where := fmt.Sprintf("%s target %s", name, tg.RefID)
				if tg.RefID == "" || refs[tg.RefID] {
					bad("%s: refId empty or repeated", where)
				}
				refs[tg.RefID] = true
				if tg.Datasource != nil && tg.Datasource.UID != dsVar {
					bad("%s: datasource uid %q, want %s", where, tg.Datasource.UID, dsVar)
				}
				if strings.TrimSpace(tg.Expr) == "" {
					bad("%s: empty expr", where)
					continue
				}
				queries = append(queries, dashQuery{where: where, expr: tg.Expr, legend: tg.LegendFormat, nested: inCollapsed})
			}
		}
	}
	walk(d.Panels, false)
	if rows == 0 {
		bad("no rows")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("malformed dashboard:\n\t%s", strings.Join(problems, "\n\t"))
	}
	return queries, nil
}

// ---------------------------------------------------------------------------
// The scrape

// scrape is a parsed Prometheus text exposition: family types, and for
// every sample name the label values seen.
type scrape struct {
	types   map[string]string                     // family → counter, gauge, histogram, summary, untyped
	labels  map[string]map[string]map[string]bool // sample name → label → values
	samples map[string][]sample
}

type sample struct {
	labels map[string]string
	value  float64
}

// targetLabels are attached by Prometheus when it scrapes, so queries may
// use them although /metrics does not show them.
var targetLabels = map[string]bool{"instance": true, "job": true}

// parseExposition parses the Prometheus text format (version 0.0.4).
func parseExposition(body string) (*scrape, error) {
	sc := &scrape{
		types:   map[string]string{},
		labels:  map[string]map[string]map[string]bool{},
		samples: map[string][]sample{},
	}
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[1] == "TYPE" {
				sc.types[f[2]] = f[3]
			}
			continue
		}
		name, lbls, rest, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n+1, line, err)
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("line %d %q: no value", n+1, line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n+1, line, err)
		}
		m := sc.labels[name]
		if m == nil {
			m = map[string]map[string]bool{}
			sc.labels[name] = m
		}
		for k, val := range lbls {
			if m[k] == nil {
				m[k] = map[string]bool{}
			}
			m[k][val] = true
		}
		sc.samples[name] = append(sc.samples[name], sample{lbls, v})
	}
	return sc, nil
}

// parseSample splits `name{a="x",b="y"} rest` into its parts.
func parseSample(line string) (name string, labels map[string]string, rest string, err error) {
	i := 0
	for i < len(line) && isIdentChar(line[i], i == 0) {
		i++
	}
	if i == 0 {
		return "", nil, "", fmt.Errorf("no metric name")
	}
	name, labels = line[:i], map[string]string{}
	if i < len(line) && line[i] == '{' {
		i++
		for {
			for i < len(line) && (line[i] == ' ' || line[i] == ',') {
				i++
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			j := i
			for j < len(line) && isIdentChar(line[j], j == i) {
				j++
			}
			if j == i || j >= len(line) || line[j] != '=' || j+1 >= len(line) || line[j+1] != '"' {
				return "", nil, "", fmt.Errorf("bad label at %d", i)
			}
			key := line[i:j]
			val, n, err := unquote(line[j+1:])
			if err != nil {
				return "", nil, "", err
			}
			labels[key] = val
			i = j + 1 + n
		}
	}
	return name, labels, line[i:], nil
}

// unquote reads a double-quoted string with \\, \" and \n escapes at the
// start of s and returns it and the bytes consumed.
func unquote(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated escape")
			}
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func isIdentChar(c byte, first bool) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// resolve checks that name can be queried: a counter, gauge, summary or
// untyped family, or a histogram's _bucket/_sum/_count series (a summary's
// _sum/_count). It returns the family name.
func (sc *scrape) resolve(name string) (string, error) {
	if typ, ok := sc.types[name]; ok {
		if typ == "histogram" {
			return "", fmt.Errorf("metric %s is a histogram: query %s_bucket, _sum or _count", name, name)
		}
		if len(sc.labels[name]) == 0 && len(sc.samples[name]) == 0 {
			return "", fmt.Errorf("metric %s has no samples", name)
		}
		return name, nil
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		fam, ok := strings.CutSuffix(name, suf)
		if !ok {
			continue
		}
		switch sc.types[fam] {
		case "histogram":
			return fam, nil
		case "summary":
			if suf != "_bucket" {
				return fam, nil
			}
		}
	}
	return "", fmt.Errorf("metric %s is not exposed on /metrics", name)
}

// hasLabel reports whether some sample of name carries label.
func (sc *scrape) hasLabel(name, label string) bool {
	return targetLabels[label] || len(sc.labels[name][label]) > 0
}

// value returns the sum of the samples of name with label=value.
func (sc *scrape) value(name, label, value string) float64 {
	var v float64
	for _, s := range sc.samples[name] {
		if s.labels[label] == value {
			v += s.value
		}
	}
	return v
}

// checkQuery checks one dashboard query against the scrape and returns the
// metric names it uses.
func checkQuery(sc *scrape, q dashQuery) ([]string, error) {
	expr, extraLabel := q.expr, ""
	if q.variable {
		var err error
		expr, extraLabel, err = variableQuery(q.expr)
		if err != nil {
			return nil, err
		}
	}
	a, err := analyzePromQL(expr)
	if err != nil {
		return nil, err
	}
	var problems []string
	var names []string
	unknown := map[string]bool{}
	for _, s := range a.selectors {
		names = append(names, s.name)
		if _, err := sc.resolve(s.name); err != nil {
			problems = append(problems, err.Error())
			unknown[s.name] = true
			continue
		}
		for _, m := range s.matchers {
			if !sc.hasLabel(s.name, m.label) {
				problems = append(problems, fmt.Sprintf("label %s in the matcher {%s%s%q} is not a label of %s", m.label, m.label, m.op, m.value, s.name))
				continue
			}
			// An equality matcher on a literal must match something, or the
			// panel is always empty (a typo such as direction="input").
			if m.op == "=" && !strings.Contains(m.value, "$") && !targetLabels[m.label] && !sc.labels[s.name][m.label][m.value] {
				problems = append(problems, fmt.Sprintf("%s{%s=%q}: no sample has that value", s.name, m.label, m.value))
			}
		}
	}
	for _, g := range a.groupings {
		for _, l := range g.labels {
			if g.anyMetric {
				if !slices.ContainsFunc(a.selectors, func(s selector) bool { return sc.hasLabel(s.name, l) }) {
					problems = append(problems, fmt.Sprintf("label %s in %s (...) is not a label of any metric of the query", l, g.keyword))
				}
				continue
			}
			for _, s := range g.metrics {
				if !unknown[s] && !sc.hasLabel(s, l) {
					problems = append(problems, fmt.Sprintf("label %s in %s (...) is not a label of %s", l, g.keyword, s))
				}
			}
		}
	}
	if extraLabel != "" && !slices.ContainsFunc(a.selectors, func(s selector) bool { return sc.hasLabel(s.name, extraLabel) }) {
		problems = append(problems, fmt.Sprintf("label_values: %s is not a label of the metric", extraLabel))
	}
	for _, m := range legendLabel.FindAllStringSubmatch(q.legend, -1) {
		l := m[1]
		if !slices.ContainsFunc(a.selectors, func(s selector) bool { return sc.hasLabel(s.name, l) }) {
			problems = append(problems, fmt.Sprintf("legend {{%s}}: not a label of any metric of the query", l))
		}
	}
	if len(problems) > 0 {
		return names, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return names, nil
}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// variableQuery turns a Grafana Prometheus variable query into PromQL and
// the label it lists: label_values(selector, label) or query_result(expr).
func variableQuery(q string) (expr, label string, err error) {
	q = strings.TrimSpace(q)
	if inner, ok := strings.CutPrefix(q, "label_values("); ok && strings.HasSuffix(inner, ")") {
		inner = strings.TrimSuffix(inner, ")")
		// The label is after the last comma outside braces and quotes.
		depth, quoted, cut := 0, false, -1
		for i := 0; i < len(inner); i++ {
			switch c := inner[i]; {
			case c == '"':
				quoted = !quoted
			case c == '\\' && quoted:
				i++
			case quoted:
			case c == '{' || c == '(':
				depth++
			case c == '}' || c == ')':
				depth--
			case c == ',' && depth == 0:
				cut = i
			}
		}
		if cut < 0 {
			return "", "", fmt.Errorf("label_values(%s): name a metric, label_values(metric, label), so the query stays checkable", inner)
		}
		return strings.TrimSpace(inner[:cut]), strings.TrimSpace(inner[cut+1:]), nil
	}
	if inner, ok := strings.CutPrefix(q, "query_result("); ok && strings.HasSuffix(inner, ")") {
		return strings.TrimSuffix(inner, ")"), "", nil
	}
	return "", "", fmt.Errorf("unsupported variable query %q (use label_values(metric, label) or query_result(expr))", q)
}

// ---------------------------------------------------------------------------
// A small PromQL analyser: enough to list the metric selectors of an
// expression with their label matchers, and the labels of by/without/on/
// ignoring/group_left/group_right clauses with the selectors they apply to.
// It is not a full parser; it refuses what it does not understand.

type matcher struct{ label, op, value string }

type selector struct {
	name     string
	matchers []matcher
	tok      int // token index of the selector
}

type grouping struct {
	keyword   string
	labels    []string
	metrics   []string // by/without: the selectors inside the aggregated argument
	anyMetric bool     // on/ignoring/group_*: the label must exist on some selector
}

type promAnalysis struct {
	selectors []selector
	groupings []grouping
}

type tokKind int

const (
	tIdent tokKind = iota
	tNumber
	tString
	tVariable // a Grafana variable: $x, ${x}
	tLParen
	tRParen
	tMatchers // {...}, parsed
	tRange    // [...], skipped
	tComma
	tOp
)

type token struct {
	kind     tokKind
	text     string
	matchers []matcher
}

// promKeywords are identifiers that are neither metrics nor functions.
var promKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"bool": true, "offset": true, "and": true, "or": true, "unless": true, "atan2": true,
	"inf": true, "nan": true,
}

// groupingKeywords take a parenthesised label list.
var groupingKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

var promAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

var promFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`abs absent absent_over_time ceil changes clamp clamp_max clamp_min
		day_of_month day_of_week day_of_year days_in_month delta deriv exp floor
		histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev
		histogram_stdvar histogram_sum holt_winters double_exponential_smoothing hour idelta
		increase irate label_join label_replace ln log2 log10 minute month predict_linear rate
		resets round scalar sgn sort sort_desc sort_by_label sort_by_label_desc sqrt time
		timestamp vector year avg_over_time min_over_time max_over_time sum_over_time
		count_over_time quantile_over_time stddev_over_time stdvar_over_time last_over_time
		present_over_time mad_over_time acos acosh asin asinh atan atanh cos cosh sin sinh tan
		tanh deg rad pi start end`) {
		promFunctions[f] = true
	}
}

// tokenizePromQL splits expr into tokens. Label matchers are parsed into
// their token; range and subquery brackets are skipped whole.
func tokenizePromQL(expr string) ([]token, error) {
	var toks []token
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#': // comment to end of line
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '(':
			toks = append(toks, token{kind: tLParen, text: "("})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, text: ")"})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, text: ","})
			i++
		case c == '[':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '[' {
					depth++
				} else if s[j] == ']' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			toks = append(toks, token{kind: tRange, text: s[i : j+1]})
			i = j + 1
		case c == '{':
			ms, n, err := parseMatchers(s[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %w", i, err)
			}
			toks = append(toks, token{kind: tMatchers, text: s[i : i+n], matchers: ms})
			i += n
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, token{kind: tString, text: s[i : j+1]})
			i = j + 1
		case c == '$':
			j := i + 1
			if j < len(s) && s[j] == '{' {
				k := strings.IndexByte(s[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unclosed ${ at %d", i)
				}
				j += k + 1
			} else {
				for j < len(s) && isIdentChar(s[j], false) {
					j++
				}
			}
			toks = append(toks, token{kind: tVariable, text: s[i:j]})
			i = j
		case (c >= '0' && c <= '9') || c == '.':
			j := i
			for j < len(s) && (isIdentChar(s[j], false) || s[j] == '.' ||
				((s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, token{kind: tNumber, text: s[i:j]})
			i = j
		case isIdentChar(c, true):
			j := i
			for j < len(s) && isIdentChar(s[j], false) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: s[i:j]})
			i = j
		case strings.ContainsRune("+-*/%^=!<>@", rune(c)):
			j := i + 1
			for j < len(s) && strings.ContainsRune("=~<>", rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tOp, text: s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return toks, nil
}

// parseMatchers parses `{a="x", b=~"y"}` at the start of s and returns the
// matchers and the bytes consumed.
func parseMatchers(s string) ([]matcher, int, error) {
	var ms []matcher
	i := 1
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unclosed {")
		}
		if s[i] == '}' {
			return ms, i + 1, nil
		}
		j := i
		for j < len(s) && isIdentChar(s[j], j == i) {
			j++
		}
		if j == i {
			return nil, 0, fmt.Errorf("label name expected in matchers at %q", s[i:])
		}
		label := s[i:j]
		for j < len(s) && s[j] == ' ' {
			j++
		}
		k := j
		for k < len(s) && strings.ContainsRune("=!~", rune(s[k])) {
			k++
		}
		op := s[j:k]
		if op != "=" && op != "!=" && op != "=~" && op != "!~" {
			return nil, 0, fmt.Errorf("bad matcher operator %q for %s", op, label)
		}
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k >= len(s) || (s[k] != '"' && s[k] != '\'' && s[k] != '`') {
			return nil, 0, fmt.Errorf("quoted value expected after %s%s", label, op)
		}
		q := s[k]
		e := k + 1
		var val strings.Builder
		for e < len(s) && s[e] != q {
			if s[e] == '\\' && q != '`' && e+1 < len(s) {
				e++
			}
			val.WriteByte(s[e])
			e++
		}
		if e >= len(s) {
			return nil, 0, fmt.Errorf("unterminated value for %s", label)
		}
		ms = append(ms, matcher{label, op, val.String()})
		i = e + 1
	}
}

// analyzePromQL lists the selectors and grouping clauses of expr.
func analyzePromQL(expr string) (*promAnalysis, error) {
	toks, err := tokenizePromQL(expr)
	if err != nil {
		return nil, err
	}
	// match[i] is the index of the parenthesis matching toks[i].
	match := make([]int, len(toks))
	var stack []int
	for i, tk := range toks {
		match[i] = -1
		switch tk.kind {
		case tLParen:
			stack = append(stack, i)
		case tRParen:
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced )")
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			match[i], match[o] = o, i
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unbalanced (")
	}

	a := &promAnalysis{}
	type pending struct {
		g          grouping
		start, end int // token range of the aggregated argument
	}
	var groups []pending
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		next := func(k tokKind) bool { return i+1 < len(toks) && toks[i+1].kind == k }
		switch tk.kind {
		case tIdent:
			word := strings.ToLower(tk.text)
			if groupingKeywords[word] {
				g := grouping{keyword: word}
				if !next(tLParen) {
					if word == "group_left" || word == "group_right" {
						continue // without a label list
					}
					return nil, fmt.Errorf("%s must be followed by a label list", word)
				}
				closeAt := match[i+1]
				for k := i + 2; k < closeAt; k++ {
					switch toks[k].kind {
					case tIdent:
						g.labels = append(g.labels, toks[k].text)
					case tComma:
					default:
						return nil, fmt.Errorf("%s (...): %q is not a label name", word, toks[k].text)
					}
				}
				p := pending{g: g, start: -1}
				if word == "by" || word == "without" {
					switch {
					case closeAt+1 < len(toks) && toks[closeAt+1].kind == tLParen:
						// sum by (x) (arg)
						p.start, p.end = closeAt+1, match[closeAt+1]
					case i > 0 && toks[i-1].kind == tRParen:
						// sum (arg) by (x)
						p.start, p.end = match[i-1], i-1
						if p.start == 0 || toks[p.start-1].kind != tIdent || !promAggregations[strings.ToLower(toks[p.start-1].text)] {
							return nil, fmt.Errorf("%s (...) does not follow an aggregation", word)
						}
					default:
						return nil, fmt.Errorf("%s (...) has no aggregated argument", word)
					}
					if i == 0 || (p.start > i && (toks[i-1].kind != tIdent || !promAggregations[strings.ToLower(toks[i-1].text)])) {
						return nil, fmt.Errorf("%s (...) does not follow an aggregation", word)
					}
				} else {
					p.g.anyMetric = true
				}
				groups = append(groups, p)
				i = closeAt
				continue
			}
			if promKeywords[word] {
				continue
			}
			if next(tLParen) {
				if !promFunctions[tk.text] && !promAggregations[tk.text] {
					return nil, fmt.Errorf("unknown function %s()", tk.text)
				}
				continue
			}
			if i+1 < len(toks) && toks[i+1].kind == tIdent && groupingKeywords[strings.ToLower(toks[i+1].text)] && promAggregations[tk.text] {
				continue // sum by (x) (...)
			}
			s := selector{name: tk.text, tok: i}
			if next(tMatchers) {
				s.matchers = toks[i+1].matchers
				i++
			}
			a.selectors = append(a.selectors, s)
		case tMatchers:
			// A selector without a leading name: {__name__="x", ...}.
			s := selector{tok: i}
			for _, m := range tk.matchers {
				if m.label == "__name__" && m.op == "=" {
					s.name = m.value
				} else {
					s.matchers = append(s.matchers, m)
				}
			}
			if s.name == "" {
				return nil, fmt.Errorf("selector %s names no metric", tk.text)
			}
			a.selectors = append(a.selectors, s)
		}
	}
	for _, p := range groups {
		if !p.g.anyMetric {
			for _, s := range a.selectors {
				if s.tok > p.start && s.tok < p.end {
					p.g.metrics = append(p.g.metrics, s.name)
				}
			}
			if len(p.g.metrics) == 0 {
				return nil, fmt.Errorf("%s (%s): the aggregated argument names no metric", p.g.keyword, strings.Join(p.g.labels, ", "))
			}
		}
		a.groupings = append(a.groupings, p.g)
	}
	return a, nil
}

// ---------------------------------------------------------------------------
// The checker can fail: a unit test of the analyser and the scrape checks.

func TestGrafanaQueryChecker(t *testing.T) {
	const exposition = `# HELP kiwi_commands_total Commands.
# TYPE kiwi_commands_total counter
kiwi_commands_total{command="get"} 3
kiwi_commands_total{command="set"} 5
# TYPE kiwi_connections gauge
kiwi_connections 1
# TYPE kiwi_network_bytes_total counter
kiwi_network_bytes_total{direction="in"} 10
kiwi_network_bytes_total{direction="out"} 20
# TYPE kiwi_command_duration_seconds histogram
kiwi_command_duration_seconds_bucket{command="get",le="0.1"} 1
kiwi_command_duration_seconds_bucket{command="get",le="+Inf"} 3
kiwi_command_duration_seconds_sum{command="get"} 0.5
kiwi_command_duration_seconds_count{command="get"} 3
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 0.001
go_gc_duration_seconds_sum 0.01
go_gc_duration_seconds_count 7
`
	sc, err := parseExposition(exposition)
	if err != nil {
		t.Fatal(err)
	}

	// The analyser finds exactly the metric names, not functions, keywords,
	// label names, variables or strings.
	for _, tc := range []struct {
		expr  string
		names []string
	}{
		{`kiwi_connections`, []string{"kiwi_connections"}},
		{`sum by (instance) (rate(kiwi_commands_total{instance=~"$instance"}[$__rate_interval]))`, []string{"kiwi_commands_total"}},
		{`histogram_quantile(0.99, sum by (le, command) (rate(kiwi_command_duration_seconds_bucket{command=~"$command"}[5m])))`, []string{"kiwi_command_duration_seconds_bucket"}},
		{`sum(rate(a_total[1m])) by (job) / on(instance) group_left(command) sum without (le) (b_total offset 5m) > bool 0`, []string{"a_total", "b_total"}},
		{`topk(10, count_values("v", x)) or vector(1e-3) and {__name__="y", job="j"}`, []string{"x", "y"}},
		{`label_replace(rate(m[5m:1m]), "dst", "$1", "src", "(.*)") * inf`, []string{"m"}},
	} {
		a, err := analyzePromQL(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var got []string
		for _, s := range a.selectors {
			got = append(got, s.name)
		}
		sort.Strings(got)
		if !slices.Equal(got, tc.names) {
			t.Errorf("%s: metrics %v, want %v", tc.expr, got, tc.names)
		}
	}

	good := []string{
		`sum by (instance, command) (rate(kiwi_commands_total{command="get"}[$__rate_interval]))`,
		`histogram_quantile(0.5, sum by (le, command) (rate(kiwi_command_duration_seconds_bucket[5m])))`,
		`rate(kiwi_command_duration_seconds_sum[5m]) / rate(kiwi_command_duration_seconds_count[5m])`,
		`sum by (direction) (rate(kiwi_network_bytes_total{direction="out"}[1m]))`,
		`go_gc_duration_seconds{quantile="0.5"} + rate(go_gc_duration_seconds_count[1m])`,
		`sum(kiwi_commands_total) by (command)`,
	}
	for _, expr := range good {
		if _, err := checkQuery(sc, dashQuery{where: "good", expr: expr}); err != nil {
			t.Errorf("%s: unexpected error %v", expr, err)
		}
	}
	if _, err := checkQuery(sc, dashQuery{where: "var", expr: `label_values(kiwi_commands_total{instance=~"$instance"}, command)`, variable: true}); err != nil {
		t.Errorf("label_values: %v", err)
	}

	// Each of these must be refused, with a message naming the problem.
	bad := []struct{ expr, want string }{
		{`rate(kiwi_no_such_metric_total[5m])`, "kiwi_no_such_metric_total is not exposed"},
		{`sum by (instance) (rate(kiwi_commands_totl[5m]))`, "kiwi_commands_totl is not exposed"},
		{`kiwi_connections + kiwi_bogus`, "kiwi_bogus is not exposed"},
		{`rate(kiwi_command_duration_seconds[5m])`, "is a histogram"},
		{`go_gc_duration_seconds_bucket`, "not exposed"},
		{`sum by (lane) (kiwi_commands_total)`, "label lane in by"},
		{`sum(kiwi_connections) by (command)`, "label command in by"},
		{`kiwi_commands_total{cmd="get"}`, "label cmd in the matcher"},
		{`kiwi_network_bytes_total{direction="input"}`, "no sample has that value"},
		{`histogram_quantile(0.9, sum by (le) (rate(kiwi_command_duration_seconds_count[5m])))`, "label le in by"},
		{`rates(kiwi_commands_total[5m])`, "unknown function rates()"},
		{`kiwi_connections / on(shard) kiwi_commands_total`, "label shard in on"},
		{`sum by (command) (rate(kiwi_commands_total[5m]`, "unbalanced"},
	}
	for _, tc := range bad {
		_, err := checkQuery(sc, dashQuery{where: "bad", expr: tc.expr})
		if err == nil {
			t.Errorf("%s: accepted, want an error containing %q", tc.expr, tc.want)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.expr, err, tc.want)
		}
	}
	if _, err := checkQuery(sc, dashQuery{where: "legend", expr: `sum by (command) (kiwi_commands_total)`, legend: "{{comand}}"}); err == nil {
		t.Error("a legend naming a missing label was accepted")
	}
	if _, err := checkQuery(sc, dashQuery{where: "var", expr: `label_values(kiwi_commands_total, lane)`, variable: true}); err == nil {
		t.Error("label_values of a missing label was accepted")
	}
	if _, err := checkQuery(sc, dashQuery{where: "var", expr: `label_values(kiwi_nope, instance)`, variable: true}); err == nil {
		t.Error("label_values of a missing metric was accepted")
	}

	// The dashboard checks refuse a malformed dashboard.
	for _, tc := range []struct{ name, json, want string }{
		{"duplicate ids", `{"uid":"u","title":"t","schemaVersion":39,"templating":{"list":[{"name":"DS_PROMETHEUS","type":"datasource","query":"prometheus"},{"name":"instance","type":"query","datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},"query":"label_values(up, instance)"}]},
			"panels":[{"id":1,"type":"row","title":"r","gridPos":{"h":1,"w":24,"x":0,"y":0}},
			{"id":2,"type":"timeseries","title":"a","gridPos":{"h":8,"w":8,"x":0,"y":1},"datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},"targets":[{"refId":"A","expr":"x"}]},
			{"id":2,"type":"timeseries","title":"b","gridPos":{"h":8,"w":8,"x":8,"y":1},"datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},"targets":[{"refId":"A","expr":"x"}]}]}`, "id already used"},
		{"no datasource", `{"uid":"u","title":"t","schemaVersion":39,"templating":{"list":[{"name":"DS_PROMETHEUS","type":"datasource","query":"prometheus"},{"name":"instance","type":"query","datasource":{"type":"prometheus","uid":"${DS_PROMETHEUS}"},"query":"label_values(up, instance)"}]},
			"panels":[{"id":1,"type":"row","title":"r","collapsed":true,"gridPos":{"h":1,"w":24,"x":0,"y":0},"panels":[
			{"id":2,"type":"timeseries","title":"a","gridPos":{"h":8,"w":8,"x":0,"y":1},"targets":[{"refId":"A","expr":"x"}]}]}]}`, "datasource must be"},
		{"no uid", `{"title":"t","schemaVersion":39,"panels":[]}`, "uid"},
	} {
		if _, err := dashboardQueries([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
