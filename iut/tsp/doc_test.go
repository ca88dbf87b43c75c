package tsp_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/iut/tsp"
)

// TestDocExample replays the example session of docs/adapter-protocol.md
// ("### tsp") against the reference service: every documented decision and
// error code must be what the service answers, and every documented
// cryptogram must verify under the documented LUK, so the document cannot
// drift from the implementation. Tokens, references and keys are random in
// the service, so the test maps the document's values to the service's and
// recomputes cryptograms with the service's keys.
func TestDocExample(t *testing.T) {
	lines := exampleLines(t)
	base := time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC)
	s, err := tsp.New(tsp.Config{Clock: func() time.Time { return base }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := adapter.Pipe(context.Background(), s.Server())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	subst := map[string]string{} // document value -> service value
	docKeys := map[string][]byte{}
	realKeys := map[string][]byte{}
	for i := 0; i+1 < len(lines); i += 2 {
		req, resp := lines[i], lines[i+1]
		if !strings.HasPrefix(req, "> ") || !strings.HasPrefix(resp, "< ") {
			t.Fatalf("example lines %d-%d are not a request and its response", i+1, i+2)
		}
		var rq struct {
			Method string         `json:"method"`
			Params map[string]any `json:"params"`
		}
		var rs struct {
			Result map[string]any `json:"result"`
			Error  *adapter.Error `json:"error"`
		}
		if err := json.Unmarshal([]byte(req[2:]), &rq); err != nil {
			t.Fatalf("example line %d: %v", i+1, err)
		}
		if err := json.Unmarshal([]byte(resp[2:]), &rs); err != nil {
			t.Fatalf("example line %d: %v", i+2, err)
		}
		if rq.Method == "hello" {
			continue
		}
		params := map[string]any{}
		for k, v := range rq.Params {
			if sv, ok := v.(string); ok && subst[sv] != "" {
				v = subst[sv]
			}
			params[k] = v
		}
		if rq.Method == "tsp.authorize" {
			docTx, docAC := txFromParams(t, rq.Params)
			docKey := docKeys[rq.Params["luk_id"].(string)]
			if err := emvcrypto.VerifyTokenCryptogram(mustKey(t, docKey), docTx, docAC); err != nil {
				t.Errorf("example line %d: the documented cryptogram does not verify under the documented LUK: %v", i+1, err)
			}
			realTx, _ := txFromParams(t, params)
			ac, err := emvcrypto.TokenCryptogram(mustKey(t, realKeys[params["luk_id"].(string)]), realTx)
			if err != nil {
				t.Fatal(err)
			}
			params["cryptogram"] = fmt.Sprintf("%X", ac)
		}
		var got map[string]any
		err := c.Call(context.Background(), rq.Method, params, &got)
		switch {
		case rs.Error != nil:
			if code, _ := adapter.ErrorCode(err); code != rs.Error.Code {
				t.Errorf("example line %d %s: service answered %v, the document error %d", i+1, rq.Method, err, rs.Error.Code)
			}
			continue
		case err != nil:
			t.Fatalf("example line %d %s: %v", i+1, rq.Method, err)
		}
		if want, have := keys(rs.Result), keys(got); want != have {
			t.Errorf("example line %d %s: result members %s, the document shows %s", i+2, rq.Method, have, want)
		}
		for _, k := range []string{"approved", "reason", "uses_left", "status", "ttl_seconds", "max_uses", "expires_at", "now", "token_expiry"} {
			if w, ok := rs.Result[k]; ok && fmt.Sprint(w) != fmt.Sprint(got[k]) {
				t.Errorf("example line %d %s: %s is %v, the document shows %v", i+2, rq.Method, k, got[k], w)
			}
		}
		for _, k := range []string{"token", "token_ref", "luk_id", "replaces"} {
			if w, ok := rs.Result[k].(string); ok {
				subst[w] = got[k].(string)
			}
		}
		if l, ok := rs.Result["luk"].(string); ok {
			docKeys[rs.Result["luk_id"].(string)] = mustHexT(t, l)
			realKeys[got["luk_id"].(string)] = mustHexT(t, got["luk"].(string))
		}
	}
	if len(docKeys) == 0 {
		t.Error("the example issues no LUK")
	}
}

// exampleLines returns the > and < lines of the tsp example session.
func exampleLines(t *testing.T) []string {
	f, err := os.Open("../../docs/adapter-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	state := 0 // 0 before "### tsp", 1 before the example, 2 in its code block
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case state == 0 && l == "### tsp":
			state = 1
		case state == 1 && l == "#### Example session":
			state = 2
		case state == 2 && (strings.HasPrefix(l, "> ") || strings.HasPrefix(l, "< ")):
			out = append(out, l)
		case state == 2 && len(out) > 0 && l == "```":
			return out
		}
	}
	t.Fatal("docs/adapter-protocol.md: no example session under ### tsp")
	return nil
}

func txFromParams(t *testing.T, p map[string]any) (emvcrypto.TokenTx, []byte) {
	t.Helper()
	un := mustHexT(t, p["un"].(string))
	tx := emvcrypto.TokenTx{
		Token: p["token"].(string), Amount: uint64(p["amount"].(float64)), Currency: uint16(p["currency"].(float64)),
		Date: p["date"].(string), ATC: uint16(p["atc"].(float64)),
	}
	copy(tx.UN[:], un)
	return tx, mustHexT(t, p["cryptogram"].(string))
}

func mustHexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t *testing.T, b []byte) emvcrypto.Key {
	t.Helper()
	k, err := emvcrypto.NewLUK(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
