package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paycert/paycert/attest"
	"github.com/paycert/paycert/probes/vpcd"
	"github.com/paycert/paycert/reports"
)

// stallingCard listens as a vpcd card that powers up and answers its ATR,
// then never answers an APDU: an IUT that stalls.
func stallingCard(t *testing.T) string { return fakeCard(t, nil) }

// fakeCard listens as a vpcd card that answers its ATR and then every APDU
// with answer(apdu), or never when answer is nil.
func fakeCard(t *testing.T, answer func([]byte) []byte) string {
	return fakeCardATR(t, []byte{0x3B, 0x00}, answer)
}

// fakeCardATR is fakeCard with the given ATR.
func fakeCardATR(t *testing.T, atr []byte, answer func([]byte) []byte) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					msg, err := vpcd.ReadMsg(r)
					if err != nil {
						return
					}
					switch {
					case len(msg) == 1 && msg[0] == vpcd.GetATR:
						vpcd.WriteMsg(c, atr)
					case len(msg) > 1 && answer != nil:
						vpcd.WriteMsg(c, answer(msg))
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func readReport(t *testing.T, dir string) *reports.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reports.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestStallingIUT: a card that stops answering gives verdict error (not
// fail), names the command, and certify exits 3 with a complete report.
func TestStallingIUT(t *testing.T) {
	addr := stallingCard(t)
	out := t.TempDir()
	cmd := exec.Command("certify", "run", "--probe", "vpcd://"+addr, "--label-filter", "tc:EMV-SEL-001", "--out", out)
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitIUT {
		t.Fatalf("exit = %v, want 3\n%s", err, b)
	}
	r := readReport(t, out)
	var ran []reports.Result
	for _, res := range r.Tests {
		if res.Verdict != reports.Skipped {
			ran = append(ran, res)
		}
	}
	if len(ran) != 1 || ran[0].Verdict != reports.Error || !strings.Contains(ran[0].Message, "did not answer") || !strings.Contains(ran[0].Message, "SELECT") {
		t.Fatalf("report: %+v", ran)
	}
	if r.Status != reports.StatusComplete {
		t.Errorf("status %s", r.Status)
	}
}

// TestInterruptedRun: SIGINT in the middle of a run leaves a report marked
// incomplete and a non-zero exit, listing only the test cases the run
// selected (an interruption invents no skipped test cases).
func TestInterruptedRun(t *testing.T) {
	addr := stallingCard(t)
	out := t.TempDir()
	key := filepath.Join(t.TempDir(), "k")
	if code, msg := certify(t, "keygen", "--key", key); code != 0 {
		t.Fatalf("keygen: %s", msg)
	}
	selected := map[string]bool{"EMV-SEL-001": true, "EMV-ONL-001": true}
	cmd := exec.Command("certify", "run", "--probe", "vpcd://"+addr, "--label-filter", "tc:EMV-SEL-001 || tc:EMV-ONL-001", "--out", out, "--sign-key", key)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the run is under way (its first report exists), then interrupt.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no report appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("interrupted run exited 0")
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("certify did not stop after SIGINT")
	}
	r := readReport(t, out)
	if r.Status != reports.StatusIncomplete {
		t.Fatalf("status %q, want incomplete; tests %+v", r.Status, r.Tests)
	}
	for _, res := range r.Tests {
		if !selected[res.ID] {
			t.Errorf("the report lists %s (%s), which the filter did not select", res.ID, res.Verdict)
		}
	}
	// The interrupted run is signed too, and its predicate says incomplete.
	if code, msg := certify(t, "verify", out, "--pub", key+".pub"); code != 0 || !strings.Contains(msg, "attested verdict: WARNED (outcome inconclusive, run incomplete)") {
		t.Fatalf("verify: exit %d\n%s", code, msg)
	}
	if p := readStatement(t, out).Predicate; p.Status != reports.StatusIncomplete || p.Result != attest.Warned {
		t.Fatalf("predicate %+v", p)
	}
}

// TestLyingIUT: a card whose answers do not parse gets verdict error naming
// the command and the problem, for every test, and the run completes.
func TestLyingIUT(t *testing.T) {
	addr := fakeCard(t, func([]byte) []byte { return []byte{0x6F, 0xFF, 0x01, 0x90, 0x00} })
	out := t.TempDir()
	cmd := exec.Command("certify", "run", "--probe", "vpcd://"+addr, "--out", out)
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitIUT {
		t.Fatalf("exit = %v, want 3\n%s", err, b)
	}
	r := readReport(t, out)
	if r.Status != reports.StatusComplete || r.Summary.Error == 0 || r.Summary.Fail != 0 {
		t.Fatalf("summary %+v status %s", r.Summary, r.Status)
	}
	for _, res := range r.Tests {
		if res.Verdict == reports.Error && !strings.Contains(res.Message, "SELECT PPSE: malformed TLV") {
			t.Errorf("%s: message %q does not name the command and the problem", res.ID, res.Message)
		}
	}
}

// TestBadATR: a card whose ATR is one byte (FF) gets verdict error naming
// the ATR, never a pass.
func TestBadATR(t *testing.T) {
	addr := fakeCardATR(t, []byte{0xFF}, nil)
	out := t.TempDir()
	b, err := exec.Command("certify", "run", "--probe", "vpcd://"+addr, "--label-filter", "tc:EMV-SEL-001", "--out", out).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitIUT {
		t.Fatalf("exit = %v, want 3\n%s", err, b)
	}
	r := readReport(t, out)
	if len(r.Tests) != 1 || r.Tests[0].Verdict != reports.Error || !strings.Contains(r.Tests[0].Message, "ATR") {
		t.Fatalf("report: %+v", r.Tests)
	}
}
