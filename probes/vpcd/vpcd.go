// Package vpcd speaks the socket protocol of vsmartcard's virtual smart-card
// reader (vpcd), from either side.
//
// The protocol runs over TCP. Every message is a two-byte big-endian length
// followed by that many bytes. A one-byte message from the reader is a
// control code (PowerOff, PowerOn, Reset, GetATR); the card answers GetATR
// with the ATR as an ordinary message and the other codes with nothing. Any
// longer message from the reader is a command APDU, answered by exactly one
// response APDU. The reader side listens (pcscd's vpcd driver uses port
// 35963) and the card connects, but either side may dial.
package vpcd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Control codes sent by the reader.
const (
	PowerOff byte = 0x00
	PowerOn  byte = 0x01
	Reset    byte = 0x02
	GetATR   byte = 0x04
)

// DefaultPort is the port of pcscd's first vpcd slot.
const DefaultPort = 35963

// ErrFrame is wrapped by errors about a malformed message.
var ErrFrame = errors.New("vpcd framing")

// WriteMsg writes one message in a single write, so that the peer sees the
// length and the body together.
func WriteMsg(w io.Writer, payload []byte) error {
	if len(payload) == 0 || len(payload) > 0xFFFF {
		return fmt.Errorf("%w: payload of %d bytes (must be 1..65535)", ErrFrame, len(payload))
	}
	buf := make([]byte, 2+len(payload))
	buf[0], buf[1] = byte(len(payload)>>8), byte(len(payload))
	copy(buf[2:], payload)
	_, err := w.Write(buf)
	return err
}

// ReadMsg reads one message. A zero length is a framing error; a stream
// that ends inside a message yields io.ErrUnexpectedEOF.
func ReadMsg(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[0])<<8 | int(hdr[1])
	if n == 0 {
		return nil, fmt.Errorf("%w: message of length 0", ErrFrame)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: body of %d bytes: %w", ErrFrame, n, err)
	}
	return buf, nil
}

// VirtualCard is what ServeCard exposes to a reader.
type VirtualCard interface {
	// ATR returns the answer to reset.
	ATR() []byte
	// Power is called with true on power-on and reset, false on power-off.
	Power(on bool)
	// Process answers one command APDU with one response APDU.
	Process(capdu []byte) []byte
}

// ServeCard plays the card on conn until the reader closes it or ctx ends.
// It sets TCP_QUICKACK before every read where the platform supports it:
// vpcd writes the length and the body separately, and delayed ACKs would
// otherwise add tens of milliseconds to every exchange.
func ServeCard(ctx context.Context, conn net.Conn, card VirtualCard) error {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReader(conn)
	for {
		quickACK(conn)
		msg, err := ReadMsg(r)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("vpcd card: read: %w", err)
		}
		var resp []byte
		if len(msg) == 1 {
			switch msg[0] {
			case PowerOff:
				card.Power(false)
			case PowerOn, Reset:
				card.Power(true)
			case GetATR:
				resp = card.ATR()
			default:
				return fmt.Errorf("%w: unknown control code %02X", ErrFrame, msg[0])
			}
		} else {
			resp = card.Process(msg)
		}
		if resp != nil {
			if err := WriteMsg(conn, resp); err != nil {
				return fmt.Errorf("vpcd card: write: %w", err)
			}
		}
	}
}
