package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/vuln"
	"github.com/palisade-project/palisade/vuln/sbom"
	"github.com/palisade-project/palisade/vuln/vex"
)

// DefaultEcosystems are synced when --ecosystems is not given.
var defaultEcosystems = []string{"Go", "PyPI", "npm", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist"}

// isTerminal reports whether w is a terminal, where progress lines help.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress returns a function printing a count on one terminal line, at
// most ten times a second, and a func that ends the line.
func (e *env) progress(label string) (func(string, int), func()) {
	if !isTerminal(e.stderr) {
		return func(string, int) {}, func() {}
	}
	var mu sync.Mutex
	var last time.Time
	shown := false
	return func(what string, n int) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < 100*time.Millisecond {
				return
			}
			last, shown = time.Now(), true
			fmt.Fprintf(e.stderr, "\r%s %s: %d records read   ", label, what, n)
		}, func() {
			if shown {
				fmt.Fprintln(e.stderr)
			}
		}
}

func (e *env) dbCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "The advisory database: OSV import and sync, CISA KEV and EPSS",
		Long: `Palisade keeps its own copy of OSV advisories, matched against every stored
inventory. Importing or syncing advisories re-matches all inventories against
what changed, without rescanning: new findings are detected, findings whose
advisory was withdrawn or no longer matches are resolved. KEV membership and
EPSS scores enrich severity and deadlines. See docs/vuln.md.`,
	}
	cmd.AddCommand(e.dbImportCmd(), e.dbSyncCmd(), e.dbEnrichCmd("kev"), e.dbEnrichCmd("epss"), e.dbStatusCmd())
	return cmd
}

func (e *env) dbImportCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "import PATH|URL...",
		Short: "Import OSV records from zips, directories, JSON files or URLs",
		Long: `Import reads OSV records from a zip in the OSV bucket layout (<Ecosystem>/all.zip),
a directory of JSON records, single JSON files, or an http(s) URL of such a zip.
Only records that are new or newer than the stored ones are kept. A record with
an invalid range is skipped with its id and the reason; the rest import.`,
		Example: `  palisade db import Go/all.zip PyPI/all.zip
  palisade db import https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip
  palisade db import ./advisories/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one zip, directory, JSON file or URL")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				var results []*vuln.ImportResult
				for _, loc := range args {
					show, done := e.progress("importing")
					res, err := b.ImportAdvisories(ctx, loc, func(n int) { show(loc, n) })
					done()
					if err != nil {
						return fmt.Errorf("%s: %w", loc, err)
					}
					results = append(results, res)
				}
				return e.printImports(format, results)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) printImports(format string, results []*vuln.ImportResult) error {
	t := table{header: []string{"source", "read", "imported", "changed", "skipped", "new findings", "resolved", "reopened"}}
	for _, r := range results {
		t.add(r.Source, fmt.Sprint(r.Read), fmt.Sprint(r.Imported), fmt.Sprint(r.Changed), fmt.Sprint(r.Skipped),
			fmt.Sprint(r.Rematch.Created), fmt.Sprint(r.Rematch.Resolved), fmt.Sprint(r.Rematch.Reopened))
	}
	if err := render(e.stdout, format, results, t); err != nil {
		return err
	}
	if format != formatJSON {
		for _, r := range results {
			for i, sk := range r.Skips {
				if i == 10 {
					fmt.Fprintf(e.stderr, "palisade: ... and %d more skipped records\n", r.Skipped-10)
					break
				}
				fmt.Fprintf(e.stderr, "palisade: skipped %s (%s): %s\n", orDash(sk.ID), sk.File, sk.Reason)
			}
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e *env) dbSyncCmd() *cobra.Command {
	var ecosystems []string
	var format string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Download the OSV exports of ecosystems and import what is newer",
		Long: `Sync downloads <Ecosystem>/all.zip from the public OSV bucket for each ecosystem
and imports the records whose modified time is newer than the stored one, then
re-matches the inventories. 'palisade serve --sync-ecosystems ...' runs the same
on a schedule.`,
		Example: `  palisade db sync --ecosystems Go,PyPI,npm`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				show, done := e.progress("syncing")
				res, err := b.Sync(ctx, ecosystems, show)
				done()
				if err != nil {
					return err
				}
				return e.printImports(format, res)
			})
		},
	}
	cmd.Flags().StringSliceVar(&ecosystems, "ecosystems", defaultEcosystems, "OSV ecosystems to sync, comma separated")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) dbEnrichCmd(kind string) *cobra.Command {
	var format string
	what := map[string]string{"kev": "CISA's Known Exploited Vulnerabilities catalog (JSON)", "epss": "the EPSS daily scores (CSV, plain or gzip)"}[kind]
	example := map[string]string{
		"kev":  "  palisade db kev https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
		"epss": "  palisade db epss https://epss.cyentia.com/epss_scores-current.csv.gz",
	}[kind]
	cmd := &cobra.Command{
		Use:     kind + " FILE|URL",
		Short:   "Replace " + what,
		Example: example,
		Args:    exactArgs(1, "one file or URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.Enrich(ctx, kind, args[0])
				if err != nil {
					return err
				}
				t := table{header: []string{"source", "entries", "findings updated"}}
				t.add(res.Source, fmt.Sprint(res.Entries), fmt.Sprint(res.Rematch.Updated))
				return render(e.stdout, format, res, t)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) dbStatusCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show how many advisories the database holds per ecosystem",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				st, err := b.Database(ctx)
				if err != nil {
					return err
				}
				t := table{header: []string{"ecosystem", "advisories"}}
				var ecos []string
				for k := range st.Advisories {
					ecos = append(ecos, k)
				}
				slices.Sort(ecos)
				for _, k := range ecos {
					t.add(k, fmt.Sprint(st.Advisories[k]))
				}
				t.add("total", fmt.Sprint(st.Total))
				return render(e.stdout, format, st, t)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

// Scan output formats beyond table, json and markdown.
const (
	formatSARIF        = "sarif"
	formatOpenVEX      = "openvex"
	formatCycloneDXVEX = "cyclonedx-vex"
)

func (e *env) scanCmd() *cobra.Command {
	var opt vuln.ScanOptions
	var format, failOn string
	var offline bool
	cmd := &cobra.Command{
		Use:   "scan FILE...",
		Short: "Match inventories (SBOMs, scanner output) against the advisory database",
		Long: `Scan reads CycloneDX (JSON or XML, 1.2-1.6), SPDX 2.3 JSON, or the JSON output of
osv-scanner, Trivy or Grype, and reports every advisory affecting a component,
matched exactly by package URL and OSV ranges. Several files make one inventory.

Without --service it only reports. With --service it records the files as that
service's current inventory: new findings are detected, findings whose
vulnerable version is gone are resolved as fixed, and decisions already made
(VEX, triage, risk acceptance) show in the output.

Matching uses only the local advisory database (fill it with 'palisade db import'
or 'db sync'); --offline is accepted for osv-scanner users and changes nothing.
Components whose ecosystem Palisade cannot match are listed in a warning.

Exit code 1 when a finding at or above --fail-on remains (findings decided
not_affected, false_positive or resolved, or under a risk acceptance, do not
count); --fail-on never always exits 0 on a successful scan.`,
		Example: `  palisade scan bom.json
  palisade scan --service checkout sbom.cdx.json image-sbom.spdx.json
  palisade scan trivy.json --format sarif > results.sarif
  palisade scan bom.json --fail-on high --format markdown`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one inventory file ('-' reads standard input)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case formatTable, formatJSON, formatMarkdown, formatSARIF, formatOpenVEX, formatCycloneDXVEX:
			default:
				return usagef("--format %q: use table, json, markdown, sarif, openvex or cyclonedx-vex", format)
			}
			threshold := -1 // never
			if failOn != "never" {
				if threshold = slices.Index(vuln.Severities, failOn); threshold < 0 {
					return usagef("--fail-on %q: use critical, high, medium, low, unknown or never", failOn)
				}
			}
			_ = offline
			var files []vuln.File
			for _, name := range args {
				data, err := e.readLimited(name, sbom.MaxFileSize)
				if err != nil {
					return err
				}
				files = append(files, vuln.File{Name: displayName(name), Data: data})
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.Scan(ctx, files, opt)
				if err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintln(e.stderr, "palisade: warning:", w)
				}
				if err := e.printScan(format, res); err != nil {
					return err
				}
				failing := 0
				for _, f := range res.Findings {
					open := f.State == "" || f.State == vuln.StateInTriage || f.State == vuln.StateExploitable
					if open && vuln.SeverityRank(f.Severity) <= threshold {
						failing++
					}
				}
				if failing > 0 {
					return &checkFailed{msg: fmt.Sprintf("%d findings at or above %s", failing, failOn)}
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opt.Service, "service", "", "record the files as this service's inventory and update its findings")
	fl.BoolVar(&offline, "offline", false, "use only the local advisory database (always the case; for osv-scanner users)")
	fl.StringVar(&opt.Format, "input-format", "", "force the input format: cyclonedx-json, cyclonedx-xml, spdx-json, osv-scanner, trivy, grype")
	fl.StringVar(&format, "format", formatTable, "output: table, json, markdown, sarif, openvex or cyclonedx-vex")
	fl.StringVar(&failOn, "fail-on", "unknown", "exit 1 when an open finding has at least this severity: critical, high, medium, low, unknown (any), never")
	return cmd
}

// readLimited reads a file (or stdin for "-") of at most limit bytes.
func (e *env) readLimited(name string, limit int64) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

func (e *env) printScan(format string, res *vuln.ScanResult) error {
	switch format {
	case formatSARIF:
		v, _ := buildInfo()
		return vuln.WriteSARIF(e.stdout, res, v)
	case formatOpenVEX:
		return vuln.WriteVEX(e.stdout, vuln.ScanStatements(res), vuln.VEXOpenVEX, time.Now())
	case formatCycloneDXVEX:
		return vuln.WriteVEX(e.stdout, vuln.ScanStatements(res), vuln.VEXCycloneDX, time.Now())
	case formatJSON:
		return render(e.stdout, format, res, table{})
	}
	t := table{header: []string{"component", "advisory", "aliases", "severity", "cvss", "kev", "fixed in", "state"}}
	for _, f := range res.Findings {
		cvss, kev := "", ""
		if f.CVSS != nil {
			cvss = fmt.Sprintf("%.1f", *f.CVSS)
		}
		if f.KEV {
			kev = "KEV"
		}
		t.add(f.Purl, f.ID, strings.Join(f.Aliases, " "), f.Severity, cvss, kev, strings.Join(f.Fixed, ", "), f.State)
	}
	if err := render(e.stdout, format, res, t); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d components checked, %d findings.\n", res.Components, len(res.Findings))
	return nil
}

func (e *env) vexCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vex",
		Short: "Apply VEX documents to findings, and export decisions as VEX",
		Long: `VEX (Vulnerability Exploitability eXchange) documents say whether a product is
affected by a vulnerability. Import applies each statement to the findings of its
vulnerability (id or alias) and products (package URLs); export writes every
finding's decision. OpenVEX and CycloneDX VEX (JSON or XML) are read; see
docs/vex.md for how statuses and justifications map.`,
	}
	cmd.AddCommand(e.vexImportCmd(), e.vexExportCmd())
	return cmd
}

func (e *env) vexImportCmd() *cobra.Command {
	var service, format string
	cmd := &cobra.Command{
		Use:     "import FILE",
		Short:   "Apply a VEX document's decisions to findings",
		Example: `  palisade vex import vendor.openvex.json --service checkout`,
		Args:    exactArgs(1, "one VEX file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			data, err := e.readLimited(args[0], vex.MaxFileSize)
			if err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.ImportVEX(ctx, displayName(args[0]), data, service)
				if err != nil {
					return err
				}
				t := table{header: []string{"statements", "findings changed", "already so", "unmatched"}}
				t.add(fmt.Sprint(res.Statements), fmt.Sprint(res.Applied), fmt.Sprint(res.Unchanged), fmt.Sprint(len(res.Unmatched)))
				for _, u := range res.Unmatched {
					fmt.Fprintln(e.stderr, "palisade: no finding for", u)
				}
				return render(e.stdout, format, res, t)
			})
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "apply only to this service's findings")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) vexExportCmd() *cobra.Command {
	var service, format string
	cmd := &cobra.Command{
		Use:     "export",
		Short:   "Write every finding's decision as a VEX document",
		Example: `  palisade vex export --service checkout --format cyclonedx > checkout.vex.json`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				return b.ExportVEX(ctx, e.stdout, service, format)
			})
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's findings (default: all)")
	cmd.Flags().StringVar(&format, "format", vuln.VEXOpenVEX, "openvex or cyclonedx")
	return cmd
}
