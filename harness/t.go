package harness

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/paycert/paycert/iso7816"
	"github.com/paycert/paycert/mask"
	"github.com/paycert/paycert/reports"
	"github.com/paycert/paycert/tlv"
)

// ExchangeTimeout bounds one exchange with the IUT within a spec.
var ExchangeTimeout = 5 * time.Second

// T is a running test case's handle on the IUT and its evidence.
type T struct {
	// Values holds the test case's own state between helper calls.
	Values map[string]any

	ctx  context.Context
	tc   TestCase
	sess *Session
	rec  *record
}

// record is what a spec leaves for the reporter.
type record struct {
	mu        sync.Mutex
	evidence  []reports.Evidence
	exercised map[string]int
	verdict   reports.Verdict // Error or NotApplicable when the body set it
	message   string
}

var (
	recMu   sync.Mutex
	records = map[string]*record{}
)

func takeRecord(id string) *record {
	recMu.Lock()
	defer recMu.Unlock()
	r := records[id]
	delete(records, id)
	return r
}

func runCase(ctx context.Context, tc TestCase, body func(t *T)) {
	s := Current()
	if s == nil {
		ginkgo.Fail("harness: no session configured: run the suite through certify or harness.RunGoTest")
	}
	rec := &record{}
	recMu.Lock()
	records[tc.ID] = rec
	recMu.Unlock()
	t := &T{ctx: ctx, tc: tc, sess: s, rec: rec, Values: map[string]any{}}
	if s.Refresh != nil {
		for _, n := range s.Refresh(ctx, tc.Needs) {
			t.Note("%s", n)
		}
	}
	if !s.has(tc.Needs) {
		t.NotApplicable(fmt.Sprintf("the probe %s offers no %s IUT", s.ProbeURI(), tc.Needs))
	}
	body(t)
	if tc.Exercises != "" && t.Count(tc.Exercises) == 0 {
		t.Failf("the test case exercised no %s, so it cannot show that the requirement holds: the IUT refused or declined everything it was asked (see the evidence)", tc.Exercises)
	}
}

// Exercised counts one instance of what the requirement is about (see
// TestCase.Exercises): call it where the body has checked one.
func (t *T) Exercised(kind string) {
	t.rec.mu.Lock()
	defer t.rec.mu.Unlock()
	if t.rec.exercised == nil {
		t.rec.exercised = map[string]int{}
	}
	t.rec.exercised[kind]++
}

// Count returns how many of kind the test case has exercised so far.
func (t *T) Count(kind string) int {
	t.rec.mu.Lock()
	defer t.rec.mu.Unlock()
	return t.rec.exercised[kind]
}

// Context returns the spec's context, carrying the spec deadline.
func (t *T) Context() context.Context { return t.ctx }

// Session returns the run's session.
func (t *T) Session() *Session { return t.sess }

// Note records a line of evidence. It is masked before it is stored.
func (t *T) Note(format string, args ...any) {
	t.evidence("note", fmt.Sprintf(format, args...))
}

func (t *T) evidence(kind, text string) {
	t.rec.mu.Lock()
	defer t.rec.mu.Unlock()
	t.rec.evidence = append(t.rec.evidence, reports.Evidence{Kind: kind, Text: t.sess.Masker.Text(text)})
}

// Evidence records an item of the given kind (e.g. "rpc").
func (t *T) Evidence(kind, text string) { t.evidence(kind, text) }

// NotApplicable ends the test with verdict not-applicable and the reason.
func (t *T) NotApplicable(reason string) {
	t.rec.mu.Lock()
	t.rec.verdict, t.rec.message = reports.NotApplicable, reason
	t.rec.mu.Unlock()
	ginkgo.Skip("not applicable: " + reason)
}

// Errorf ends the test with verdict error: the IUT could not be exercised
// (it stalled, disconnected, or answered something unparseable), so no
// statement about the requirement can be made.
func (t *T) Errorf(format string, args ...any) {
	msg := t.sess.Masker.Text(fmt.Sprintf(format, args...))
	t.rec.mu.Lock()
	t.rec.verdict, t.rec.message = reports.Error, msg
	t.rec.mu.Unlock()
	ginkgo.Fail(msg, 1)
}

// Failf ends the test with verdict fail: the IUT broke the requirement.
func (t *T) Failf(format string, args ...any) {
	ginkgo.Fail(t.sess.Masker.Text(fmt.Sprintf(format, args...)), 1)
}

// Must ends the test with verdict error when err is not nil.
func (t *T) Must(err error, what string) {
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func (t *T) exchangeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.ctx, ExchangeTimeout)
}

// Exchange sends a command APDU to the card and returns its response. A
// transport failure ends the test with verdict error; any status word is
// returned to the caller to judge.
func (t *T) Exchange(cmd iso7816.Command) iso7816.Response {
	resp, err := t.TryExchange(cmd)
	if err != nil {
		t.Errorf("%v", err)
	}
	return resp
}

// TryExchange is Exchange returning transport failures to the caller.
func (t *T) TryExchange(cmd iso7816.Command) (iso7816.Response, error) {
	card := t.sess.Card
	name := commandName(cmd)
	raw, err := cmd.Bytes()
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := t.exchangeCtx()
	defer cancel()
	start := time.Now()
	out, err := card.Transmit(ctx, raw)
	if err != nil {
		t.evidence("apdu", fmt.Sprintf("%s C: %X  R: <%v>", name, raw, err))
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline") {
			return iso7816.Response{}, fmt.Errorf("%s: the IUT did not answer within %s: %w", name, time.Since(start).Round(time.Millisecond), err)
		}
		return iso7816.Response{}, fmt.Errorf("%s: %w", name, err)
	}
	t.learnPANs(out)
	t.evidence("apdu", fmt.Sprintf("%s C: %X  R: %s", name, raw, mask.Bound(fmt.Sprintf("%X", out), MaxQuotedAPDU)))
	resp, err := iso7816.ParseResponse(out)
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkRAPDU(raw, resp, len(out)); err != nil {
		return iso7816.Response{}, fmt.Errorf("%s: %w", name, err)
	}
	return resp, nil
}

// Reset power-cycles the card, recording the ATR. An ATR that is not valid
// under ISO/IEC 7816-3 ends the test with verdict error: a terminal could
// not talk to that card.
func (t *T) Reset() []byte {
	ctx, cancel := t.exchangeCtx()
	defer cancel()
	atr, err := t.sess.Card.Reset(ctx)
	if err != nil {
		t.Errorf("reset: %v", err)
	}
	t.evidence("apdu", fmt.Sprintf("RESET ATR: %X", atr))
	if _, err := iso7816.ParseATR(atr); err != nil {
		t.Errorf("reset: the card answered an ATR that ISO/IEC 7816-3 does not allow (%X): %v", atr, err)
	}
	return atr
}

// learnPANs registers every PAN (5A) and track-2 PAN (57) in a response
// with the masker before the response is recorded.
func (t *T) learnPANs(resp []byte) {
	if len(resp) < 2 {
		return
	}
	l, err := tlv.Parse(resp[:len(resp)-2])
	if err != nil {
		return
	}
	tlv.Walk(l, func(o tlv.TLV) {
		switch o.Tag {
		case 0x5A, 0x9F6B:
			t.sess.Masker.Add(strings.TrimRight(strings.ToUpper(hex.EncodeToString(o.Value)), "F"))
		case 0x57:
			pan, _, _ := strings.Cut(strings.ToUpper(hex.EncodeToString(o.Value)), "D")
			t.sess.Masker.Add(pan)
		}
	})
}

func commandName(c iso7816.Command) string {
	switch {
	case c.INS == iso7816.InsSelect:
		return "SELECT"
	case c.INS == iso7816.InsGPO:
		return "GET PROCESSING OPTIONS"
	case c.INS == iso7816.InsReadRecord:
		return fmt.Sprintf("READ RECORD %d/SFI %d", c.P1, c.P2>>3)
	case c.INS == iso7816.InsGenerateAC:
		return fmt.Sprintf("GENERATE AC P1=%02X", c.P1)
	case c.INS == iso7816.InsGetData:
		return fmt.Sprintf("GET DATA %02X%02X", c.P1, c.P2)
	case c.INS == iso7816.InsGetResponse:
		return "GET RESPONSE"
	}
	return fmt.Sprintf("INS %02X", c.INS)
}
