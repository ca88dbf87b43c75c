package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/probes/target"
	"github.com/paycert/paycert/reports"
)

// TestNoPANLeaks runs the token suite, with its card side, against the
// reference token service as a process whose protocol lines are recorded,
// clean and under the faults whose failure messages are about PANs and
// tokens, and holds every report file to the rule that no full PAN
// appears: every PAN and token the run exchanged (every funding_pan and
// token member on the wire, in requests and results) is looked for in
// every file, in digits and in the other encodings mask.Find knows; and no failure message carries the
// middle digits of a funding PAN, the digits that masking hides (a message
// that printed them beside the masked PAN would give the whole PAN away).
func TestNoPANLeaks(t *testing.T) {
	for _, c := range []struct {
		fault string
		fails []string // test cases whose failure messages the fault exercises
	}{
		{"", nil},
		{"token-from-pan", []string{"TOK-TKN-002"}},
		{"token-keeps-pan-middle", []string{"TOK-TKN-001", "TOK-TKN-002"}},
		{"echoes-funding-pan", []string{"TOK-PRV-003", "TOK-TKN-001"}},
		{"provisions-ineligible-card", []string{"TOK-PRV-003"}},
	} {
		name := c.fault
		if name == "" {
			name = "clean"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			serve := "certify serve tsp --stdio"
			if c.fault != "" {
				serve += " --fault " + c.fault
			}
			probe := fmt.Sprintf(`adapter-exec:sh -c "tee -a %s | %s | tee -a %s"`, filepath.Join(dir, "requests.log"), serve, filepath.Join(dir, "responses.log"))
			out := filepath.Join(dir, "report")
			cmd := exec.Command("certify", "run", "--suite", "token", "--probe", probe, "--probe", "ref:?only=card", "--ics", "default", "--seed", "7", "--out", out)
			stdout, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == exitFail && c.fault != "") {
				t.Fatalf("certify run: %v\n%s", err, stdout)
			}
			pans, funding := wirePANs(t, filepath.Join(dir, "requests.log"), filepath.Join(dir, "responses.log"))
			if len(pans) < 20 || len(funding) < 10 {
				t.Fatalf("the run exchanged %d PANs and tokens, %d funding PANs: too few for the test to mean anything", len(pans), len(funding))
			}
			files, err := filepath.Glob(filepath.Join(out, "*"))
			if err != nil || len(files) < 4 {
				t.Fatalf("report files %v: %v", files, err)
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, pan := range pans {
					if how := mask.Find(string(b), pan); how != "" {
						t.Errorf("%s carries the PAN or token %s in full (%s)", filepath.Base(f), mask.PAN(pan), how)
					}
				}
			}
			r := readReport(t, out)
			failed := map[string]bool{}
			for _, res := range r.Tests {
				if res.Verdict == reports.Fail {
					failed[res.ID] = true
				}
				for _, pan := range funding {
					if mid := pan[6 : len(pan)-4]; strings.Contains(res.Message, mid) {
						t.Errorf("%s: the failure message carries the middle digits of funding PAN %s: %s", res.ID, mask.PAN(pan), res.Message)
					}
				}
			}
			for _, id := range c.fails {
				if !failed[id] {
					t.Errorf("%s did not fail under %s, so its failure message was not checked", id, name)
				}
			}
		})
	}
}

// wirePANs returns every PAN and token in the recorded protocol lines (the
// funding_pan and token members, at any depth), and the funding PANs among
// them. Other digit strings (a luk_id of 12 hex digits that happen to be
// decimal) are not PANs.
func wirePANs(t *testing.T, logs ...string) (pans, funding []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, name := range logs {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var v any
			if json.Unmarshal(sc.Bytes(), &v) != nil {
				continue
			}
			var walk func(key string, v any)
			walk = func(key string, v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, x := range v {
						walk(k, x)
					}
				case []any:
					for _, x := range v {
						walk(key, x)
					}
				case string:
					if (key == "funding_pan" || key == "token") && len(v) >= 12 && len(v) <= 19 && strings.Trim(v, "0123456789") == "" && !seen[v] {
						seen[v] = true
						pans = append(pans, v)
						if key == "funding_pan" && len(v) >= 13 {
							funding = append(funding, v)
						}
					}
				}
			}
			walk("", v)
		}
	}
	return pans, funding
}

// TestCardPANEncodings runs the emv suite against the reference card clean
// and under every card fault (requirement faults: the card still answers),
// and looks in every report file for the card's funding PAN and its token
// PAN in every encoding an APDU transcript carries them: digits (which
// also covers BCD with F padding and the track 2 form, PAN 'D' ...) and the
// ASCII hex of the digits (track 1 in 56 or a record, a PAN echoed as
// text), in either letter case. sad-in-record puts the funding PAN and
// track 1 into a record.
func TestCardPANEncodings(t *testing.T) {
	pans := []string{"6222021234567890128", "6258887305196426"} // the default profile's funding PAN and token
	faults := []string{""}
	for _, f := range target.Faults() {
		if f.IUT == iut.Card && !f.Hostile && slices.Contains(f.Suites, "emv") {
			faults = append(faults, f.Name)
		}
	}
	for _, fault := range faults {
		probe := "ref:"
		if fault != "" {
			probe += "?fault=" + fault
		}
		out := t.TempDir()
		b, err := exec.Command("certify", "run", "--suite", "emv", "--probe", probe, "--seed", "7", "--out", out).CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%s: %v\n%s", probe, err, b)
		}
		files, _ := os.ReadDir(out)
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(out, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			up := strings.ToUpper(string(data))
			for _, pan := range pans {
				for how, form := range map[string]string{"digits": pan, "ASCII hex": strings.ToUpper(hex.EncodeToString([]byte(pan)))} {
					if strings.Contains(up, form) {
						t.Errorf("%s: %s carries the PAN %s as %s", probe, f.Name(), mask.PAN(pan), how)
					}
				}
			}
		}
	}
}
