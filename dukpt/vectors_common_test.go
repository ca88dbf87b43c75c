package dukpt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paycert/paycert/vectors"
)

// vectorFile is the Wycheproof-like header shared by paycert vector files.
type vectorFile struct {
	Algorithm     string            `json:"algorithm"`
	NumberOfTests int               `json:"numberOfTests"`
	Notes         map[string]string `json:"notes"`
	TestGroups    []json.RawMessage `json:"testGroups"`
}

type groupHeader struct {
	Type  string            `json:"type"`
	Tests []json.RawMessage `json:"tests"`
}

type testHeader struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"`
}

// vectorRun loads a vector file, checks its bookkeeping (tcId unique,
// numberOfTests right, every flag documented in notes, result valid or
// invalid) and, when the test finishes, that every test case was run.
type vectorRun struct {
	t    *testing.T
	file vectorFile
	mu   sync.Mutex
	ran  map[int]bool
	want map[int]bool
}

func loadVectors(t *testing.T, name string) *vectorRun {
	t.Helper()
	raw, err := vectors.Read(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	v := &vectorRun{t: t, ran: map[int]bool{}, want: map[int]bool{}}
	if err := json.Unmarshal(raw, &v.file); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	total := 0
	for _, g := range v.file.TestGroups {
		var gh groupHeader
		if err := json.Unmarshal(g, &gh); err != nil {
			t.Fatalf("%s: group: %v", name, err)
		}
		for _, raw := range gh.Tests {
			var th testHeader
			if err := json.Unmarshal(raw, &th); err != nil {
				t.Fatalf("%s: test: %v", name, err)
			}
			total++
			if v.want[th.TcID] {
				t.Errorf("%s: duplicate tcId %d", name, th.TcID)
			}
			v.want[th.TcID] = true
			if th.Result != "valid" && th.Result != "invalid" {
				t.Errorf("%s: tcId %d: result %q", name, th.TcID, th.Result)
			}
			if th.Comment == "" {
				t.Errorf("%s: tcId %d: no comment", name, th.TcID)
			}
			for _, f := range th.Flags {
				if _, ok := v.file.Notes[f]; !ok {
					t.Errorf("%s: tcId %d: flag %q not described in notes", name, th.TcID, f)
				}
			}
		}
	}
	if total != v.file.NumberOfTests {
		t.Errorf("%s: numberOfTests = %d, file has %d tests", name, v.file.NumberOfTests, total)
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for id := range v.want {
			if !v.ran[id] {
				t.Errorf("%s: tcId %d was not run", name, id)
			}
		}
	})
	return v
}

// groups decodes every group of the given type into a fresh G and calls fn.
func forGroups[G any](v *vectorRun, typ string, fn func(g G, tests []json.RawMessage)) {
	v.t.Helper()
	n := 0
	for _, raw := range v.file.TestGroups {
		var gh groupHeader
		if err := json.Unmarshal(raw, &gh); err != nil {
			v.t.Fatal(err)
		}
		if gh.Type != typ {
			continue
		}
		var g G
		if err := json.Unmarshal(raw, &g); err != nil {
			v.t.Fatalf("group %s: %v", typ, err)
		}
		fn(g, gh.Tests)
		n++
	}
	if n == 0 {
		v.t.Fatalf("no group of type %s", typ)
	}
}

// runTests decodes each test into T and runs fn in a subtest named after
// its tcId.
func runTests[T any](v *vectorRun, tests []json.RawMessage, fn func(t *testing.T, h testHeader, tc T)) {
	for _, raw := range tests {
		var h testHeader
		if err := json.Unmarshal(raw, &h); err != nil {
			v.t.Fatal(err)
		}
		var tc T
		if err := json.Unmarshal(raw, &tc); err != nil {
			v.t.Fatalf("tcId %d: %v", h.TcID, err)
		}
		v.mu.Lock()
		v.ran[h.TcID] = true
		v.mu.Unlock()
		v.t.Run("tcId="+strconv.Itoa(h.TcID), func(t *testing.T) {
			t.Logf("%s %v", h.Comment, h.Flags)
			fn(t, h, tc)
		})
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func hexU(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func parseCounter(t testing.TB, s string) uint32 {
	t.Helper()
	c, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		t.Fatalf("bad counter %q: %v", s, err)
	}
	return uint32(c)
}

func mustKey(t testing.TB, kt KeyType, s string) Key {
	t.Helper()
	k, err := ParseKey(kt, s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyHex exposes key bytes for comparisons in tests only.
func keyHex(k Key) string { return hexU(k.Bytes()) }

// eqHex compares hex strings case-insensitively.
func eqHex(a, b string) bool { return strings.EqualFold(a, b) }

// checkCounterVectors runs the groups prefix+"CounterValidity" and
// prefix+"NextCounter" against the counter rules of one algorithm: valid
// must accept exactly the valid counters and wrap ErrInvalidCounter
// otherwise; next must give the expected counter, ErrExhausted where the
// vector says "exhausted", and another error where it says "error".
func checkCounterVectors(v *vectorRun, prefix string, valid func(uint32) error, next func(uint32) (uint32, error)) {
	type counterTest struct {
		Counter string `json:"counter"`
	}
	forGroups(v, prefix+"CounterValidity", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc counterTest) {
			err := valid(parseCounter(t, tc.Counter))
			if (err == nil) != (h.Result == "valid") {
				t.Fatalf("counter %s: %v, result %s", tc.Counter, err, h.Result)
			}
			if err != nil && !errors.Is(err, ErrInvalidCounter) {
				t.Fatalf("error %v does not wrap ErrInvalidCounter", err)
			}
		})
	})
	type nextTest struct {
		Counter string `json:"counter"`
		Next    string `json:"next"`
	}
	forGroups(v, prefix+"NextCounter", func(_ struct{}, tests []json.RawMessage) {
		runTests(v, tests, func(t *testing.T, h testHeader, tc nextTest) {
			n, err := next(parseCounter(t, tc.Counter))
			switch tc.Next {
			case "exhausted":
				if !errors.Is(err, ErrExhausted) {
					t.Fatalf("got %X, %v; want ErrExhausted", n, err)
				}
			case "error":
				if err == nil || errors.Is(err, ErrExhausted) || h.Result != "invalid" {
					t.Fatalf("got %X, %v; want a counter error", n, err)
				}
			default:
				if err != nil || n != parseCounter(t, tc.Next) {
					t.Fatalf("got %X, %v; want %s", n, err, tc.Next)
				}
			}
		})
	})
}
