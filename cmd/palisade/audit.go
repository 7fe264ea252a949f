package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/vuln"
)

func (e *env) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read and verify the tamper-evident audit log",
		Long: `Every change to Palisade (who, what, before and after, when, from where) is
appended to the audit log in the same transaction as the change. Each entry is
chained to the one before with SHA-256, so editing, removing or reordering an
entry breaks the chain; 'audit verify' finds the first broken entry.`,
	}
	cmd.AddCommand(e.auditVerifyCmd(), e.auditLogCmd(), e.auditReportCmd())
	return cmd
}

func (e *env) auditVerifyCmd() *cobra.Command {
	var expect, format string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit chain; exit 1 naming the first bad entry",
		Long: `Verify recomputes every entry's hash and link. It exits 0 when the chain is
intact and 1 when an entry was edited, removed or reordered, naming the first
bad entry. Someone able to write the database could rewrite the whole chain; to
detect that too, keep the head it prints (SEQ:HASH) somewhere else and pass it
back with --expect.`,
		Example: `  palisade audit verify
  palisade audit verify --expect 1042:9f86d081884c7d65...`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var want *auditlog.Head
			if expect != "" {
				seq, hash, ok := strings.Cut(expect, ":")
				n, err := strconv.ParseInt(seq, 10, 64)
				if !ok || err != nil || n <= 0 || len(hash) != 64 {
					return usagef("--expect %q: use SEQ:HASH as printed by a previous verify", expect)
				}
				want = &auditlog.Head{Seq: n, Hash: hash}
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.VerifyAudit(ctx, want)
				if err != nil {
					return err
				}
				t := table{header: []string{"result", "entries checked", "head"}}
				head := fmt.Sprintf("%d:%s", res.Head.Seq, res.Head.Hash)
				if res.OK {
					t.add("intact", fmt.Sprint(res.Checked), head)
				} else {
					t.add("BROKEN at entry "+fmt.Sprint(res.Problem.Seq), fmt.Sprint(res.Checked), head)
				}
				if err := render(e.stdout, format, res, t); err != nil {
					return err
				}
				if !res.OK {
					return &checkFailed{msg: res.Problem.Error()}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&expect, "expect", "", "a head SEQ:HASH recorded earlier that the chain must still contain")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) auditLogCmd() *cobra.Command {
	var f auditlog.Filter
	var since, until, format string
	var cursor int64
	cmd := &cobra.Command{
		Use:   "log",
		Short: "List audit entries, newest first",
		Example: `  palisade audit log --kind service --object checkout
  palisade audit log --action token. --since 2026-11-01T00:00:00Z --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			for _, p := range []struct {
				flag string
				val  string
				dst  *time.Time
			}{{"since", since, &f.Since}, {"until", until, &f.Until}} {
				if p.val == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.val)
				if err != nil {
					return usagef("--%s %q: use an RFC 3339 time such as 2026-11-27T10:00:00Z", p.flag, p.val)
				}
				*p.dst = t
			}
			f.Before = cursor
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				entries, next, err := b.AuditLog(ctx, f)
				if err != nil {
					return err
				}
				t := table{header: []string{"seq", "at", "actor", "address", "action", "object"}}
				for _, en := range entries {
					t.add(fmt.Sprint(en.Seq), en.At.Format(time.RFC3339), en.Actor, en.Address, en.Action, en.Object)
				}
				return e.renderPage(format, entries, next, "entries", t)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Actor, "actor", "", "only this actor (kind:name, such as token:ci or cli:alice@host)")
	fl.StringVar(&f.Action, "action", "", "only this action (service.update), or a prefix ending in '.' (token.)")
	fl.StringVar(&f.Kind, "kind", "", "only objects of this kind (service, team, thirdParty, token)")
	fl.StringVar(&f.Object, "object", "", "only this object name")
	fl.StringVar(&since, "since", "", "only entries at or after this RFC 3339 time")
	fl.StringVar(&until, "until", "", "only entries before this RFC 3339 time")
	fl.IntVar(&f.Limit, "limit", 50, "entries per page (at most 1000)")
	fl.Int64Var(&cursor, "cursor", 0, "continue after a previous page")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) auditReportCmd() *cobra.Command {
	var from, to, service, format, out string
	cmd := &cobra.Command{
		Use:   "report --from DATE --to DATE",
		Short: "The vulnerability audit report of a period",
		Long: `Report lists, for every advisory that touched the scope in the period, what
became of each finding by the end of it — resolved, not affected with the
justification, false positive, accepted with reason, approver and expiry, or
still open — with its dates and whether the deadline held; a summary; and the
audit-log head the report was built from, so a reader can check the log with
'palisade audit verify --expect SEQ:HASH'. The HTML is a printable page.`,
		Example: `  palisade audit report --from 2026-10-01 --to 2026-12-31 --format html -o q4.html
  palisade audit report --from 2026-10-01 --to 2026-12-31 --service checkout --format csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case vuln.ReportHTML, vuln.ReportMarkdown, vuln.ReportJSON, vuln.ReportCSV:
			default:
				return usagef("--format %q: use html, markdown, json or csv", format)
			}
			f, err := parseDateFlag("from", from)
			if err != nil {
				return err
			}
			t, err := parseDateFlag("to", to)
			if err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				rep, err := b.Report(ctx, f, t, service)
				if err != nil {
					return err
				}
				w := e.stdout
				if out != "" && out != "-" {
					file, err := os.Create(out)
					if err != nil {
						return err
					}
					defer file.Close()
					w = file
				}
				return vuln.WriteReport(w, rep, format)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "start of the period (YYYY-MM-DD or RFC 3339; required)")
	fl.StringVar(&to, "to", "", "end of the period (required)")
	fl.StringVar(&service, "service", "", "only this service")
	fl.StringVar(&format, "format", "markdown", "html, markdown, json or csv")
	fl.StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}
