package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats for commands whose output people and machines read.
const (
	formatTable    = "table"
	formatJSON     = "json"
	formatMarkdown = "markdown"
)

func addFormatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", formatTable, "output format: table, json or markdown")
}

func checkFormat(f string) error {
	switch f {
	case formatTable, formatJSON, formatMarkdown:
		return nil
	}
	return usagef("--format %q: use table, json or markdown", f)
}

// table is output for people: a header and rows of cells.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// renderPage writes one page of a listing: {"items": [...], "next": "..."}
// as JSON, or t; for people, where the next page starts goes to stderr.
func (e *env) renderPage(format string, items any, next, what string, t table) error {
	if err := render(e.stdout, format, map[string]any{"items": items, "next": next}, t); err != nil {
		return err
	}
	if next != "" && format != formatJSON {
		fmt.Fprintf(e.stderr, "More %s: add --cursor %s\n", what, next)
	}
	return nil
}

// render writes v as JSON or t as a table or markdown table.
func render(w io.Writer, format string, v any, t table) error {
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case formatMarkdown:
		fmt.Fprintln(w, "| "+strings.Join(mdCells(t.header), " | ")+" |")
		seps := make([]string, len(t.header))
		for i := range seps {
			seps[i] = "---"
		}
		fmt.Fprintln(w, "| "+strings.Join(seps, " | ")+" |")
		for _, r := range t.rows {
			fmt.Fprintln(w, "| "+strings.Join(mdCells(r), " | ")+" |")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(plainCells(r), "\t"))
	}
	return tw.Flush()
}

func mdCells(in []string) []string {
	out := make([]string, len(in))
	for i, c := range in {
		c = strings.ReplaceAll(c, "|", `\|`)
		out[i] = strings.ReplaceAll(oneLine(c), "\t", " ")
	}
	return out
}

func plainCells(in []string) []string {
	out := make([]string, len(in))
	for i, c := range in {
		if c == "" {
			c = "-"
		}
		out[i] = strings.ReplaceAll(oneLine(c), "\t", " ")
	}
	return out
}
