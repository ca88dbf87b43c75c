package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/paycert/paycert/reports"
	"github.com/paycert/paycert/requirements"
	"github.com/paycert/paycert/vectors"
)

// ICSCopy is the name of the redacted ICS in a report directory.
const ICSCopy = "ics.yaml"

// unknown stands for what the build or the machine did not tell.
const unknown = "unknown"

// toolOf identifies the running binary: the given version and, from its
// build information, the VCS revision, whether the work tree was modified,
// the module checksum and the Go toolchain ("unknown" for each the build
// did not record, as under go test).
func toolOf(version string) reports.Tool {
	t := reports.Tool{Name: "paycert certify", Version: version, Revision: unknown, Modified: unknown, Sum: unknown, GoVersion: unknown}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return t
	}
	t.GoVersion = bi.GoVersion
	if bi.Main.Sum != "" {
		t.Sum = bi.Main.Sum
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			t.Revision = s.Value
		case "vcs.modified":
			t.Modified = s.Value
		}
	}
	return t
}

// hostName returns the machine's name, or "unknown".
func hostName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return unknown
}

// inputsOf digests the run's inputs: every embedded vector file and, when
// the session has an ICS, the ICS as read, whose redacted copy it writes
// into dir as ICSCopy.
func inputsOf(s *Session, dir string) (reports.Inputs, error) {
	var in reports.Inputs
	err := fs.WalkDir(vectors.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := vectors.FS.ReadFile(p)
		if err != nil {
			return err
		}
		in.Vectors = append(in.Vectors, reports.FileDigest{Name: "vectors/" + p, SHA256: digest(b)})
		return nil
	})
	if err != nil {
		return in, fmt.Errorf("vectors: %w", err)
	}
	if s.ICS == nil {
		return in, nil
	}
	red, err := s.ICS.Redacted()
	if err != nil {
		return in, err
	}
	if err := reports.WriteFileAtomic(filepath.Join(dir, ICSCopy), red); err != nil {
		return in, err
	}
	in.ICS = &reports.ICSInput{Source: s.ICS.Source, SHA256: s.ICS.SHA256(), Copy: ICSCopy, CopySHA256: digest(red)}
	return in, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// traceability lays out the matrix for a report: every requirement of the
// catalogue with the test cases of the catalogue that cite it, then any
// requirement a test case cites that the catalogue lacks (a test keeps
// there being none). The verdicts and statuses are left to
// reports.Report.Recount.
func traceability(cat *requirements.Catalogue, cases []TestCase) []reports.Trace {
	citing := map[string][]reports.TraceCase{}
	var uncatalogued []string
	for _, tc := range cases {
		for _, id := range tc.Requirements {
			if _, ok := cat.Lookup(id); !ok && citing[id] == nil {
				uncatalogued = append(uncatalogued, id)
			}
			citing[id] = append(citing[id], reports.TraceCase{ID: tc.ID})
		}
	}
	var out []reports.Trace
	for _, r := range cat.All() {
		out = append(out, reports.Trace{ID: r.ID, Document: r.Document, Clause: r.Clause, Paraphrase: r.Paraphrase, Cases: citing[r.ID]})
	}
	for _, id := range uncatalogued {
		out = append(out, reports.Trace{ID: id, Paraphrase: "not in the requirements catalogue", Cases: citing[id]})
	}
	return out
}
