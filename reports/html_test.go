package reports

import (
	"strings"
	"testing"
)

func TestHTMLEscapesIUTData(t *testing.T) {
	r := sample()
	r.Tests[1].Message = `<script>alert(1)</script>`
	r.Tests[1].Evidence = append(r.Tests[1].Evidence, Evidence{"note", `<img src=x onerror=alert(1)>`})
	r.IUT.Details = map[string]string{"tsp": `"><b>vendor</b>`}
	r.Recount()
	b, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, never := range []string{"<script>alert", "<img src=x", "<b>vendor"} {
		if strings.Contains(s, never) {
			t.Errorf("report.html holds unescaped %q", never)
		}
	}
	for _, want := range []string{`id="outcome">FAIL<`, `id="count-total">5<`, "signature: <span id=\"signature\">unsigned", `data-status="not-satisfied"`, "Content-Security-Policy"} {
		if !strings.Contains(s, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestDecodeAPDU(t *testing.T) {
	v, ok := decodeAPDU("GET PROCESSING OPTIONS C: 80A8000004830200000000  R: 770D570712345XXXXXX1239F2701809000")
	if !ok || v.Name != "GET PROCESSING OPTIONS" || v.SW != "9000" {
		t.Fatalf("%+v %v", v, ok)
	}
	if len(v.CmdTree) != 1 || v.CmdTree[0].Tag != "83" || v.CmdTree[0].Value != "0000" {
		t.Errorf("command tree %+v", v.CmdTree)
	}
	if len(v.RespTree) != 1 || len(v.RespTree[0].Children) != 2 || v.RespTree[0].Children[0].Value != "12345XXXXXX123" {
		t.Errorf("response tree %+v", v.RespTree)
	}
	if _, ok := decodeAPDU("RESET ATR: 3B00"); ok {
		t.Error("decoded a reset")
	}
	if v, ok := decodeAPDU("SELECT C: 00A4040002A000  R: <timeout>"); !ok || v.RespTree != nil || v.SW != "" {
		t.Errorf("an exchange that failed: %+v", v)
	}
	if decodeTLV("9F") != nil || decodeTLV("") != nil {
		t.Error("decoded truncated TLV")
	}
}
