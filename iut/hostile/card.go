package hostile

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DripInterval is the pause between the bytes of a dripped response: a
// frame of at least 4 bytes (length and status word) takes 9 s or more,
// longer than paycert's exchange deadline (5 s).
var DripInterval = 3 * time.Second

// The vpcd framing (as probes/vpcd speaks it, which this package may not
// import): a two-byte big-endian length and the message. A one-byte
// message from the reader is a control code; only getATR (04) is
// answered. A longer message is a command APDU, answered by one response.
const vpcdGetATR = 0x04

// errDisconnected is what a card that dropped its connection mid-response
// returns from Write.
var errDisconnected = errors.New("hostile card: dropped the connection in the middle of a response")

// CardConn wraps the card side of a vpcd connection (what serves the card:
// requests are read from it, responses written to it) so that every
// response to a command APDU misbehaves as fault says. ATRs are answered
// normally, so the card powers up and every test case meets the fault at
// its first command.
func CardConn(c net.Conn, fault string) (net.Conn, error) {
	if !IsCard(fault) {
		return nil, fmt.Errorf("hostile: %q is not a hostile card fault (known: %s)", fault, names("card"))
	}
	return &cardConn{Conn: c, fault: fault, done: make(chan struct{})}, nil
}

type cardConn struct {
	net.Conn
	fault string

	mu    sync.Mutex
	in    []byte // bytes read, not yet a whole message
	apdu  []bool // for each request read that expects an answer: a command APDU?
	out   []byte // bytes written, not yet a whole message
	once  sync.Once
	done  chan struct{} // closed by Close
	dead  bool          // the connection was dropped on purpose
	count int           // command APDUs answered
}

func (c *cardConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

func (c *cardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.in = append(c.in, p[:n]...)
	for len(c.in) >= 2 {
		l := int(c.in[0])<<8 | int(c.in[1])
		if len(c.in) < 2+l {
			break
		}
		msg := c.in[2 : 2+l]
		switch {
		case l == 1 && msg[0] == vpcdGetATR:
			c.apdu = append(c.apdu, false)
		case l > 1:
			c.apdu = append(c.apdu, true)
		}
		c.in = c.in[2+l:]
	}
	return n, err
}

func (c *cardConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return 0, errDisconnected
	}
	c.out = append(c.out, p...)
	for len(c.out) >= 2 {
		l := int(c.out[0])<<8 | int(c.out[1])
		if len(c.out) < 2+l {
			break
		}
		frame := append([]byte(nil), c.out[:2+l]...)
		c.out = c.out[2+l:]
		isAPDU := false
		if len(c.apdu) > 0 {
			isAPDU, c.apdu = c.apdu[0], c.apdu[1:]
		}
		if !isAPDU {
			if _, err := c.Conn.Write(frame); err != nil {
				return 0, err
			}
			continue
		}
		c.count++
		if err := c.misbehave(frame[2:]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// misbehave sends what the faulty card sends instead of the response.
func (c *cardConn) misbehave(resp []byte) error {
	switch c.fault {
	case CardStall:
		return nil
	case CardDrip:
		frame := append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...)
		for i := range frame {
			if i > 0 {
				t := time.NewTimer(DripInterval)
				select {
				case <-c.done:
					t.Stop()
					return net.ErrClosed
				case <-t.C:
				}
			}
			if _, err := c.Conn.Write(frame[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	case CardDisconnect:
		frame := append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...)
		c.Conn.Write(frame[:2+len(resp)/2])
		c.dead = true
		c.Conn.Close()
		return errDisconnected
	case CardGarbage:
		// A5 (FCI proprietary template) announcing 103 bytes of 8: not
		// BER-TLV.
		return writeFrame(c.Conn, []byte{0xA5, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0x90, 0x00})
	case CardOversize:
		big := make([]byte, 0xFFFF)
		for i := range big {
			big[i] = byte(i)
		}
		big[len(big)-2], big[len(big)-1] = 0x90, 0x00
		return writeFrame(c.Conn, big)
	case CardWrongSW:
		out := append([]byte(nil), resp...)
		if len(out) < 2 {
			out = []byte{0, 0}
		}
		out[len(out)-2], out[len(out)-1] = 0x0B, 0xAD
		return writeFrame(c.Conn, out)
	}
	return writeFrame(c.Conn, resp)
}

func writeFrame(c net.Conn, msg []byte) error {
	_, err := c.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...))
	return err
}
