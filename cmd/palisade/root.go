package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade"
)

// env holds the process environment and streams, injected for tests.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	db     string
	server string
	token  string

	// onReady, when set, receives the address serve listens on (tests
	// listen on port 0).
	onReady func(addr string)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := e.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && isUsageError(err) {
		fmt.Fprintf(stderr, "palisade: %s\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
		return exitUsage
	}
	return exitCode(err, stderr)
}

func (e *env) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "palisade",
		Short: "Run security the way SRE runs reliability",
		Long: `Palisade keeps a security team's loop in one place: the catalog of services,
teams and third parties; the CVE process; security SLOs with error budgets and
a change gate; security chaos experiments; third-party watch; incidents and
blameless retrospectives.

Commands work directly on a database (--db, SQLite by default) or against a
running server (--server URL --token T).

Exit codes: 0 ok; 1 the command's check failed (for example 'audit verify'
found tampering); 2 usage, input or environment error (bad flags, invalid
file, unreachable database or server, missing or insufficient token).`,
		Example: `  # Start Palisade on the embedded SQLite database with the example catalog
  palisade serve --config examples/palisade.yaml

  # Apply a catalog to a running server
  palisade apply -f palisade.yaml --server https://palisade.example.com --token $PALISADE_TOKEN`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagErr)
	pf := root.PersistentFlags()
	pf.StringVar(&e.db, "db", e.envOr("PALISADE_DB", "palisade.db"), "database: a SQLite file path or a postgres:// URL (env PALISADE_DB)")
	pf.StringVar(&e.server, "server", e.getenv("PALISADE_SERVER"), "URL of a running Palisade server to talk to instead of --db (env PALISADE_SERVER)")
	pf.StringVar(&e.token, "token", "", "API token for --server (env PALISADE_TOKEN; prefer the variable, flags show in process lists)")
	root.AddCommand(e.serveCmd(), e.applyCmd(), e.scanCmd(), e.findingsCmd(), e.vexCmd(), e.dbCmd(), e.sloCmd(), e.gateCmd(), e.incidentCmd(), e.retroCmd(), e.tokenCmd(), e.auditCmd(), e.versionCmd())
	return root
}

func (e *env) envOr(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// tokenValue returns --token or PALISADE_TOKEN.
func (e *env) tokenValue() string {
	if e.token != "" {
		return e.token
	}
	return e.getenv("PALISADE_TOKEN")
}

// cliActor is who makes changes from a local CLI run: whoever can open the
// database file has every right, and the audit log records their login.
func cliActor() palisade.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return palisade.Actor{Kind: "cli", Name: name, Role: palisade.RoleAdmin, Address: "local"}
}
