package ics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest ICS file Parse accepts, in bytes.
const MaxSize = 1 << 20

// FieldError is one problem in an ICS. Parse and Load return every
// problem of a file, joined with errors.Join.
type FieldError struct {
	File  string // the name given to Parse, or the path given to Load
	Line  int    // 1-based; 0 when the problem concerns the whole file
	Field string // the field path, e.g. "emv.cryptogram.imk-ac"; "" for the document
	Msg   string // what is wrong
}

// Error returns "FILE:LINE: FIELD: MSG".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and parses the ICS file at path.
func Load(path string) (*ICS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ics: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("ics: %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes and validates an ICS. name (usually the file path) prefixes
// every error. On any problem it returns nil and all the problems found,
// joined; each is a *FieldError.
func Parse(data []byte, name string) (res *ICS, err error) {
	if name == "" {
		name = "ICS"
	}
	c := &checker{file: name}
	defer func() {
		// The YAML decoder is not ours; whatever it does, Parse must not
		// panic on input.
		// The panic value is not shown: it could quote the input.
		if r := recover(); r != nil {
			res = nil
			err = &FieldError{File: name, Msg: "cannot decode the file (YAML decoder failure)"}
		}
	}()
	if len(data) > MaxSize {
		return nil, &FieldError{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	root, ferr := c.document(data)
	if ferr != nil {
		return nil, ferr
	}
	c.idx = newIndex(root)
	if a := c.idx.alias; a != nil {
		return nil, &FieldError{File: name, Line: a.line, Field: a.path, Msg: "YAML aliases (*name) are not allowed in an ICS: write the value out"}
	}
	if c.idx.tooBig != nil {
		// The decoder's duplicate-key check is quadratic in a mapping's
		// size; no mapping of the schema has more than a few keys.
		n := c.idx.tooBig
		return nil, &FieldError{File: name, Line: n.line, Field: n.path, Msg: fmt.Sprintf("a mapping of more than %d keys is not an ICS", maxKeys)}
	}

	var raw rawICS
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if derr := dec.Decode(&raw); derr != nil {
		var te *yaml.TypeError
		if !errors.As(derr, &te) {
			return nil, c.yamlError(derr)
		}
		for _, m := range te.Errors {
			c.typeError(m)
		}
	}
	out := c.ics(&raw)
	if len(c.errs) > 0 {
		return nil, c.joined()
	}
	out.Source = name
	out.sha256 = digest(data)
	out.redacted, out.redactErr = out.redact(data)
	return out, nil
}

// document runs the first pass: syntax, a single document, a mapping at
// the top.
func (c *checker) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{File: c.file, Msg: "empty file: paycert-ics and implementation are required"}
		}
		return nil, c.yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, c.yamlError(err)
	default:
		return nil, &FieldError{File: c.file, Line: extra.Line, Msg: "more than one YAML document; an ICS is one document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &FieldError{File: c.file, Msg: "not a YAML document"}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, &FieldError{File: c.file, Msg: "empty document: paycert-ics and implementation are required"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FieldError{File: c.file, Line: root.Line, Msg: "the document must be a mapping of fields, not " + kindName(root)}
	}
	return root, nil
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a decoder error that is not a TypeError (a syntax error,
// excessive aliasing) into a FieldError.
func (c *checker) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: c.file, Line: line, Msg: "YAML: " + redact(m[2])}
	}
	return &FieldError{File: c.file, Msg: "YAML: " + redact(strings.TrimPrefix(msg, "yaml: "))}
}

var (
	unknownFieldRe = regexp.MustCompile(`^line (\d+): field (.*) not found in type \S+$`)
	duplicateRe    = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	wrongTypeRe    = regexp.MustCompile(`^line (\d+): cannot unmarshal (!!\w+)(?: .*)? into (\S+)$`)
	anyLineRe      = regexp.MustCompile(`^line (\d+): (.*)$`)
	backquotedRe   = regexp.MustCompile("`[^`]*`")
)

// typeError records one message of the decoder's TypeError, rewritten to
// name the field path.
func (c *checker) typeError(m string) {
	if s := unknownFieldRe.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		path := c.idx.keyPath(line, s[2])
		if path == "" {
			path = s[2]
		}
		c.add(line, path, "unknown field (not in ICS schema version 1)")
		return
	}
	if s := duplicateRe.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		path := c.idx.keyPath(line, s[2])
		if path == "" {
			path = s[2]
		}
		c.add(line, path, "duplicate key (first defined at line "+s[3]+")")
		// The decoder skips a mapping with a duplicate key: do not report
		// its fields as missing too.
		parent := ""
		if i := strings.LastIndexAny(path, ".["); i >= 0 && path[i] == '.' {
			parent = path[:i]
		}
		c.broken = append(c.broken, parent)
		return
	}
	if s := wrongTypeRe.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		want := "a mapping of fields"
		if strings.Contains(s[3], "[]") {
			want = "a list"
		}
		field := typeField[strings.TrimLeft(s[3], "[]*")]
		if !strings.HasPrefix(s[3], "[]") && field == "preloaded" {
			field = "preloaded[]" // an item of the list
		}
		path := c.idx.pathAt(line, field)
		c.add(line, path, "must be "+want+", not "+tagName(s[2]))
		c.broken = append(c.broken, path)
		return
	}
	if s := anyLineRe.FindStringSubmatch(m); s != nil {
		line, _ := strconv.Atoi(s[1])
		c.add(line, c.idx.pathAt(line, ""), redact(s[2]))
		return
	}
	c.add(0, "", redact(m))
}

// redact removes quoted values from decoder messages: they may be key
// material.
func redact(s string) string { return backquotedRe.ReplaceAllString(s, "`...`") }

func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "empty"
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	}
	return tag
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return tagName(n.ShortTag())
	}
	return "empty"
}

// index maps the document's field paths to lines, from the node tree.
type index struct {
	keyLine   map[string]int     // field path -> line of its key (or list item)
	null      map[string]bool    // field paths whose value is empty (null)
	byKey     map[lineKey]string // (line, key) -> field path
	valuePath map[int][]string   // line of a value -> the field paths there, outermost first
	tooBig    *position          // the first mapping with more than maxKeys keys
	alias     *position          // the first alias
}

type position struct {
	line int
	path string
}

// maxKeys bounds the size of any mapping.
const maxKeys = 64

type lineKey struct {
	line int
	key  string
}

// maxDepth bounds the index walk; the schema is four levels deep.
const maxDepth = 32

func newIndex(root *yaml.Node) *index {
	x := &index{
		keyLine:   map[string]int{},
		null:      map[string]bool{},
		byKey:     map[lineKey]string{},
		valuePath: map[int][]string{},
	}
	x.walk(root, "", 0)
	return x
}

func (x *index) walk(n *yaml.Node, path string, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if x.alias == nil {
			x.alias = &position{n.Line, path}
		}
	case yaml.MappingNode:
		if len(n.Content)/2 > maxKeys && x.tooBig == nil {
			x.tooBig = &position{n.Line, path}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if _, ok := x.keyLine[p]; !ok {
				x.keyLine[p] = k.Line
			}
			lk := lineKey{k.Line, k.Value}
			if _, ok := x.byKey[lk]; !ok {
				x.byKey[lk] = p
			}
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				x.null[p] = true
			}
			x.valuePath[v.Line] = append(x.valuePath[v.Line], p)
			x.walk(v, p, depth+1)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			if _, ok := x.keyLine[p]; !ok {
				x.keyLine[p] = v.Line
			}
			x.valuePath[v.Line] = append(x.valuePath[v.Line], p)
			x.walk(v, p, depth+1)
		}
	}
}

// typeField names the schema field each raw type decodes.
var typeField = map[string]string{
	"ics.rawImplementation": "implementation",
	"ics.rawEMV":            "emv",
	"ics.rawCryptogram":     "cryptogram",
	"ics.rawEMVToken":       "token",
	"ics.rawToken":          "token",
	"ics.rawKeyMgmt":        "keymgmt",
	"ics.rawPreloaded":      "preloaded",
}

// pathAt returns the field path of a value on line whose last name is
// field (any, when field is ""; an item of list field when it ends in
// "[]"), preferring the outermost.
func (x *index) pathAt(line int, field string) string {
	paths := x.valuePath[line]
	list, isItem := strings.CutSuffix(field, "[]")
	for _, p := range paths {
		switch {
		case isItem:
			if strings.HasSuffix(p, "]") && strings.Contains(p, "."+list+"[") {
				return p
			}
		case field == "" || p == field || strings.HasSuffix(p, "."+field):
			return p
		}
	}
	if len(paths) > 0 {
		return paths[0]
	}
	return ""
}

func (x *index) keyPath(line int, key string) string {
	return x.byKey[lineKey{line, key}]
}

// checker collects the problems of one file.
type checker struct {
	file   string
	idx    *index
	errs   []*FieldError
	broken []string // field paths the decoder could not decode ("" = all)
}

// isBroken reports whether path lies in a mapping the decoder skipped, so
// that its fields are not also reported missing.
func (c *checker) isBroken(path string) bool {
	for _, b := range c.broken {
		if b == "" || path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

func (c *checker) add(line int, field, msg string) {
	c.errs = append(c.errs, &FieldError{File: c.file, Line: line, Field: field, Msg: msg})
}

func (c *checker) addf(line int, field, format string, args ...any) {
	c.add(line, field, fmt.Sprintf(format, args...))
}

// line returns the line of a field's key, 0 if absent.
func (c *checker) line(path string) int {
	if c.idx == nil {
		return 0
	}
	return c.idx.keyLine[path]
}

// missing reports a required field that is absent.
func (c *checker) missing(parent, field string) {
	c.add(c.line(parent), join(parent, field), "required field is missing")
}

// joined returns the problems in file order.
func (c *checker) joined() error {
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Line < c.errs[j].Line })
	errs := make([]error, len(c.errs))
	for i, e := range c.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

func join(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}
