package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/requirements"
)

func TestTraceabilityLayout(t *testing.T) {
	cat, err := requirements.Parse([]byte("groups: [{title: g, requirements: [{id: A, document: d, paraphrase: p}, {id: B, document: d, paraphrase: p}]}]"))
	if err != nil {
		t.Fatal(err)
	}
	tr := traceability(cat, []TestCase{
		{ID: "X-1", Requirements: []string{"A", "Z"}},
		{ID: "X-2", Requirements: []string{"A"}},
	})
	if len(tr) != 3 || tr[0].ID != "A" || len(tr[0].Cases) != 2 || tr[1].ID != "B" || len(tr[1].Cases) != 0 {
		t.Fatalf("matrix %+v", tr)
	}
	if tr[2].ID != "Z" || tr[2].Paraphrase != "not in the requirements catalogue" {
		t.Errorf("uncatalogued requirement: %+v", tr[2])
	}
}

func TestInputs(t *testing.T) {
	dir := t.TempDir()
	s := NewSession("ref:", nil, 1)
	s.ICS = ics.Default()
	in, err := inputsOf(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Vectors) == 0 || !strings.HasPrefix(in.Vectors[0].Name, "vectors/") || len(in.Vectors[0].SHA256) != 64 {
		t.Errorf("vectors %+v", in.Vectors)
	}
	if in.ICS == nil || in.ICS.SHA256 != s.ICS.SHA256() || in.ICS.Copy != ICSCopy {
		t.Fatalf("ics %+v", in.ICS)
	}
	b, err := os.ReadFile(filepath.Join(dir, ICSCopy))
	if err != nil || digest(b) != in.ICS.CopySHA256 || !strings.Contains(string(b), "KCV 08D7B4") {
		t.Errorf("copy: %v %s", err, b)
	}
	tool := toolOf("v1")
	if tool.Version != "v1" || tool.Revision == "" || tool.Sum == "" {
		t.Errorf("tool %+v", tool)
	}
}
