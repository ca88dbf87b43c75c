package adapter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// response is a decoded server response line, for assertions.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *Error          `json:"error"`
}

func parseResponse(t *testing.T, line []byte) response {
	t.Helper()
	if len(line) == 0 || line[len(line)-1] != '\n' || strings.Count(string(line), "\n") != 1 {
		t.Fatalf("response %q is not exactly one line", line)
	}
	var r response
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("response %q: %v", line, err)
	}
	if r.JSONRPC != "2.0" || (r.Result == nil) == (r.Error == nil) {
		t.Fatalf("response %q is not a valid JSON-RPC response", line)
	}
	return r
}

func TestServerHandleLine(t *testing.T) {
	s := testServer()
	cases := []struct {
		name   string
		line   string
		id     string
		code   int    // 0: success
		result string // expected result, if code == 0
	}{
		{"echo", `{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}`, "1", 0, `{"a":1}`},
		{"string id", `{"jsonrpc":"2.0","id":"x-1","method":"echo","params":{}}`, `"x-1"`, 0, `{}`},
		{"no params", `{"jsonrpc":"2.0","id":2,"method":"echo"}`, "2", 0, `null`},
		{"null params", `{"jsonrpc":"2.0","id":2,"method":"echo","params":null}`, "2", 0, `null`},
		{"hello", `{"jsonrpc":"2.0","id":3,"method":"hello","params":{"protocol":"paycert-adapter/1"}}`, "3", 0, ""},
		{"parse error", `{"jsonrpc":"2.0","id":4,"method":`, "null", CodeParseError, ""},
		{"garbage", `hello`, "null", CodeParseError, ""},
		{"invalid utf8", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"\xff\"}", "null", CodeParseError, ""},
		{"batch", `[{"jsonrpc":"2.0","id":1,"method":"echo"}]`, "null", CodeInvalidRequest, ""},
		{"scalar", `42`, "null", CodeInvalidRequest, ""},
		{"no id", `{"jsonrpc":"2.0","method":"echo"}`, "null", CodeInvalidRequest, ""},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"echo"}`, "null", CodeInvalidRequest, ""},
		{"bad version", `{"jsonrpc":"1.0","id":5,"method":"echo"}`, "5", CodeInvalidRequest, ""},
		{"no version", `{"id":5,"method":"echo"}`, "5", CodeInvalidRequest, ""},
		{"no method", `{"jsonrpc":"2.0","id":6}`, "6", CodeInvalidRequest, ""},
		{"numeric method", `{"jsonrpc":"2.0","id":6,"method":7}`, "6", CodeInvalidRequest, ""},
		{"array params", `{"jsonrpc":"2.0","id":7,"method":"echo","params":[1]}`, "7", CodeInvalidParams, ""},
		{"unknown method", `{"jsonrpc":"2.0","id":8,"method":"nope"}`, "8", CodeMethodNotFound, ""},
		{"refusal", `{"jsonrpc":"2.0","id":9,"method":"refuse"}`, "9", CodeDeclined, ""},
		{"handler error", `{"jsonrpc":"2.0","id":10,"method":"fail"}`, "10", CodeInternalError, ""},
		{"handler panic", `{"jsonrpc":"2.0","id":11,"method":"panic"}`, "11", CodeInternalError, ""},
		{"invalid params", `{"jsonrpc":"2.0","id":12,"method":"add","params":{"a":"x"}}`, "12", CodeInvalidParams, ""},
		{"wrong type field", `{"jsonrpc":"2.0","id":13,"method":"echo","params":{},"extra":[1,2]}`, "13", 0, `{}`},
		{"type error", `{"jsonrpc":"2.0","id":14,"method":["x"]}`, "14", CodeInvalidRequest, ""},
		{"case folding jsonrpc type", `{"jsonrpc":2,"id":15,"method":"echo"}`, "15", CodeInvalidRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := s.handleLine(context.Background(), []byte(tc.line), nil)
			r := parseResponse(t, out)
			if string(r.ID) != tc.id {
				t.Errorf("id = %s, want %s", r.ID, tc.id)
			}
			if tc.code != 0 {
				if r.Error == nil || r.Error.Code != tc.code || r.Error.Message == "" {
					t.Errorf("response %s, want error code %d", out, tc.code)
				}
				return
			}
			if r.Error != nil {
				t.Fatalf("unexpected error %v", r.Error)
			}
			if tc.result != "" && string(r.Result) != tc.result {
				t.Errorf("result = %s, want %s", r.Result, tc.result)
			}
		})
	}
	// The built-in hello fills in the defaults.
	out := (&Server{}).handleLine(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"hello"}`), nil)
	if r := parseResponse(t, out); string(r.Result) != `{"protocol":"paycert-adapter/1","roles":[],"capabilities":[],"implementation":{"vendor":"","product":"","version":""}}` {
		t.Errorf("default hello = %s", r.Result)
	}
	// Error data is passed through.
	s.Methods["data"] = func(context.Context, json.RawMessage) (any, error) {
		return nil, &Error{Code: CodeExhausted, Data: json.RawMessage(`{ "counter" : 2097152 }`)}
	}
	out = s.handleLine(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"data"}`), nil)
	if want := `{"jsonrpc":"2.0","id":1,"error":{"code":1003,"message":"exhausted","data":{"counter":2097152}}}` + "\n"; string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestServeConnFraming(t *testing.T) {
	in := `{"jsonrpc":"2.0","id":1,"method":"echo","params":{"n":1}}` + "\r\n" +
		"\n   \n" +
		`{"jsonrpc":"2.0","id":2,"method":"echo","params":{"pad":"` + strings.Repeat("x", MaxLineSize) + `"}}` + "\n" +
		`{"jsonrpc":"2.0","id":3,"method":"echo","params":{"n":3}}` // no newline, then EOF
	var out bytes.Buffer
	rw := struct {
		io.Reader
		io.Writer
	}{strings.NewReader(in), &out}
	if err := testServer().ServeConn(context.Background(), rw); err != nil {
		t.Errorf("ServeConn = %v", err)
	}
	var ids []string
	var codes []int
	for line := range bytes.Lines(out.Bytes()) {
		r := parseResponse(t, line)
		ids = append(ids, string(r.ID))
		code := 0
		if r.Error != nil {
			code = r.Error.Code
			if !strings.Contains(r.Error.Message, "1 MiB") {
				t.Errorf("too-long message: %q", r.Error.Message)
			}
		}
		codes = append(codes, code)
	}
	if strings.Join(ids, ",") != "1,null,3" || len(codes) != 3 || codes[0] != 0 || codes[1] != CodeInvalidRequest || codes[2] != 0 {
		t.Errorf("ids %v codes %v", ids, codes)
	}
}

func TestServeConnCancel(t *testing.T) {
	cc, sc := net.Pipe()
	defer cc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- testServer().ServeConn(ctx, sc) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ServeConn = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn did not return after cancel")
	}
}

func TestServe(t *testing.T) {
	t.Run("cancel", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- testServer().Serve(ctx, l) }()
		c, err := Dial(context.Background(), "adapter://"+l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Serve = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return")
		}
		// Serve closed the connection it served.
		if err := c.Call(context.Background(), "echo", nil, nil); !errors.Is(err, ErrBroken) {
			t.Errorf("call after Serve returned: %v", err)
		}
	})
	t.Run("listener closed", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- testServer().Serve(context.Background(), l) }()
		l.Close()
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve did not return")
		}
	})
}

func TestDecodeResponse(t *testing.T) {
	cases := []struct {
		line      string
		result    string
		code      int
		violation string
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{"a":1}}`, `{"a":1}`, 0, ""},
		{`{"jsonrpc":"2.0","id":7,"result":null}`, `null`, 0, ""},
		{` {"id":7,"result":1,"jsonrpc":"2.0"} `, `1`, 0, ""},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":1005,"message":"unknown token","data":{"t":1}}}`, "", 1005, ""},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`, "", -32700, ""},
		{`{"jsonrpc":"2.0","id":null,"result":{}}`, "", 0, "does not match"},
		{`{"jsonrpc":"2.0","id":8,"result":{}}`, "", 0, "response id 8 does not match request id 7"},
		{`{"jsonrpc":"2.0","id":"7","result":{}}`, "", 0, "does not match"},
		{`{"jsonrpc":"2.0","id":7.0,"result":{}}`, "", 0, "does not match"},
		{`{"jsonrpc":"2.0","result":{}}`, "", 0, `missing "id"`},
		{`{"id":7,"result":{}}`, "", 0, `missing "jsonrpc"`},
		{`{"jsonrpc":2.0,"id":7,"result":{}}`, "", 0, `"jsonrpc" is 2.0`},
		{`{"jsonrpc":"2.0","id":7}`, "", 0, "neither"},
		{`{"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"x"}}`, "", 0, "both"},
		{`{"jsonrpc":"2.0","id":7,"error":null}`, "", 0, `"error" is null`},
		{`{"jsonrpc":"2.0","id":7,"error":{"message":"x"}}`, "", 0, `no "code"`},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":1.5,"message":"x"}}`, "", 0, "integer"},
		{`{"jsonrpc":"2.0","id":7,"error":{"code":1}}`, "", 0, `no "message"`},
		{`{"jsonrpc":"2.0","id":7,"result":`, "", 0, "malformed JSON"},
		{`[{"jsonrpc":"2.0","id":7,"result":1}]`, "", 0, "array"},
		{`"hi"`, "", 0, "not a JSON object"},
		{`nonsense`, "", 0, "malformed JSON"},
		{"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"\xc3\"}", "", 0, "UTF-8"},
		{``, "", 0, "malformed JSON"},
	}
	for _, tc := range cases {
		result, rpcErr, violation := decodeResponse([]byte(tc.line), 7)
		switch {
		case tc.violation != "":
			if violation == nil || !strings.Contains(violation.Error(), tc.violation) {
				t.Errorf("%s: violation = %v, want %q", tc.line, violation, tc.violation)
			}
		case tc.code != 0:
			if violation != nil || rpcErr == nil || rpcErr.Code != tc.code {
				t.Errorf("%s: got %v %v, want code %d", tc.line, rpcErr, violation, tc.code)
			}
		default:
			if violation != nil || rpcErr != nil || string(result) != tc.result {
				t.Errorf("%s: got %s %v %v", tc.line, result, rpcErr, violation)
			}
		}
	}
}

func TestLineReader(t *testing.T) {
	in := "a\r\n\nbb\n" + strings.Repeat("x", 200) + "\nccc"
	lr := lineReader{br: bufio.NewReaderSize(strings.NewReader(in), 16), max: 100}
	var got []string
	for {
		line, err := lr.next()
		if errors.Is(err, errLineTooLong) {
			got = append(got, "<too long>")
			continue
		}
		if err == io.EOF {
			break
		}
		got = append(got, string(line))
		if err == io.ErrUnexpectedEOF {
			got = append(got, "<eof>")
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := "a||bb|<too long>|ccc|<eof>"; strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ijklmnopqrstuvwxyz", "12", "3"} {
		b.Write([]byte(s))
	}
	if got := string(b.Bytes()); got != "vwxyz123" {
		t.Errorf("tail = %q", got)
	}
	for range 1000 {
		b.Write([]byte("0123"))
	}
	if got := string(b.Bytes()); got != "01230123" || cap(b.buf) > 64 {
		t.Errorf("tail = %q (cap %d)", got, cap(b.buf))
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "echo", `q"uo\te`, "ctl\x00\x1f\n", "é€😀", "\u2028", "bad\xffutf8"} {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Errorf("%q: round trip %q", s, got)
		}
	}
}

// TestServeOneSession: a server for one device refuses a second concurrent
// session with a clear error and serves the next one after the first ends.
func TestServeOneSession(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Hello: HelloResult{Roles: []string{"pinpad"}, Implementation: Implementation{Vendor: "t", Product: "p", Version: "1"}}, OneSession: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	uri := "adapter://" + l.Addr().String()
	first, err := Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Dial(ctx, uri)
	if code, _ := ErrorCode(err); code != CodeBusy || !strings.Contains(err.Error(), "one session at a time") {
		t.Fatalf("second session: %v, want busy", err)
	}
	first.Close()
	for i := 0; ; i++ { // the server notices the first session's end
		c, err := Dial(ctx, uri)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("third session after the first ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
