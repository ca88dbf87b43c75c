package vpcd

import (
	"net"
	"syscall"
)

// quickACK asks Linux to acknowledge the next segment at once. The flag is
// not sticky, so it is set before every read.
func quickACK(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, 0xc /* TCP_QUICKACK */, 1)
	})
}
