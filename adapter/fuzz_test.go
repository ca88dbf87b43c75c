package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":7,"result":{"a":[1,2,{"b":null}]}}`,
		`{"jsonrpc":"2.0","id":7,"result":null}`,
		`{"jsonrpc":"2.0","id":7,"error":{"code":1001,"message":"declined","data":{"x":"y"}}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`,
		`{"jsonrpc":"2.0","id":8,"result":{}}`,
		`{"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"x"}}`,
		`{"jsonrpc":"2.0","id":7,"error":{"code":"1","message":1}}`,
		`[{"jsonrpc":"2.0","id":7}]`,
		`{"jsonrpc":"2.0","id":7,"result":"\ud800"}`,
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"\xff\"}",
		`{"jsonrpc":"2.0","id":7`,
		` { "jsonrpc" : "2.0" , "id" : 7 , "result" : [ "a\\\"}" , { "b" : [ ] } , -1.5e3 , true ] } `,
		`{"jsonr\u0070c":"2.0","id":7,"result":{},"id":7}`,
		`{"":1,"jsonrpc":"2.0","id":7,"error":{"code":5,"message":"m","":2}}`,
		``,
	} {
		f.Add([]byte(s), uint64(7))
	}
	f.Fuzz(func(t *testing.T, line []byte, id uint64) {
		result, rpcErr, violation := decodeResponse(line, id)
		n := 0
		if result != nil {
			n++
			if !json.Valid(result) {
				t.Fatalf("invalid result JSON %q", result)
			}
		}
		if rpcErr != nil {
			n++
			_ = rpcErr.Error()
		}
		if violation != nil {
			n++
			_ = violation.Error()
		}
		if n != 1 {
			t.Fatalf("decodeResponse(%q) returned %d outcomes", line, n)
		}
		checkScanMembers(t, line)
		// What the client accepts must decode into a generic value too.
		if result != nil {
			var v any
			if err := decodeInto(result, &v); err != nil {
				t.Fatalf("decodeInto: %v", err)
			}
		}
	})
}

func FuzzServerLine(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}`,
		`{"jsonrpc":"2.0","id":"x","method":"hello","params":{"protocol":"paycert-adapter/1"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"add","params":{"a":1,"b":"2"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"panic"}`,
		`{"jsonrpc":"2.0","id":4,"method":"refuse"}`,
		`{"jsonrpc":"2.0","method":"echo"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"echo"}]`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"echo"}`,
		`{"jsonrpc":"2.0","id":1e400,"method":"echo","params":[1]}`,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
		`{"jsonrpc":"2.0","id":1,"method":"echo","params":"\u0000"}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	s := testServer()
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Skip("a line holds no newline")
		}
		out := s.handleLine(context.Background(), line, nil)
		if len(out) == 0 || out[len(out)-1] != '\n' || bytes.Count(out, []byte("\n")) != 1 {
			t.Fatalf("response %q is not exactly one line", out)
		}
		// The server's answer must itself be a well-formed response.
		var r struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("response %q: %v", out, err)
		}
		want := uint64(0)
		if len(r.ID) > 0 && r.ID[0] >= '0' && r.ID[0] <= '9' {
			var n json.Number
			json.Unmarshal(r.ID, &n)
			if u, err := n.Int64(); err == nil && u >= 0 && string(r.ID) == n.String() {
				want = uint64(u)
			}
		}
		if want == 0 || string(r.ID) != n2s(want) {
			return // non-integer ids cannot be checked by the client decoder
		}
		if _, _, violation := decodeResponse(bytes.TrimSuffix(out, []byte("\n")), want); violation != nil {
			t.Fatalf("server response %q violates the protocol: %v", out, violation)
		}
	})
}

// checkScanMembers compares scanMembers with encoding/json on valid objects.
func checkScanMembers(t *testing.T, line []byte) {
	if !utf8.Valid(line) || !json.Valid(line) || firstByte(line) != '{' {
		return
	}
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(line, &ref); err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	got := map[string][]byte{}
	if err := scanMembers(line, func(k, v []byte) error {
		got[string(k)] = v
		return nil
	}); err != nil {
		t.Fatalf("scanMembers(%q): %v", line, err)
	}
	if len(got) != len(ref) {
		t.Fatalf("scanMembers(%q) found %d members, encoding/json %d", line, len(got), len(ref))
	}
	for k, v := range ref {
		var a, b bytes.Buffer
		json.Compact(&a, v)
		if err := json.Compact(&b, got[k]); err != nil || a.String() != b.String() {
			t.Fatalf("scanMembers(%q): member %q = %q, encoding/json %q", line, k, got[k], v)
		}
	}
}

func n2s(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}
