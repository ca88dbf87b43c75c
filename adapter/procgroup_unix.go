//go:build unix

package adapter

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, so that the signals a
// terminal sends to paycert's group do not reach the adapter behind
// paycert's back, and so that killGroup can stop every process the adapter
// started.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the process group of a command started with ownGroup:
// the adapter and any process it left behind.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
