package requirements

import (
	"bytes"
	"fmt"
	"strings"
)

// Markdown renders the catalogue as docs/requirements.md: the
// introduction, then per group a table of ID, document, clause and
// paraphrase, followed by the group's notes.
func (c *Catalogue) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Generated from requirements/requirements.yaml by go generate ./requirements; edit that file, not this one. -->\n\n")
	b.WriteString("# Requirement IDs\n\n")
	b.WriteString(strings.TrimSpace(c.Intro) + "\n")
	for _, g := range c.Groups {
		fmt.Fprintf(&b, "\n## %s\n\n", g.Title)
		b.WriteString("| ID | document | clause | paraphrase |\n| --- | --- | --- | --- |\n")
		for _, r := range g.Requirements {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.ID), cell(r.Document), cell(r.Clause), cell(r.Paraphrase))
		}
		if n := strings.TrimSpace(g.Notes); n != "" {
			b.WriteString("\n" + n + "\n")
		}
	}
	return b.Bytes()
}

// cell escapes the one character that would break a Markdown table row.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
