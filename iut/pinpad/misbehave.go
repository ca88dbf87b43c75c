package pinpad

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// Misbehaviours break the adapter protocol itself rather than a key
// management requirement, so that paycert's handling of a broken adapter
// can be tested end to end: the test case in flight must end with verdict
// error naming the method, and the run must go on and write its report.
// They are not faults (the fault matrix expects failures, not errors) and
// are reached only through `certify serve pinpad --misbehave NAME`.
const (
	// MisbehaveMalformedJSON answers the first transaction with a line
	// that is not JSON.
	MisbehaveMalformedJSON = "malformed-json"
	// MisbehaveWrongID answers the first transaction with another id.
	MisbehaveWrongID = "wrong-id"
	// MisbehaveMissingField leaves pin_block out of every
	// pinpad.encrypt_pin result.
	MisbehaveMissingField = "missing-field"
	// MisbehaveStall never answers the first transaction, nor anything
	// after it.
	MisbehaveStall = "stall"
	// MisbehaveExit drops the connection instead of answering the first
	// transaction (over stdio: the adapter process exits).
	MisbehaveExit = "exit"
)

// Misbehaviours lists the misbehaviour names.
func Misbehaviours() []string {
	return []string{MisbehaveExit, MisbehaveMalformedJSON, MisbehaveMissingField, MisbehaveStall, MisbehaveWrongID}
}

// CheckMisbehaviour reports an unknown misbehaviour name.
func CheckMisbehaviour(m string) error {
	for _, k := range Misbehaviours() {
		if k == m {
			return nil
		}
	}
	return fmt.Errorf("pinpad: unknown misbehaviour %q (known: %s)", m, strings.Join(Misbehaviours(), ", "))
}

// errExit is returned by a misbehaving writer told to drop the connection.
var errExit = errors.New("pinpad: misbehaviour exit: dropping the connection")

// Misbehave wraps the server side of a connection (requests are read from
// rw, responses written to it) so that the responses misbehave as m says.
func Misbehave(rw io.ReadWriter, m string) (io.ReadWriter, error) {
	if err := CheckMisbehaviour(m); err != nil {
		return nil, err
	}
	return &misRW{r: rw, w: rw, m: m}, nil
}

// MisbehavingListener wraps every connection l accepts with Misbehave.
func MisbehavingListener(l net.Listener, m string) (net.Listener, error) {
	if err := CheckMisbehaviour(m); err != nil {
		return nil, err
	}
	return misListener{Listener: l, m: m}, nil
}

type misListener struct {
	net.Listener
	m string
}

func (l misListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &misConn{Conn: c, rw: &misRW{r: c, w: c, m: l.m}}, nil
}

// misConn keeps the net.Conn methods (deadlines, Close) of the wrapped
// connection and misbehaves on Read/Write.
type misConn struct {
	net.Conn
	rw *misRW
}

func (c *misConn) Read(p []byte) (int, error)  { return c.rw.Read(p) }
func (c *misConn) Write(p []byte) (int, error) { return c.rw.Write(p) }

type misRW struct {
	r io.Reader
	w io.Writer
	m string

	mu      sync.Mutex
	in      []byte   // an incomplete request line
	methods []string // methods of the requests read and not yet answered
	out     []byte   // an incomplete response line
	struck  bool     // the one-off misbehaviour has happened
}

func (x *misRW) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.in = append(x.in, p[:n]...)
	for {
		i := bytes.IndexByte(x.in, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSpace(x.in[:i])
		x.in = x.in[i+1:]
		if len(line) == 0 {
			continue // the server answers no blank line
		}
		var req struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(line, &req)
		x.methods = append(x.methods, req.Method)
	}
	return n, err
}

func (x *misRW) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.out = append(x.out, p...)
	var send []byte
	for {
		i := bytes.IndexByte(x.out, '\n')
		if i < 0 {
			break
		}
		line := append([]byte(nil), x.out[:i]...)
		x.out = x.out[i+1:]
		method := ""
		if len(x.methods) > 0 {
			method, x.methods = x.methods[0], x.methods[1:]
		}
		out, err := x.transform(method, line)
		if err != nil {
			if len(send) > 0 {
				x.w.Write(send)
			}
			return 0, err
		}
		send = append(send, out...)
	}
	if len(send) > 0 {
		if _, err := x.w.Write(send); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// transform returns what is sent instead of the response line (without
// its newline) to a request for method.
func (x *misRW) transform(method string, line []byte) ([]byte, error) {
	tx := method == MethodEncryptPIN || method == MethodMAC || method == MethodEncryptData
	if x.m == MisbehaveStall && x.struck {
		return nil, nil
	}
	if !tx || (x.struck && x.m != MisbehaveMissingField) {
		return append(line, '\n'), nil
	}
	switch x.m {
	case MisbehaveMalformedJSON:
		x.struck = true
		return []byte("this is not JSON {\n"), nil
	case MisbehaveWrongID:
		x.struck = true
		var msg map[string]json.RawMessage
		if json.Unmarshal(line, &msg) == nil {
			var id int64
			json.Unmarshal(msg["id"], &id)
			msg["id"] = json.RawMessage(fmt.Sprint(id + 1000))
			if b, err := json.Marshal(msg); err == nil {
				return append(b, '\n'), nil
			}
		}
	case MisbehaveMissingField:
		if method != MethodEncryptPIN {
			break
		}
		var msg map[string]json.RawMessage
		if json.Unmarshal(line, &msg) == nil && msg["result"] != nil {
			var res map[string]json.RawMessage
			if json.Unmarshal(msg["result"], &res) == nil {
				delete(res, "pin_block")
				msg["result"], _ = json.Marshal(res)
				if b, err := json.Marshal(msg); err == nil {
					return append(b, '\n'), nil
				}
			}
		}
	case MisbehaveStall:
		x.struck = true
		return nil, nil
	case MisbehaveExit:
		x.struck = true
		return nil, errExit
	}
	return append(line, '\n'), nil
}
