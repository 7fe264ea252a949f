package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/identity"
)

func (e *env) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
		Long: `API tokens authenticate the API, the CLI's --server mode and web sign-in.
Palisade stores only a hash of each token: the secret is shown once, at
creation. Roles, each including the rights of the ones before it:

  viewer     read the catalog and every capability's data
  responder  + work incidents, alerts and finding triage
  editor     + change configuration: apply the catalog, policies, objectives
  admin      + manage tokens and read the audit log

A token may be scoped to teams (--team): it then sees and changes only those
teams' services and their findings, and cannot do what spans the whole
organisation (apply the catalog, import advisories, manage tokens, read the
audit log).

Local runs (without --server) act as the operating-system user with admin
rights: whoever can open the database file can change it anyway.`,
	}
	cmd.AddCommand(e.tokenCreateCmd(), e.tokenListCmd(), e.tokenRevokeCmd())
	return cmd
}

func (e *env) tokenCreateCmd() *cobra.Command {
	var role, expires, format string
	var teams []string
	cmd := &cobra.Command{
		Use:   "create NAME --role ROLE",
		Short: "Create a token and print its secret once",
		Example: `  palisade token create ci-pipeline --role editor --expires 90d
  palisade token create payments-ci --role responder --team payments-team
  palisade token create grafana --role viewer --format json`,
		Args: exactArgs(1, "one token name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.CreateToken(ctx, httpapi.CreateTokenRequest{Name: args[0], Role: palisade.Role(role), Teams: teams}, expires)
				if err != nil {
					return err
				}
				if format == formatJSON {
					return render(e.stdout, format, res, table{})
				}
				fmt.Fprintf(e.stdout, "Created token %q (role %s, id %s).\n", res.Token.Name, res.Token.Role, res.Token.ID)
				if res.Token.ExpiresAt != nil {
					fmt.Fprintf(e.stdout, "It expires at %s.\n", res.Token.ExpiresAt.Format(time.RFC3339))
				}
				fmt.Fprintf(e.stdout, "Secret (shown only now; store it safely):\n\n  %s\n\n", res.Secret)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "viewer, responder, editor or admin (required)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime such as 90d, 12h or 30m (default: no expiry)")
	cmd.Flags().StringSliceVar(&teams, "team", nil, "scope the token to these teams' services (repeatable; default: all teams)")
	cmd.MarkFlagRequired("role")
	addFormatFlag(cmd, &format)
	return cmd
}

// parseTTL accepts Go durations and a "d" suffix for days.
func parseTTL(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 3650 {
			return 0, palisade.FieldErrorf(palisade.EINVALID, "expires", "%q: use a number of days from 1 to 3650 such as 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, palisade.FieldErrorf(palisade.EINVALID, "expires", "%q: use a positive duration such as 90d, 12h or 30m", s)
	}
	return d, nil
}

func (e *env) tokenListCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				tokens, err := b.ListTokens(ctx)
				if err != nil {
					return err
				}
				t := table{header: []string{"id", "name", "role", "hint", "status", "created", "expires", "last used", "created by"}}
				now := time.Now()
				for _, tok := range tokens {
					t.add(tok.ID, tok.Name, string(tok.Role), tok.Hint, tokenStatus(&tok, now), tok.CreatedAt.Format(time.RFC3339),
						fmtTime(tok.ExpiresAt), fmtTime(tok.LastUsedAt), tok.CreatedBy)
				}
				return render(e.stdout, format, tokens, t)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func tokenStatus(t *identity.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !t.Active(now):
		return "expired"
	}
	return "active"
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func (e *env) tokenRevokeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "revoke ID|NAME",
		Short:   "Revoke a token and end its web sessions",
		Example: `  palisade token revoke ci-pipeline`,
		Args:    exactArgs(1, "one token id or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				t, err := b.RevokeToken(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Revoked token %q (id %s).\n", t.Name, t.ID)
				return nil
			})
		},
	}
	return cmd
}
