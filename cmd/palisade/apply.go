package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/httpapi"
)

func (e *env) applyCmd() *cobra.Command {
	var files, backstage []string
	var prune, dryRun bool
	var format string
	cmd := &cobra.Command{
		Use:   "apply -f FILE... | --import-backstage FILE...",
		Short: "Make the catalog match files of teams, services and third parties",
		Long: `Apply reads catalog files (palisade.yaml, see docs/catalog.md) and makes the stored
catalog match them: it creates and updates what the files declare and reports,
per kind, what was created, updated, unchanged or deleted.

Apply is idempotent and all-or-nothing: if any file has an error, it prints
every error with file:line:column and changes nothing. Objects the files do not
declare are kept unless --prune is given. --import-backstage reads Backstage
catalog descriptors (Group, User, Component, Resource, System, API) into the
same model. '-' reads standard input.`,
		Example: `  palisade apply -f examples/palisade.yaml
  palisade apply -f teams.yaml -f services.yaml --prune --dry-run
  palisade apply --import-backstage catalog-info.yaml components/*.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if len(files) == 0 && len(backstage) == 0 {
				return usagef("nothing to apply: give -f FILE or --import-backstage FILE")
			}
			doc, err := e.readCatalog(files, backstage)
			if err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.Apply(ctx, doc, catalog.ApplyOptions{Prune: prune, DryRun: dryRun})
				if err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintln(e.stderr, "palisade: warning:", w)
				}
				return render(e.stdout, format, res, applyTable(res))
			})
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "palisade.yaml catalog file (repeatable, '-' for stdin)")
	cmd.Flags().StringArrayVar(&backstage, "import-backstage", nil, "Backstage catalog descriptor file (repeatable)")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete stored objects the files do not declare")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change without changing anything")
	addFormatFlag(cmd, &format)
	return cmd
}

func applyTable(res *httpapi.ApplyResponse) table {
	t := table{header: []string{"kind", "created", "updated", "unchanged", "deleted"}}
	kinds := make([]string, 0, len(res.Summary))
	for k := range res.Summary {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		c := res.Summary[k]
		t.add(k, fmt.Sprint(c.Created), fmt.Sprint(c.Updated), fmt.Sprint(c.Unchanged), fmt.Sprint(c.Deleted))
	}
	if res.DryRun {
		t.add("(dry run: nothing was changed)", "", "", "", "")
	}
	return t
}

// readCatalog reads and merges every file into one document; it reports
// every file's errors, not only the first file's.
func (e *env) readCatalog(files, backstage []string) (*catalog.Document, error) {
	doc := &catalog.Document{}
	var errs palisade.Errors
	read := func(name string, parse func(string, []byte) (*catalog.Document, error)) {
		data, err := e.readFile(name)
		if err != nil {
			errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, name, "%v", err))
			return
		}
		d, err := parse(displayName(name), data)
		if err != nil {
			var many palisade.Errors
			var one *palisade.Error
			switch {
			case errors.As(err, &many):
				errs = append(errs, many...)
			case errors.As(err, &one):
				errs = append(errs, one)
			default:
				errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, name, "%v", err))
			}
			return
		}
		doc.Merge(d)
	}
	for _, f := range files {
		read(f, parseCatalogFile)
	}
	if len(backstage) > 0 {
		data := map[string][]byte{}
		for _, f := range backstage {
			b, err := e.readFile(f)
			if err != nil {
				errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, f, "%v", err))
				continue
			}
			data[displayName(f)] = b
		}
		if len(errs) == 0 {
			d, err := catalog.ParseBackstageFiles(data)
			if err != nil {
				return nil, err
			}
			doc.Merge(d)
		}
	}
	return doc, errs.Err()
}

// parseCatalogFile picks the parser by extension: .json is JSON, anything
// else YAML.
func parseCatalogFile(name string, data []byte) (*catalog.Document, error) {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return catalog.ParseJSON(name, data)
	}
	return catalog.ParseYAML(name, data)
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// readFile reads a file (or stdin for "-") up to the catalog size limit.
func (e *env) readFile(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, catalog.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > catalog.MaxFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes", catalog.MaxFileSize)
	}
	return data, nil
}
