package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// output prints results: aligned tables for people, or with --json the API
// objects as indented JSON for programs. Messages meant for people only
// ("Request to stop container web has been accepted.") are left out of
// JSON output.
type output struct {
	w    io.Writer
	json bool
}

// JSON prints v as indented JSON.
func (o output) JSON(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Messagef prints a line for people; nothing with --json.
func (o output) Messagef(format string, args ...any) {
	if !o.json {
		fmt.Fprintf(o.w, format+"\n", args...)
	}
}

// table is an aligned table of cells.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)}
	t.Row(header...)
	return t
}

// Row adds a row; empty cells show as "-".
func (t *table) Row(cells ...string) {
	for i, c := range cells {
		c = cleanCell(c)
		if c == "" {
			c = "-"
		}
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		io.WriteString(t.tw, c)
	}
	io.WriteString(t.tw, "\n")
}

func (t *table) Flush() error { return t.tw.Flush() }

// cleanCell keeps a cell on one line and free of terminal control codes.
func cleanCell(s string) string {
	s = strings.ReplaceAll(s, "\r\n", `\n`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// field is one FIELD/VALUE row.
type field struct{ name, value string }

// printFields prints rows as a two-column FIELD/VALUE table.
func printFields(w io.Writer, fields []field) error {
	t := newTable(w, "FIELD", "VALUE")
	for _, f := range fields {
		t.Row(f.name, f.value)
	}
	return t.Flush()
}

// objectFields lists the fields of an API object in the order of its JSON
// encoding, values rendered for a table; the names in skip are left out.
func objectFields(v any, skip ...string) ([]field, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %s", b)
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if slices.Contains(skip, name) {
			continue
		}
		out = append(out, field{name, renderValue(raw)})
	}
	return out, nil
}

// renderValue renders a JSON value compactly for a table cell: strings as
// they are, null and empty values as "-", a map of strings as
// "k=v, k=v", anything else nested as compact JSON.
func renderValue(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case map[string]any:
		if len(x) == 0 {
			return "-"
		}
		if s, ok := flatMap(x); ok {
			return s
		}
	case []any:
		if len(x) == 0 {
			return "-"
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// flatMap renders a map whose values are all strings as sorted k=v pairs.
func flatMap(m map[string]any) (string, bool) {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, ok := m[k].(string)
		if !ok {
			return "", false
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ", "), true
}
