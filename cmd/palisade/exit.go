package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/palisade-project/palisade"
)

// Exit codes, documented in `palisade --help` and docs/cli.md.
const (
	exitOK    = 0
	exitCheck = 1 // the command ran and its check failed (audit verify found tampering)
	exitUsage = 2 // usage, input or environment error: the command could not do its job
)

// checkFailed is returned by commands whose check failed; its message has
// already been printed in the command's format.
type checkFailed struct{ msg string }

func (e *checkFailed) Error() string { return e.msg }

// exitCode maps a command's error to the process exit code and prints it to
// stderr in one line.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var cf *checkFailed
	if errors.As(err, &cf) {
		if cf.msg != "" {
			fmt.Fprintln(stderr, "palisade:", cf.msg)
		}
		return exitCheck
	}
	var errs palisade.Errors
	if errors.As(err, &errs) && len(errs) > 1 {
		for _, e := range errs {
			fmt.Fprintln(stderr, "palisade:", e.Error())
		}
		return exitUsage
	}
	fmt.Fprintln(stderr, "palisade:", oneLine(err.Error()))
	return exitUsage
}

func oneLine(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
