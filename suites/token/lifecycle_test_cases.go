package token

import (
	"fmt"
	"strings"

	. "github.com/onsi/gomega"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/harness"
	"github.com/paycert/paycert/mask"
)

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LCM-001",
	Suite: "token", Needs: "tsp",
	Title:        "A suspended token is declined; once resumed it is approved",
	Requirement:  "A token service MUST decline every transaction of a suspended token and MUST approve the token's genuine transactions again once it is resumed.",
	Requirements: []string{reqEMVCoLife, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("suspend"))
	l := p.issueLUK(2)
	if l.MaxUses >= 2 {
		_, d := p.pay()
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("before suspension a genuine transaction was %s", d))
	}
	p.mustLifecycle("tsp.suspend")
	_, d := p.pay()
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("token %s was approved while suspended", mask.PAN(p.tok.Token)))
	p.mustLifecycle("tsp.resume")
	p.issueLUK(2)
	_, d = p.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("after resumption a genuine transaction with a new LUK was %s", d))
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LCM-002",
	Suite: "token", Needs: "tsp",
	Title:        "A deleted token is declined for good",
	Requirement:  "A token service MUST decline every transaction of a deleted token (a lost phone), with the keys issued before deletion and with any issued or resumed after it.",
	Requirements: []string{reqEMVCoLife, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("delete"))
	l := p.issueLUK(2)
	if l.MaxUses >= 2 {
		_, d := p.pay()
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("before deletion a genuine transaction was %s", d))
	}
	p.mustLifecycle("tsp.delete")
	_, d := p.pay()
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("deleted token %s was approved with the LUK issued before deletion", mask.PAN(p.tok.Token)))

	if _, err := p.tryIssueLUK(2); err == nil {
		_, d = p.pay()
		Expect(d.approved).To(BeFalse(), "deleted token was approved with a LUK issued after deletion")
	} else {
		t.Note("tsp.issue_luk for the deleted token was refused: %v", err)
	}
	if err := p.lifecycle("tsp.resume"); err != nil {
		t.Note("tsp.resume of the deleted token was refused: %v", err)
		return
	}
	// The service accepted the resume: the token must stay declined, with
	// the key it holds and with a key asked for after the resume.
	_, d = p.pay()
	Expect(d.approved).To(BeFalse(), "deleted token was approved after tsp.resume")
	if _, err := p.tryIssueLUK(2); err != nil {
		t.Note("tsp.issue_luk for the deleted token after tsp.resume was refused: %v", err)
		return
	}
	_, d = p.pay()
	Expect(d.approved).To(BeFalse(), "deleted token was approved after tsp.resume with a LUK issued after the resume")
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LCM-004",
	Suite: "token", Needs: "tsp",
	Title:        "A suspended token gets no limited-use key",
	Requirement:  "A token service MUST refuse a limited-use key for a suspended token, with refusal 1004, and MUST issue one again once the token is resumed.",
	Requirements: []string{reqEMVCoLife, reqSeedLUK, reqSeedToken},
}, func(t *harness.T) {
	s := needTSP(t)
	p := s.provision(s.testPAN(), s.device("suspend-key"))
	p.issueLUK(1)
	p.mustLifecycle("tsp.suspend")
	l, err := p.tryIssueLUK(1)
	if err == nil {
		t.Failf("the token service issued LUK %s (KCV %s) for the suspended token %s", l.LUKID, strings.ToUpper(l.KCV), mask.PAN(p.tok.Token))
	}
	code, _ := adapter.ErrorCode(err)
	t.Note("a LUK for the suspended token: %v", err)
	Expect(code).To(Equal(adapter.CodeSuspended), fmt.Sprintf("a LUK for a suspended token was refused with code %d; the protocol's refusal for a suspended token is 1004", code))
	p.mustLifecycle("tsp.resume")
	if _, err := p.tryIssueLUK(1); err != nil {
		t.Failf("%v: the token service refused a LUK for the token after resuming it", err)
	}
})

var _ = harness.Case(harness.TestCase{
	ID:    "TOK-LCM-003",
	Suite: "token", Needs: "tsp",
	Title:        "Replacing a token: the old one is declined, the new one approved",
	Requirement:  "When a token is replaced (re-issued for the same card), the token service MUST return a different token, MUST decline the old token from then on and MUST approve the new token's genuine transactions.",
	Requirements: []string{reqEMVCoLife, reqSeedToken, reqDSS35},
}, func(t *harness.T) {
	s := needTSP(t)
	old := s.provision(s.testPAN(), s.device("replace"))
	l := old.issueLUK(2)
	if l.MaxUses >= 2 {
		_, d := old.pay()
		Expect(d.approved).To(BeTrue(), fmt.Sprintf("before replacement a genuine transaction was %s", d))
	}
	nw := &phone{s: s, pan: old.pan, device: old.device, atc: uint16(1 + t.Session().IntN(0x7FFF))}
	if err := t.Call(role, "tsp.replace", map[string]string{"token_ref": old.tok.TokenRef}, &nw.tok); err != nil {
		t.Errorf("%v: the token service refused to replace an active token, so the test case cannot be exercised", err)
	}
	t.Note("token %s replaced by %s", mask.PAN(old.tok.Token), mask.PAN(nw.tok.Token))
	Expect(nw.tok.Token == old.tok.Token).To(BeFalse(), "the replacement token is the old token")
	Expect(mask.Luhn(nw.tok.Token)).To(BeTrue(), "the replacement token fails the Luhn check")
	_, d := old.pay()
	Expect(d.approved).To(BeFalse(), fmt.Sprintf("the replaced token %s was still approved", mask.PAN(old.tok.Token)))
	nw.issueLUK(1)
	_, d = nw.pay()
	Expect(d.approved).To(BeTrue(), fmt.Sprintf("the replacement token's genuine transaction was %s", d))
})
