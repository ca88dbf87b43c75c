package harness

import (
	"strings"
	"testing"
)

func TestLabelSafe(t *testing.T) {
	if got := LabelSafe("JR/T 0025.12 (qPBOC), x&y|z!"); strings.ContainsAny(got, "&|!,()/ ") {
		t.Errorf("LabelSafe = %q", got)
	}
}

func TestFilter(t *testing.T) {
	// No suites are linked into this test binary, so any suite is unknown.
	if _, err := Filter([]string{"emv"}, ""); err == nil || !strings.Contains(err.Error(), "unknown suite") {
		t.Errorf("unknown suite: %v", err)
	}
	if _, err := Filter(nil, "(("); err == nil {
		t.Error("malformed filter accepted")
	}
	if f, err := Filter(nil, "tc:EMV-ONL-001"); err != nil || f != "tc:EMV-ONL-001" {
		t.Errorf("Filter = %q, %v", f, err)
	}
}

func TestSessionRandIsSeeded(t *testing.T) {
	a, b := NewSession("ref:", nil, 42), NewSession("ref:", nil, 42)
	if string(a.Rand(16)) != string(b.Rand(16)) {
		t.Error("same seed, different random data")
	}
	if string(NewSession("ref:", nil, 43).Rand(16)) == string(NewSession("ref:", nil, 42).Rand(16)) {
		t.Error("different seeds, same random data")
	}
}
