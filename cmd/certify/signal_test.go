package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paycert/paycert/reports"
)

// startCertify starts certify run with args and a fresh report directory.
func startCertify(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command("certify", append([]string{"run", "--out", out}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// waitExit waits for cmd, failing the test when it takes longer than limit
// (a liveness bound: every wait of certify has a deadline or yields to a
// signal), and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("certify did not end within %s", limit)
		return -1
	}
}

// checkUnreached asserts the report of a run that did not start: status
// incomplete, the reason, every selected test case an error.
func checkUnreached(t *testing.T, out, reason string) {
	t.Helper()
	r := readReport(t, out)
	if r.Status != reports.StatusIncomplete || r.Outcome != reports.OutcomeInconclusive || len(r.Tests) == 0 {
		t.Fatalf("report: status %s outcome %s, %d tests", r.Status, r.Outcome, len(r.Tests))
	}
	for _, res := range r.Tests {
		if res.Verdict != reports.Error || !strings.Contains(res.Message, reason) {
			t.Errorf("%s: %s %q, want error naming %q", res.ID, res.Verdict, res.Message, reason)
		}
	}
	for _, f := range []string{"junit.xml", "summary.txt", "results.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestSilentHello: an adapter that accepts the connection and never
// answers hello ends the run within its deadline, with a report.
func TestSilentHello(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never answered
		}
	}()
	cmd, out := startCertify(t, "--suite", "token", "--probe", "adapter://"+l.Addr().String()+"?timeout=1s")
	if code := waitExit(t, cmd, 1*time.Second+5*time.Second); code != exitIUT {
		t.Fatalf("exit %d, want 3", code)
	}
	checkUnreached(t, out, "IUT unreachable")
}

// TestSignalWhileOpening: SIGINT while certify waits for a vpcd card, and
// SIGTERM while an adapter-exec program never answers hello, end the run
// at once with a report, and no adapter process is left behind.
func TestSignalWhileOpening(t *testing.T) {
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	cmd, out := startCertify(t, "--suite", "emv", "--probe", "vpcd-listen://127.0.0.1:"+ports[0]+"?timeout=60s")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if code := waitExit(t, cmd, 5*time.Second); code != exitIUT {
		t.Fatalf("SIGINT: exit %d, want 3", code)
	}
	checkUnreached(t, out, "interrupted")

	// The adapter starts a grandchild (a sleep unique to this test) and
	// waits: both must be gone after certify ends.
	marker := "sleep 7" + ports[0]
	cmd, out = startCertify(t, "--suite", "token", "--probe", `adapter-exec:sh -c "`+marker+` & wait"`)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd, 5*time.Second); code != exitIUT {
		t.Fatalf("SIGTERM: exit %d, want 3", code)
	}
	checkUnreached(t, out, "interrupted")
	if b, _ := exec.Command("pgrep", "-f", marker).Output(); len(b) > 0 {
		t.Errorf("adapter processes left behind: %s", b)
	}
}
