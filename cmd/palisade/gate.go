package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/vuln"
	"github.com/palisade-project/palisade/vuln/sbom"
)

func (e *env) gateCmd() *cobra.Command {
	var req gate.Request
	var files []string
	var format string
	cmd := &cobra.Command{
		Use:   "gate --service NAME --sbom FILE",
		Short: "Decide whether a change may ship: pass, warn or fail, with reasons",
		Long: `Gate compares the change's inventory (--sbom: an SBOM or scanner output; repeat
for several) with the service's current one, applies VEX decisions and risk
acceptances, reads the service's security SLO budgets, and decides with the
service's policy (the default, or rules in palisade.yaml's gates section):

  fail  the change adds an open critical or KEV-listed finding, or adds any
        finding while a security SLO of the service has exhausted its budget
  warn  it adds open high findings, an SLO is in warning, incidents are open
  pass  otherwise; a change that only removes findings is never blocked

Missing data (no current inventory, SLOs unavailable) fails closed unless the
policy says otherwise. Every decision is recorded and audited.

Exit code 0 for pass or warn, 1 for fail, 2 for a usage or input error.
--format markdown makes a pull-request comment. See docs/gate.md.`,
		Example: `  palisade gate --service checkout --sbom bom.cdx.json --change "$CI_MERGE_REQUEST_IID"
  palisade gate --service checkout --sbom bom.json --format markdown > comment.md`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "text", formatJSON, formatMarkdown:
			default:
				return usagef("--format %q: use text, json or markdown", format)
			}
			if len(files) == 0 {
				return usagef("give the change's inventory with --sbom FILE")
			}
			for _, name := range files {
				data, err := e.readLimited(name, sbom.MaxFileSize)
				if err != nil {
					return err
				}
				req.Files = append(req.Files, vuln.File{Name: displayName(name), Data: data})
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				rec, err := b.Gate(ctx, req)
				if err != nil {
					return err
				}
				switch format {
				case formatJSON:
					err = render(e.stdout, format, rec, table{})
				case formatMarkdown:
					_, err = fmt.Fprint(e.stdout, rec.Decision.Markdown())
				default:
					_, err = fmt.Fprint(e.stdout, rec.Decision.Text())
				}
				if err != nil {
					return err
				}
				if rec.Outcome == gate.Fail {
					return &checkFailed{msg: fmt.Sprintf("gate failed for %s (decision %s)", rec.Service, rec.ID)}
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Service, "service", "", "the service the change is for (required)")
	fl.StringArrayVar(&files, "sbom", nil, "the change's inventory: SBOM or scanner output (repeatable; '-' for stdin)")
	fl.StringVar(&req.Change, "change", "", "an id for the change (pull request, commit)")
	fl.StringVar(&format, "format", "text", "text, json or markdown")
	cmd.MarkFlagRequired("service")
	return cmd
}
