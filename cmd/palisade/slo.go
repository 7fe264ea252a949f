package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/slo/openslo"
)

func (e *env) sloCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slo",
		Short: "Security SLOs: objectives, error budgets, burn rates",
		Long: `A security SLO holds an indicator to an objective over a window: remediation
within deadline, exposure-free time, control checks (MFA, TLS, ...), pushed
events, or a Prometheus ratio. Palisade computes the SLI, the error budget left
(1 - error ratio / (1 - objective)), the burn rate over each alert window (error
ratio / (1 - objective)), and raises multi-window multi-burn-rate alerts.
Declare SLOs in palisade.yaml (slos:) and apply them; see docs/slo.md.`,
	}
	cmd.AddCommand(e.sloListCmd(), e.sloShowCmd(), e.sloPushCmd(), e.sloCheckCmd(), e.sloRulesCmd(), e.sloImportCmd(), e.sloExportCmd())
	return cmd
}

func pct(x *float64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f%%", *x*100)
}

func (e *env) sloListCmd() *cobra.Command {
	var service, format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List SLOs with objective, SLI, budget left and status",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				views, err := b.SLOs(ctx, service)
				if err != nil {
					return err
				}
				t := table{header: []string{"name", "service", "indicator", "objective", "window", "sli", "budget left", "status"}}
				for _, v := range views {
					obj := v.SLO.Objective
					t.add(v.SLO.Name, v.SLO.Service, v.SLO.Indicator.Kind, pct(&obj), v.SLO.Window.String(), pct(v.Status.SLI),
						pct(v.Status.ErrorBudgetRemaining), v.Status.Status)
				}
				return render(e.stdout, format, views, t)
			})
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's SLOs")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) sloShowCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Evaluate an SLO now: SLI, budget, burn rates, alerts",
		Args:  exactArgs(1, "one SLO name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				v, err := b.SLO(ctx, args[0])
				if err != nil {
					return err
				}
				st := v.Status
				t := table{header: []string{"field", "value"}}
				obj := st.Objective
				t.add("slo", v.SLO.Name+" ("+v.SLO.Service+")")
				t.add("status", st.Status+" "+st.Reason)
				t.add("objective", pct(&obj)+" over "+v.SLO.Window.String())
				t.add("sli", fmt.Sprintf("%s (%g good of %g)", pct(st.SLI), st.Period.Good, st.Period.Total))
				t.add("budget left", pct(st.ErrorBudgetRemaining))
				if st.TimeToExhaustion != nil {
					t.add("exhausted in", st.TimeToExhaustion.String()+" at the 1h burn rate")
				}
				var ws []string
				for _, w := range slo.BurnWindows() {
					if br, ok := st.BurnRates[slo.Duration(w).String()]; ok {
						ws = append(ws, fmt.Sprintf("%s %.2f", slo.Duration(w), br))
					}
				}
				t.add("burn rates", strings.Join(ws, ", "))
				for _, a := range st.Alerts {
					t.add("ALERT "+a.Severity, fmt.Sprintf("burn %.2f over %s and %.2f over %s exceed %.2f", a.LongBurn, slo.Duration(a.Long), a.ShortBurn, slo.Duration(a.Short), a.Factor))
				}
				return render(e.stdout, format, v, t)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) sloPushCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "push NAME FILE",
		Short: "Push good/total events to an SLO from a JSON file ('-' for stdin)",
		Long: `The file holds {"events": [{"time": "RFC 3339", "good": 995, "total": 1000,
"id": "optional idempotency key"}]}, as POST /api/v1/slos/{name}/events takes it.
An event with an id seen in the last 7 days is not counted again.`,
		Args: exactArgs(2, "an SLO name and a file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := e.readLimited(args[1], httpapi.MaxEventsBody)
			if err != nil {
				return err
			}
			var req httpapi.EventsRequest
			if err := httpapi.DecodeStrict(data, &req); err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.PushEvents(ctx, args[0], req.Events)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%d events received, %d counted, %d already seen.\n", res.Received, res.Counted, res.Duplicate)
				return nil
			})
		},
	}
	return cmd
}

func (e *env) sloCheckCmd() *cobra.Command {
	var ok, failed bool
	var at string
	cmd := &cobra.Command{
		Use:   "check SERVICE CHECK --ok|--failed",
		Short: "Record a control check result (MFA enforced, TLS valid, ...) for a service",
		Example: `  palisade slo check checkout mfa --ok
  palisade slo check checkout tls --failed --at 2026-11-27T10:00:00Z`,
		Args: exactArgs(2, "a service and a check name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ok == failed {
				return usagef("give exactly one of --ok and --failed")
			}
			r := slo.CheckResult{Check: args[1], OK: ok}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usagef("--at %q: use an RFC 3339 time", at)
				}
				r.Time = t
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				_, err := b.PushChecks(ctx, args[0], []slo.CheckResult{r})
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&ok, "ok", false, "the check passed")
	cmd.Flags().BoolVar(&failed, "failed", false, "the check failed")
	cmd.Flags().StringVar(&at, "at", "", "when (RFC 3339; default now)")
	return cmd
}

func (e *env) sloRulesCmd() *cobra.Command {
	var service, format string
	cmd := &cobra.Command{
		Use:   "rules --format prometheus",
		Short: "Write Prometheus recording and alerting rules for the Prometheus-backed SLOs",
		Long: `Rules writes a Prometheus rule file: the error ratio of each Prometheus-backed SLO
over every burn window, its budget and burn rates as recording rules, and the
multi-window multi-burn-rate page and ticket alerts, with factors scaled to the
SLO's period. Check it with 'promtool check rules'. See docs/slo-prometheus.md.`,
		Example: `  palisade slo rules --format prometheus > /etc/prometheus/rules/palisade.yml && promtool check rules /etc/prometheus/rules/palisade.yml`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "prometheus" {
				return usagef("--format %q: the only rule format is prometheus", format)
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				out, err := b.PrometheusRules(ctx, service)
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(out)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's SLOs")
	cmd.Flags().StringVar(&format, "format", "prometheus", "rule format: prometheus")
	return cmd
}

func (e *env) sloImportCmd() *cobra.Command {
	var prune bool
	var format string
	cmd := &cobra.Command{
		Use:     "import FILE",
		Short:   "Import SLOs from OpenSLO v1 documents",
		Example: `  palisade slo import slos.openslo.yaml`,
		Args:    exactArgs(1, "one OpenSLO file ('-' for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			data, err := e.readLimited(args[0], openslo.MaxSize)
			if err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.ImportOpenSLO(ctx, displayName(args[0]), data, prune)
				if err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintln(e.stderr, "palisade: warning:", w)
				}
				t := table{header: []string{"created", "updated", "deleted"}}
				t.add(fmt.Sprint(res.Created), fmt.Sprint(res.Updated), fmt.Sprint(res.Deleted))
				return render(e.stdout, format, res, t)
			})
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "delete SLOs the file does not declare")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) sloExportCmd() *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:     "export",
		Short:   "Write the SLOs as OpenSLO v1 documents",
		Example: `  palisade slo export --service checkout > checkout.openslo.yaml`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				out, err := b.ExportOpenSLO(ctx, service)
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(out)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service's SLOs")
	return cmd
}
