package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// ErrNoConfigFile is returned by Rewrite when it is given no path: the
// server runs without a config file, so there is none to rewrite. Redis
// replies "ERR The server is running without a config file" then.
var ErrNoConfigFile = errors.New("config: the server is running without a config file")

// rewriteMarker is the comment line Rewrite writes above the options it
// adds to a file.
const rewriteMarker = "# added by CONFIG REWRITE"

// rewriteHeader starts a file that Rewrite creates.
const rewriteHeader = `# Kiwi configuration file (TOML), created by CONFIG REWRITE: the options
# whose value differs from the default. kiwi --default-config prints every
# option with its help.
`

// rewriteMu serialises Rewrite calls, so that two CONFIG REWRITE commands
// do not both read the old file and then replace each other's result.
var rewriteMu sync.Mutex

// Rewrite writes the configuration c back to the TOML file at path, as
// Redis's CONFIG REWRITE does, keeping the operator's file as far as it can:
//
//   - every comment, blank line and key of the file stays, in its order;
//   - an option the file sets to a value other than c's gets c's value in
//     place (a trailing comment on its line stays), whether it is written
//     in a [section] table, as a dotted key (storage.engine = …) or in an
//     inline table;
//   - an option the file does not set is added only if c's value differs
//     from the default: into its [section] (or inline table, or next to its
//     dotted keys) if the file has one, else in a new [section] at the end,
//     below a "# added by CONFIG REWRITE" line; top-level options go after
//     the last top-level key;
//   - an option the file sets to c's value is left as written, even if that
//     is the default (so is one whose value is written differently, such as
//     "512mb" for 536870912); keys that are not options are left as they are.
//
// So requirepass is written only if the file already sets it or c's value
// is not empty. Values are written as TOML of the option's type: strings
// quoted, sizes with a unit ("512mb") or as a byte count if the file wrote
// that option as an integer, durations as Go duration strings ("1m30s").
//
// If nothing differs, the file is rewritten with the same bytes. If path
// does not exist, it is created with the options that differ from their
// default, with mode 0644, or 0600 if it holds requirepass. If path is a
// symbolic link, the file it points to is rewritten and the link stays.
//
// The new contents are checked before anything is written: they must load
// (as LoadFile does) to exactly c, apart from keys that are not options,
// which are kept as they were. Then they are written atomically: to a
// temporary file in the same directory, fsynced, given the old file's mode,
// renamed over the old file, and the directory is fsynced. On any error the
// old file is unchanged and no temporary file is left behind.
//
// Rewrite refuses an empty path (ErrNoConfigFile), an invalid c, and a
// file that is not valid TOML. Errors name the file and the step that
// failed. Rewrite only reads c; calls are serialised.
func Rewrite(path string, c *Config) error {
	if path == "" {
		return ErrNoConfigFile
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config: rewrite %s: the configuration is not valid: %w", path, err)
	}
	rewriteMu.Lock()
	defer rewriteMu.Unlock()

	target := path
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	}
	var (
		old     []byte
		created bool
		mode    fs.FileMode
	)
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		created, mode = true, 0o644
		if c.RequirePass != "" {
			mode = 0o600
		}
	case err != nil:
		return fmt.Errorf("config: rewrite %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("config: rewrite %s: not a regular file", path)
	default:
		mode = fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if old, err = os.ReadFile(target); err != nil {
			return fmt.Errorf("config: rewrite %s: %w", path, err)
		}
	}
	data, err := rewriteTOML(path, string(old), created, c)
	if err != nil {
		return fmt.Errorf("config: rewrite %s: %w", path, err)
	}
	if err := writeFileAtomic(target, []byte(data), mode); err != nil {
		return fmt.Errorf("config: rewrite %s: %w", path, err)
	}
	return nil
}

// rewriteTOML returns the TOML document src (the config file named file)
// rewritten to hold c, as Rewrite describes. If created, src is empty and
// the result is a new file.
func rewriteTOML(file, src string, created bool, c *Config) (string, error) {
	marker := true
	if created {
		src, marker = rewriteHeader, false
	}

	// What the file sets now. Unknown keys are kept as they are; a value
	// that is not valid for its option is replaced by c's.
	inFile := Default()
	invalid := map[string]bool{}
	for _, e := range inFile.applyTOML(file, src) {
		switch {
		case errors.Is(e, ErrSyntax):
			return "", fmt.Errorf("the file is not valid TOML, so it cannot be rewritten: %w", e)
		case errors.Is(e, ErrInvalidValue):
			invalid[e.Option] = true
		}
	}

	// Where it sets it: a scan of the text, checked against the keys the
	// TOML library finds.
	l, err := scanLayout(src)
	if err == nil {
		err = l.checkKeys()
	}
	if err != nil {
		return "", fmt.Errorf("cannot follow the layout of the file (%v), so it is left unchanged", err)
	}

	var edits []textEdit
	pending := map[string][]*option{} // options to add, by section
	for _, o := range options {
		v := o.load(c)
		if e := l.entry(o); e != nil {
			if invalid[o.name] || o.load(inFile) != v {
				edits = append(edits, textEdit{e.valStart, e.valEnd, o.rewriteLiteral(v, src[e.valStart:e.valEnd])})
			}
			continue
		}
		if v != o.load(&defaults) && o.alias == "" && !l.hasAlias(o) {
			sec, _ := o.section()
			pending[sec] = append(pending[sec], o)
		}
	}
	edits = append(edits, l.additions(pending, c, marker)...)
	out := applyEdits(src, edits)

	// The result must load to c; keys that are not options may stay.
	check := Default()
	for _, e := range check.applyTOML(file, out) {
		if !errors.Is(e, ErrUnknownOption) {
			return "", fmt.Errorf("the rewritten file would not load (%v), so it is left unchanged", e)
		}
	}
	for _, o := range options {
		if o.load(check) != o.load(c) {
			return "", fmt.Errorf("the rewritten file would set %s = %s instead of %s, so it is left unchanged",
				o.name, o.literal(o.load(check)), o.literal(o.load(c)))
		}
	}
	return out, nil
}

// rewriteLiteral formats v (as load returns it) as a TOML value to replace
// old, the value the file has: in the option's literal form, except that a
// size written as an integer stays an integer and a string written as a
// literal string (single or triple single quotes) stays a one-line
// literal string when it can.
func (o *option) rewriteLiteral(v any, old string) string {
	switch o.kind {
	case kindSize:
		if old != "" && (old[0] >= '0' && old[0] <= '9' || old[0] == '+') {
			return strconv.FormatInt(v.(int64), 10)
		}
	case kindString, kindEnum:
		s := v.(string)
		if strings.HasPrefix(old, "'") && literalStringOK(s) {
			return "'" + s + "'"
		}
	}
	return o.literal(v)
}

// literalStringOK reports whether s can be written as a TOML literal
// string: valid UTF-8 with no ' and no control character but tab.
func literalStringOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\'' || r == 0x7f || (r < 0x20 && r != '\t') {
			return false
		}
	}
	return true
}

// additions returns the insertions that add the pending options (by
// section) to the file. marker says whether to write rewriteMarker above
// them.
func (l *tomlLayout) additions(pending map[string][]*option, c *Config, marker bool) []textEdit {
	lines := func(sec string) []string {
		var s []string
		for _, o := range pending[sec] {
			_, key := o.section()
			s = append(s, key+" = "+o.literal(o.load(c)))
		}
		return s
	}
	var (
		edits []textEdit
		root  = lines("") // for the root table: top-level options and dotted keys
		atEnd []string    // sections to append at the end
		end   = len(l.src)
		tail  strings.Builder // text to append at the end
	)
	// insert adds text at offset at, after an empty line if blank. Text
	// for the end of the file is gathered in tail, in order.
	insert := func(at int, blank bool, text string) {
		if at < end {
			edits = append(edits, textEdit{at, at, l.lead(at, blank) + text})
			return
		}
		if tail.Len() == 0 {
			tail.WriteString(l.lead(at, blank))
		} else if blank {
			tail.WriteString(l.nl)
		}
		tail.WriteString(text)
	}

	for _, sec := range sectionOrder()[1:] {
		if len(pending[sec]) == 0 {
			continue
		}
		switch h, in := l.header(sec), l.inlineTable(sec); {
		case h >= 0: // after the last key of its table
			stmts := l.statements(h)
			at, mark := l.headers[h].end, marker
			if len(stmts) > 0 {
				at = stmts[len(stmts)-1].stmtEnd
				mark = mark && !l.markedRun(stmts)
			}
			insert(at, false, l.body(mark, "", lines(sec)))
		case in != nil:
			edits = append(edits, in.insertion(lines(sec)))
		case l.dottedSection(sec):
			for _, s := range lines(sec) {
				root = append(root, sec+"."+s)
			}
		default:
			atEnd = append(atEnd, sec)
		}
	}

	// The root table: after its last key, else above the first table (and
	// the comment lines right above it), else at the end.
	if len(root) > 0 {
		stmts := l.statements(-1)
		switch {
		case len(stmts) > 0:
			at := stmts[len(stmts)-1].stmtEnd
			insert(at, false, l.body(marker && !l.markedRun(stmts), "", root))
		case len(l.headers) > 0:
			at := l.headers[0].start
			for at > l.bom {
				prev := max(strings.LastIndexByte(l.src[:at-1], '\n')+1, l.bom)
				if !strings.HasPrefix(strings.TrimSpace(l.src[prev:at]), "#") {
					break
				}
				at = prev
			}
			insert(at, false, l.body(marker, "", root)+l.nl)
		default:
			insert(end, true, l.body(marker, "", root))
		}
	}
	for _, sec := range atEnd {
		insert(end, true, l.body(marker, "["+sec+"]", lines(sec)))
	}
	if tail.Len() > 0 {
		edits = append(edits, textEdit{end, end, tail.String()})
	}
	return edits
}

// lead returns what text inserted at offset at needs before it: a newline
// if at does not follow one, and an empty line if blank and there is text
// before at.
func (l *tomlLayout) lead(at int, blank bool) string {
	if at <= l.bom {
		return ""
	}
	s := ""
	if l.src[at-1] != '\n' {
		s = l.nl
	}
	if blank && !strings.HasSuffix(l.src[:at]+s, l.nl+l.nl) {
		s += l.nl
	}
	return s
}

// body renders lines to insert: the marker comment if mark, the table
// header if any, and the lines, each ending with a newline.
func (l *tomlLayout) body(mark bool, header string, lines []string) string {
	var b strings.Builder
	if mark {
		b.WriteString(rewriteMarker + l.nl)
	}
	if header != "" {
		b.WriteString(header + l.nl)
	}
	for _, s := range lines {
		b.WriteString(s + l.nl)
	}
	return b.String()
}

// sectionOrder returns "" (the top level) and the section names, in the
// order of the option table.
func sectionOrder() []string {
	order := []string{""}
	seen := map[string]bool{"": true}
	for _, o := range options {
		if sec, _ := o.section(); !seen[sec] {
			seen[sec] = true
			order = append(order, sec)
		}
	}
	return order
}

// textEdit replaces src[start:end] with text; start == end inserts.
type textEdit struct {
	start, end int
	text       string
}

// applyEdits applies non-overlapping edits to src; insertions at the same
// offset keep their order.
func applyEdits(src string, edits []textEdit) string {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	at := 0
	for _, e := range edits {
		b.WriteString(src[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.WriteString(src[at:])
	return b.String()
}

// writeFileAtomic replaces the file at path with data: it writes a
// temporary file in the same directory, fsyncs it, gives it mode, renames it
// over path and fsyncs the directory. If it fails before the rename, the
// temporary file is removed and path is unchanged.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".rewrite-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	fail := func(step string, err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("%s: %w", step, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail("write temporary file", err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail("set mode of temporary file", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync temporary file", err)
	}
	if err := f.Close(); err != nil {
		return fail("close temporary file", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("replace the file", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("file replaced, but sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("file replaced, but sync directory: %w", err)
	}
	return nil
}

// tomlLayout is where things are in the text of a TOML document: its
// tables, its keys and the byte ranges of their values. It is what a
// rewrite needs to edit the text in place, which the TOML library does not
// give (it reports only lines).
type tomlLayout struct {
	src     string
	bom     int    // length of the byte order mark the document starts with
	nl      string // "\r\n" if the document uses it, else "\n"
	keys    [][]string
	entries []*tomlEntry
	headers []*tomlHeader
}

// tomlEntry is one key = value, at the top of a table or in an inline table.
type tomlEntry struct {
	path     []string // full key, from the root
	stmt     bool     // on a line of its own (not in an inline table or array)
	table    int      // index in headers of its table, -1 for the root; stmt only
	line     int      // offset of the start of its first line; stmt only
	stmtEnd  int      // offset after its last line and newline; stmt only
	valStart int      // the value is src[valStart:valEnd]
	valEnd   int
	inline   *tomlInline // the value, if it is an inline table
}

// tomlHeader is a [table] or [[array]] line.
type tomlHeader struct {
	path  []string
	array bool
	start int // offset of the start of its line
	end   int // offset after its line and newline
}

// tomlInline is an inline table { … }.
type tomlInline struct {
	open    int // offset of {
	close   int // offset of }
	lastEnd int // end of the value of its last key/value; -1 if it has none
}

// insertion adds lines (key = value) to the inline table, after its last
// key/value, separated by commas.
func (in *tomlInline) insertion(lines []string) textEdit {
	if in.lastEnd >= 0 {
		return textEdit{in.lastEnd, in.lastEnd, ", " + strings.Join(lines, ", ")}
	}
	text := " " + strings.Join(lines, ", ")
	if in.close == in.open+1 {
		text += " "
	}
	return textEdit{in.open + 1, in.open + 1, text}
}

// entry returns the entry that sets option o, or nil.
func (l *tomlLayout) entry(o *option) *tomlEntry {
	sec, key := o.section()
	for _, e := range l.entries {
		if (sec == "" && len(e.path) == 1 && e.path[0] == key) ||
			(sec != "" && len(e.path) == 2 && e.path[0] == sec && e.path[1] == key) {
			return e
		}
	}
	return nil
}

// header returns the index of the [sec] table header, or -1.
func (l *tomlLayout) header(sec string) int {
	for i, h := range l.headers {
		if !h.array && len(h.path) == 1 && h.path[0] == sec {
			return i
		}
	}
	return -1
}

// inlineTable returns the inline table that is the value of key sec at
// the top level, or nil.
func (l *tomlLayout) inlineTable(sec string) *tomlInline {
	for _, e := range l.entries {
		if e.stmt && e.table == -1 && len(e.path) == 1 && e.path[0] == sec {
			return e.inline
		}
	}
	return nil
}

// dottedSection reports whether the root table has dotted keys sec.….
func (l *tomlLayout) dottedSection(sec string) bool {
	for _, e := range l.entries {
		if e.stmt && e.table == -1 && len(e.path) > 1 && e.path[0] == sec {
			return true
		}
	}
	return false
}

// statements returns the key/value lines of the table of header h (-1:
// the root), in order.
func (l *tomlLayout) statements(h int) []*tomlEntry {
	var s []*tomlEntry
	for _, e := range l.entries {
		if e.stmt && e.table == h {
			s = append(s, e)
		}
	}
	return s
}

// markedRun reports whether the last of stmts is in a run of consecutive
// key/value lines right below a rewriteMarker line, so that more lines
// added after it need no marker of their own.
func (l *tomlLayout) markedRun(stmts []*tomlEntry) bool {
	j := len(stmts) - 1
	for j > 0 && stmts[j-1].stmtEnd == stmts[j].line {
		j--
	}
	at := stmts[j].line
	if at <= l.bom {
		return false
	}
	prev := max(strings.LastIndexByte(l.src[:at-1], '\n')+1, l.bom)
	return strings.TrimSpace(l.src[prev:at]) == rewriteMarker
}

// checkKeys compares the keys found by the scan with those the TOML
// library finds, in order.
func (l *tomlLayout) checkKeys() error {
	var top map[string]toml.Primitive
	md, err := toml.Decode(l.src, &top)
	if err != nil {
		return err
	}
	keys := md.Keys()
	for i := 0; i < len(keys) || i < len(l.keys); i++ {
		switch {
		case i >= len(keys):
			return fmt.Errorf("found an extra key %q", strings.Join(l.keys[i], "."))
		case i >= len(l.keys):
			return fmt.Errorf("missed key %s", keys[i])
		case !equalPath(keys[i], l.keys[i]):
			return fmt.Errorf("found key %q where TOML has %s", strings.Join(l.keys[i], "."), keys[i])
		}
	}
	return nil
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// scanLayout finds the layout of the TOML document src, which the TOML
// library has accepted: it follows the TOML grammar only as far as needed
// to find tables, keys and the extent of values.
func scanLayout(src string) (l *tomlLayout, err error) {
	l = &tomlLayout{src: src, nl: "\n"}
	if strings.Contains(src, "\r\n") {
		l.nl = "\r\n"
	}
	// As the TOML library does, skip a UTF-8 (or UTF-16) byte order mark.
	switch {
	case strings.HasPrefix(src, "\xef\xbb\xbf"):
		l.bom = 3
	case strings.HasPrefix(src, "\xff\xfe"), strings.HasPrefix(src, "\xfe\xff"):
		l.bom = 2
	}
	s := &layoutScanner{src: src, pos: l.bom, l: l, table: -1}
	defer func() {
		// A scanError, or a bug: either way, an error rather than a
		// crash of the server.
		if r := recover(); r != nil {
			if se, ok := r.(scanError); ok {
				l, err = nil, se
			} else {
				l, err = nil, fmt.Errorf("at byte %d: %v", s.pos, r)
			}
		}
	}()
	s.document()
	return l, nil
}

// scanError is the panic value of a layoutScanner that meets text it does
// not expect.
type scanError struct {
	pos int
	msg string
}

func (e scanError) Error() string { return fmt.Sprintf("at byte %d: %s", e.pos, e.msg) }

type layoutScanner struct {
	src   string
	pos   int
	l     *tomlLayout
	table int      // index of the current table header; -1 for the root
	path  []string // key of the current table
}

func (s *layoutScanner) fail(msg string) { panic(scanError{s.pos, msg}) }

func (s *layoutScanner) eof() bool { return s.pos >= len(s.src) }

// at reports whether the text at the current position starts with p.
func (s *layoutScanner) at(p string) bool {
	return s.pos < len(s.src) && strings.HasPrefix(s.src[s.pos:], p)
}

func (s *layoutScanner) expect(p string) {
	if !s.at(p) {
		s.fail("expected " + p)
	}
	s.pos += len(p)
}

// lineStart returns the offset of the start of the line holding pos.
func (s *layoutScanner) lineStart(pos int) int {
	return max(strings.LastIndexByte(s.src[:pos], '\n')+1, s.l.bom)
}

func (s *layoutScanner) document() {
	for {
		s.skipBlank()
		switch {
		case s.eof():
			return
		case s.at("\n"), s.at("\r\n"), s.at("#"):
			s.endOfLine()
		case s.at("["):
			s.tableHeader()
		default:
			s.statement()
		}
	}
}

// skipBlank skips spaces and tabs.
func (s *layoutScanner) skipBlank() {
	for !s.eof() && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// skipComment skips a comment, up to its newline.
func (s *layoutScanner) skipComment() {
	if !s.at("#") {
		return
	}
	if i := strings.IndexByte(s.src[s.pos:], '\n'); i >= 0 {
		s.pos += i
		if s.src[s.pos-1] == '\r' {
			s.pos--
		}
	} else {
		s.pos = len(s.src)
	}
}

// endOfLine skips blanks, a comment and the newline (or the end of the
// text) that must end a line.
func (s *layoutScanner) endOfLine() {
	s.skipBlank()
	s.skipComment()
	switch {
	case s.eof():
	case s.at("\n"):
		s.pos++
	case s.at("\r\n"):
		s.pos += 2
	default:
		s.fail("expected the end of the line")
	}
}

// skipSpace skips blanks, newlines and comments, as allowed inside arrays
// and (TOML 1.1) inline tables.
func (s *layoutScanner) skipSpace() {
	for {
		s.skipBlank()
		switch {
		case s.at("#"):
			s.skipComment()
		case s.at("\n"):
			s.pos++
		case s.at("\r\n"):
			s.pos += 2
		default:
			return
		}
	}
}

func (s *layoutScanner) tableHeader() {
	h := &tomlHeader{start: s.lineStart(s.pos)}
	s.expect("[")
	if s.at("[") {
		s.pos++
		h.array = true
	}
	h.path = s.key()
	if h.array {
		s.expect("]]")
	} else {
		s.expect("]")
	}
	s.endOfLine()
	h.end = s.pos
	s.l.headers = append(s.l.headers, h)
	s.l.keys = append(s.l.keys, h.path)
	s.table, s.path = len(s.l.headers)-1, h.path
}

func (s *layoutScanner) statement() {
	line := s.lineStart(s.pos)
	e := s.keyValue(s.path)
	e.stmt, e.table, e.line = true, s.table, line
	s.endOfLine()
	e.stmtEnd = s.pos
}

// keyValue scans key = value in the table at path and records it.
func (s *layoutScanner) keyValue(path []string) *tomlEntry {
	full := append(append([]string(nil), path...), s.key()...)
	s.expect("=")
	s.skipBlank()
	e := &tomlEntry{path: full, valStart: s.pos}
	s.l.entries = append(s.l.entries, e)
	s.l.keys = append(s.l.keys, full)
	e.inline = s.value(full)
	e.valEnd = s.pos
	return e
}

// key scans a dotted key and the blanks around it.
func (s *layoutScanner) key() []string {
	var parts []string
	for {
		s.skipBlank()
		parts = append(parts, s.simpleKey())
		s.skipBlank()
		if !s.at(".") {
			return parts
		}
		s.pos++
	}
}

func (s *layoutScanner) simpleKey() string {
	start := s.pos
	switch {
	case s.at(`"`):
		s.basicString()
		k, ok := unescapeTOML(s.src[start+1 : s.pos-1])
		if !ok {
			s.fail("bad escape in a key")
		}
		return k
	case s.at("'"):
		s.literalString()
		return s.src[start+1 : s.pos-1]
	}
	for !s.eof() && isBareKeyByte(s.src[s.pos]) {
		s.pos++
	}
	if s.pos == start {
		s.fail("expected a key")
	}
	return s.src[start:s.pos]
}

func isBareKeyByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-'
}

// value scans a value of the key path; it returns the inline table if the
// value is one.
func (s *layoutScanner) value(path []string) *tomlInline {
	switch {
	case s.at(`"""`):
		s.multilineString(`"""`, true)
	case s.at(`'''`):
		s.multilineString(`'''`, false)
	case s.at(`"`):
		s.basicString()
	case s.at("'"):
		s.literalString()
	case s.at("["):
		s.array(path)
	case s.at("{"):
		return s.inline(path)
	default:
		s.bareValue()
	}
	return nil
}

func (s *layoutScanner) basicString() {
	s.pos++
	for !s.eof() {
		switch s.src[s.pos] {
		case '\\':
			s.pos += 2
			continue
		case '"':
			s.pos++
			return
		case '\n':
			s.fail("newline in a string")
		}
		s.pos++
	}
	s.fail("unterminated string")
}

func (s *layoutScanner) literalString() {
	s.pos++
	i := strings.IndexAny(s.src[s.pos:], "'\n")
	if i < 0 || s.src[s.pos+i] != '\'' {
		s.fail("unterminated literal string")
	}
	s.pos += i + 1
}

// multilineString scans a multi-line string, in triple quotes (double
// or single) given by delim; escapes says whether
// backslash escapes apply. Up to two quotes right before the closing
// delimiter belong to the string.
func (s *layoutScanner) multilineString(delim string, escapes bool) {
	s.pos += 3
	for !s.eof() {
		switch {
		case escapes && s.src[s.pos] == '\\':
			s.pos += 2
		case s.at(delim):
			n := 0
			for !s.eof() && s.src[s.pos] == delim[0] && n < 5 {
				s.pos++
				n++
			}
			return
		default:
			s.pos++
		}
	}
	s.fail("unterminated multi-line string")
}

func (s *layoutScanner) array(path []string) {
	s.pos++
	for {
		s.skipSpace()
		if s.at("]") {
			s.pos++
			return
		}
		s.value(path)
		s.skipSpace()
		switch {
		case s.at(","):
			s.pos++
		case s.at("]"):
			s.pos++
			return
		default:
			s.fail("expected , or ] in an array")
		}
	}
}

func (s *layoutScanner) inline(path []string) *tomlInline {
	in := &tomlInline{open: s.pos, lastEnd: -1}
	s.pos++
	for {
		s.skipSpace()
		if s.at("}") {
			in.close = s.pos
			s.pos++
			return in
		}
		e := s.keyValue(path)
		in.lastEnd = e.valEnd
		s.skipSpace()
		switch {
		case s.at(","):
			s.pos++
		case s.at("}"):
			in.close = s.pos
			s.pos++
			return in
		default:
			s.fail("expected , or } in an inline table")
		}
	}
}

// bareValue scans a number, boolean or date-time; a date and a time may be
// separated by a space.
func (s *layoutScanner) bareValue() {
	start := s.pos
	for !s.eof() && !strings.ContainsRune(" \t\r\n,]}#", rune(s.src[s.pos])) {
		s.pos++
		if s.pos-start == 10 && s.at(" ") && s.pos+1 < len(s.src) && isDigit(s.src[s.pos+1]) && isDate(s.src[start:s.pos]) {
			s.pos++
		}
	}
	if s.pos == start {
		s.fail("expected a value")
	}
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isDate reports whether d is a date, YYYY-MM-DD.
func isDate(d string) bool {
	for i := 0; i < len(d); i++ {
		if i == 4 || i == 7 {
			if d[i] != '-' {
				return false
			}
		} else if !isDigit(d[i]) {
			return false
		}
	}
	return len(d) == 10
}

// unescapeTOML decodes the escapes of a TOML basic string (without its
// quotes); ok is false on a bad escape.
func unescapeTOML(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		n := 0
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(s[i])
		case 'x':
			n = 2
		case 'u':
			n = 4
		case 'U':
			n = 8
		default:
			return "", false
		}
		if n > 0 {
			if i+1+n > len(s) {
				return "", false
			}
			r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(r))
			i += n
		}
	}
	return b.String(), true
}

// hasAlias reports whether the file sets o under another of its names
// (hash-max-ziplist-entries for hash-max-listpack-entries): the value is
// then written there, not added.
func (l *tomlLayout) hasAlias(o *option) bool {
	for _, a := range options {
		if a.alias == o.name && l.entry(a) != nil {
			return true
		}
	}
	return false
}
