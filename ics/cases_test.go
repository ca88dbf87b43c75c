package ics

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// casesFile is testdata/cases.json: every ICS file of testdata with the
// expected result.
type casesFile struct {
	Schema        string     `json:"schema"`
	Notes         string     `json:"notes"`
	NumberOfCases int        `json:"numberOfCases"`
	Cases         []caseSpec `json:"cases"`
}

type caseSpec struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	File    string   `json:"file"`
	Result  string   `json:"result"` // valid | invalid
	Errors  []string `json:"errors"` // substrings of the joined error
	Count   int      `json:"count"`  // number of problems (invalid only)
}

func loadCases(t *testing.T) []caseSpec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cf casesFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	if cf.NumberOfCases != len(cf.Cases) {
		t.Fatalf("cases.json: numberOfCases %d, but %d cases", cf.NumberOfCases, len(cf.Cases))
	}
	return cf.Cases
}

// problems returns the individual errors of a Parse error.
func problems(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// longHex matches what could be key material: 16 or more hex digits.
var longHex = regexp.MustCompile(`(?i)[0-9a-f]{16,}`)

func TestCases(t *testing.T) {
	cases := loadCases(t)
	var invalid int
	seen := map[string]bool{}
	ids := map[int]bool{}
	for _, tc := range cases {
		if ids[tc.TcID] {
			t.Errorf("tcId %d used twice", tc.TcID)
		}
		ids[tc.TcID] = true
		seen[filepath.Clean(tc.File)] = true
		path := filepath.Join("testdata", tc.File)
		t.Run(strings.TrimSuffix(filepath.Base(tc.File), ".yaml"), func(t *testing.T) {
			got, err := Load(path)
			switch tc.Result {
			case "valid":
				if err != nil {
					t.Fatalf("tcId %d (%s): want valid, got:\n%v", tc.TcID, tc.Comment, err)
				}
				if got.Source != path {
					t.Errorf("Source = %q, want %q", got.Source, path)
				}
			case "invalid":
				invalid++
				if err == nil {
					t.Fatalf("tcId %d (%s): want invalid, parsed", tc.TcID, tc.Comment)
				}
				if got != nil {
					t.Errorf("tcId %d: an invalid ICS returned a value", tc.TcID)
				}
				msg := err.Error()
				for _, want := range tc.Errors {
					if !strings.Contains(msg, want) {
						t.Errorf("tcId %d (%s): error does not contain %q:\n%s", tc.TcID, tc.Comment, want, msg)
					}
				}
				ps := problems(err)
				if tc.Count != 0 && len(ps) != tc.Count {
					t.Errorf("tcId %d (%s): %d problems, want %d:\n%s", tc.TcID, tc.Comment, len(ps), tc.Count, msg)
				}
				for _, p := range ps {
					var fe *FieldError
					if !errors.As(p, &fe) {
						t.Errorf("tcId %d: problem %q is not a *FieldError", tc.TcID, p)
						continue
					}
					if fe.File != path || !strings.HasPrefix(p.Error(), path+":") {
						t.Errorf("tcId %d: problem %q does not name the file %s", tc.TcID, p, path)
					}
				}
				if m := longHex.FindString(msg); m != "" {
					t.Errorf("tcId %d: error repeats hex that may be key material (%d digits)", tc.TcID, len(m))
				}
			default:
				t.Fatalf("tcId %d: unknown result %q", tc.TcID, tc.Result)
			}
		})
	}
	if invalid < 12 {
		t.Errorf("only %d invalid cases", invalid)
	}
	// Every ICS file in testdata is a listed case.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, f := range files {
		if rel, _ := filepath.Rel("testdata", f); !seen[rel] {
			t.Errorf("%s is not listed in cases.json", f)
		}
	}
	if !seen[filepath.Clean("../default.yaml")] {
		t.Error("cases.json does not list the default ICS")
	}
}

// TestErrorsSorted checks that problems come in file order.
func TestErrorsSorted(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "many-errors.yaml"))
	var lines []int
	for _, p := range problems(err) {
		var fe *FieldError
		if errors.As(p, &fe) {
			lines = append(lines, fe.Line)
		}
	}
	if len(lines) < 2 || !slices.IsSorted(lines) {
		t.Errorf("problem lines %v are not in file order", lines)
	}
}
