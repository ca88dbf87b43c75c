package hostile

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

// errExit is returned by the writer of an adapter told to drop its
// connection; over stdio the serving process then exits.
var errExit = errors.New("hostile adapter: dropping the connection instead of answering")

// keyMembers are the members of params and results that carry keys (as
// the adapter protocol names them).
var keyMembers = []string{"initial_key", "luk", "key", "ipek", "bdk"}

// AdapterRW wraps the server side of an adapter connection (requests are
// read from rw, responses written to it), e.g. standard input and output,
// so that the responses misbehave as fault says.
func AdapterRW(rw io.ReadWriter, fault string) (io.ReadWriter, error) {
	if !IsAdapter(fault) {
		return nil, fmt.Errorf("hostile: %q is not an adapter fault (known: %s)", fault, names("adapter"))
	}
	return &adapterRW{r: rw, w: rw, fault: fault}, nil
}

// AdapterConn is AdapterRW for a net.Conn, keeping its deadlines and Close
// (closing it when the fault drops the connection).
func AdapterConn(c net.Conn, fault string) (net.Conn, error) {
	if !IsAdapter(fault) {
		return nil, fmt.Errorf("hostile: %q is not an adapter fault (known: %s)", fault, names("adapter"))
	}
	return &adapterConn{Conn: c, rw: &adapterRW{r: c, w: c, fault: fault}}, nil
}

// AdapterListener wraps every connection l accepts with AdapterConn.
func AdapterListener(l net.Listener, fault string) (net.Listener, error) {
	if !IsAdapter(fault) {
		return nil, fmt.Errorf("hostile: %q is not an adapter fault (known: %s)", fault, names("adapter"))
	}
	return adapterListener{Listener: l, fault: fault}, nil
}

type adapterListener struct {
	net.Listener
	fault string
}

func (l adapterListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return AdapterConn(c, l.fault)
}

type adapterConn struct {
	net.Conn
	rw *adapterRW
}

func (c *adapterConn) Read(p []byte) (int, error) { return c.rw.Read(p) }
func (c *adapterConn) Write(p []byte) (int, error) {
	n, err := c.rw.Write(p)
	if errors.Is(err, errExit) {
		c.Conn.Close()
	}
	return n, err
}

type adapterRW struct {
	r     io.Reader
	w     io.Writer
	fault string

	mu      sync.Mutex
	in      []byte   // an incomplete request line
	methods []string // methods of the requests read and not yet answered
	out     []byte   // an incomplete response line
	struck  bool     // the one-off misbehaviour has happened
	key     string   // the last key seen crossing the connection
	keys    []string // keys seen in requests not yet answered (leak-in-error)
}

func (x *adapterRW) Read(p []byte) (int, error) {
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
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		_ = json.Unmarshal(line, &req)
		x.methods = append(x.methods, req.Method)
		x.keys = append(x.keys, findKey(req.Params))
	}
	return n, err
}

func (x *adapterRW) Write(p []byte) (int, error) {
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
		method, key := "", ""
		if len(x.methods) > 0 {
			method, x.methods = x.methods[0], x.methods[1:]
			key, x.keys = x.keys[0], x.keys[1:]
		}
		if key != "" {
			x.key = key
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
func (x *adapterRW) transform(method string, line []byte) ([]byte, error) {
	pass := append(line, '\n')
	hello := method == "hello"
	switch x.fault {
	case AdapterSilentHello:
		return nil, nil
	case AdapterStall:
		if hello {
			return pass, nil
		}
		return nil, nil
	case AdapterMissingField:
		if method == "pinpad.encrypt_pin" {
			return withoutMember(line, "pin_block"), nil
		}
		return pass, nil
	case AdapterLeakInError:
		if hello {
			return pass, nil
		}
		if k := findKey(result(line)); k != "" && x.key == "" {
			x.key = k // a key handed out: the next request leaks it
			return pass, nil
		}
		if x.key == "" {
			return pass, nil
		}
		return errorResponse(line, -32603, "internal error: the key store rejected key "+x.key+" (HSM status 0x1F)"), nil
	}
	if hello || x.struck {
		return pass, nil
	}
	x.struck = true
	switch x.fault {
	case AdapterExit:
		return nil, errExit
	case AdapterBadJSON:
		return []byte("this is not JSON {\n"), nil
	case AdapterWrongID:
		var msg map[string]json.RawMessage
		if json.Unmarshal(line, &msg) == nil {
			var id int64
			json.Unmarshal(msg["id"], &id)
			msg["id"] = json.RawMessage(fmt.Sprint(id + 1000))
			if b, err := json.Marshal(msg); err == nil {
				return append(b, '\n'), nil
			}
		}
	}
	return pass, nil
}

// result returns the result member of a response line, or nil.
func result(line []byte) json.RawMessage {
	var msg struct {
		Result json.RawMessage `json:"result"`
	}
	json.Unmarshal(line, &msg)
	return msg.Result
}

// findKey returns the first hex key member of a JSON object, or "".
func findKey(obj json.RawMessage) string {
	var m map[string]json.RawMessage
	if len(obj) == 0 || json.Unmarshal(obj, &m) != nil {
		return ""
	}
	for _, k := range keyMembers {
		var s string
		if json.Unmarshal(m[k], &s) == nil && len(s) >= 16 && strings.Trim(strings.ToUpper(s), "0123456789ABCDEF") == "" {
			return s
		}
	}
	return ""
}

// errorResponse replaces a response line with an error response of the
// same id.
func errorResponse(line []byte, code int, message string) []byte {
	var msg map[string]json.RawMessage
	id := json.RawMessage("null")
	if json.Unmarshal(line, &msg) == nil && msg["id"] != nil {
		id = msg["id"]
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id,
		"error": map[string]any{"code": code, "message": message}})
	return append(b, '\n')
}

// withoutMember returns the response line with member left out of its
// result.
func withoutMember(line []byte, member string) []byte {
	var msg map[string]json.RawMessage
	if json.Unmarshal(line, &msg) == nil && msg["result"] != nil {
		var res map[string]json.RawMessage
		if json.Unmarshal(msg["result"], &res) == nil {
			delete(res, member)
			msg["result"], _ = json.Marshal(res)
			if b, err := json.Marshal(msg); err == nil {
				return append(b, '\n')
			}
		}
	}
	return append(line, '\n')
}
