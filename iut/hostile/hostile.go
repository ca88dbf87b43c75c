// Package hostile holds paycert's hostile reference faults: behaviours of
// a reference IUT that attack the harness instead of breaking a
// requirement. A card that stalls, drips its answer byte by byte,
// disconnects in the middle of a response or answers garbage, an
// oversized response or a status word no command can return; an adapter
// that never answers hello, exits, writes a line that is not JSON or a
// response to another request, or quotes its secret key in an error
// message.
//
// Each behaviour is a wrapper of the server side of a connection, so it
// applies unchanged to every way a reference IUT is reached: the card's
// vpcd connection (CardConn: `certify serve card`, and ref:, which serves
// a hostile card over a loopback vpcd connection), the adapter
// connection of a reference host IUT (AdapterConn, AdapterRW,
// AdapterListener: ref:, `certify serve tsp|pinpad` over TCP and stdio).
//
// Every hostile fault is an iut.Fault with Hostile set: every test case
// its run selects must end in error (never pass or fail), naming the
// exchange, and certify must exit 3 with a complete report. The one
// exception is adapter-missing-field, a result that does not fit its
// method: that is the IUT's answer, judged as a failure (the adapter
// protocol's verdict policy), so it is an ordinary fault with MustFail.
//
// Names carry the IUT they attack as a prefix ("card-", "adapter-"), so
// that they are unique across the whole catalogue and cannot be taken for
// a requirement fault of the card, token service or PIN pad. This package
// never imports probes/: it speaks the two framings itself.
package hostile

import (
	"slices"
	"strings"

	"github.com/paycert/paycert/iut"
)

// The hostile card faults: every command APDU (not the ATR) is answered
// as the name says.
const (
	// CardStall never answers a command APDU.
	CardStall = "card-stall"
	// CardDrip sends each response one byte at a time, DripInterval
	// apart: slower than any exchange deadline allows.
	CardDrip = "card-drip"
	// CardDisconnect sends the length and half of a response, then closes
	// the connection.
	CardDisconnect = "card-disconnect-mid-response"
	// CardGarbage answers data that is not BER-TLV, with 9000.
	CardGarbage = "card-garbage"
	// CardOversize answers a response of 65,535 bytes (the largest vpcd
	// frame), far more than any R-APDU to a short command can hold (258).
	CardOversize = "card-oversize"
	// CardWrongSW answers with status word 0BAD, which ISO/IEC 7816-4
	// allows no command to return (SW1 must be 6X or 9X, not 60).
	CardWrongSW = "card-wrong-sw"
)

// The hostile adapter faults, of any host-side IUT (iut.Adapter). The
// one-off behaviours strike at the first request after hello of each
// connection, so a reconnected session misbehaves again.
const (
	// AdapterSilentHello never answers hello (nor anything else).
	AdapterSilentHello = "adapter-silent-hello"
	// AdapterStall answers hello and then nothing.
	AdapterStall = "adapter-stall"
	// AdapterExit drops the connection instead of answering the first
	// request after hello; over stdio the adapter process exits.
	AdapterExit = "adapter-exit"
	// AdapterBadJSON answers the first request after hello with a line
	// that is not JSON.
	AdapterBadJSON = "adapter-bad-json"
	// AdapterWrongID answers the first request after hello with the id of
	// another request.
	AdapterWrongID = "adapter-wrong-id"
	// AdapterLeakInError, once a key has crossed the connection (an
	// initial key in pinpad.load_initial_key, a LUK in a tsp.issue_luk
	// result; that request included), answers every request but hello
	// with an internal error (-32603) whose message quotes the key in hex.
	AdapterLeakInError = "adapter-leak-in-error"
	// AdapterMissingField leaves pin_block out of every
	// pinpad.encrypt_pin result. Not hostile: the IUT answers, wrongly.
	AdapterMissingField = "adapter-missing-field"
)

var cardSuites = []string{"emv"}

// hostSuites are the suites a hostile adapter fault's run covers; the
// exhaustive walk is left out to keep the run short (it ends in error at
// its first call like every other test case).
var hostSuites = []string{"keymgmt", "token"}

// Faults is the catalogue of hostile faults (and adapter-missing-field).
var Faults = []iut.Fault{
	{Name: CardStall, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "never answers a command APDU (the ATR is answered)"},
	{Name: CardDrip, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "answers every command APDU one byte at a time, 3 s apart: slower than any exchange deadline allows"},
	{Name: CardDisconnect, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "sends the length and half of every response, then drops the connection"},
	{Name: CardGarbage, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "answers every command APDU with data that is not BER-TLV (and 9000)"},
	{Name: CardOversize, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "answers every command APDU with 65,535 bytes, more than any R-APDU to a short command can hold"},
	{Name: CardWrongSW, IUT: iut.Card, Suites: cardSuites, Hostile: true,
		Breaks: "answers every command APDU with status word 0BAD, which no command can return"},
	{Name: AdapterSilentHello, IUT: iut.Adapter, Suites: hostSuites, LabelFilter: "!exhaustive", Hostile: true, Unreachable: true,
		Breaks: "never answers hello"},
	{Name: AdapterStall, IUT: iut.Adapter, Suites: hostSuites, LabelFilter: "!exhaustive", Hostile: true,
		Breaks: "answers hello, then never answers again"},
	{Name: AdapterExit, IUT: iut.Adapter, Suites: hostSuites, LabelFilter: "!exhaustive", Hostile: true,
		Breaks: "drops the connection (over stdio: exits) instead of answering the first request after hello"},
	{Name: AdapterBadJSON, IUT: iut.Adapter, Suites: hostSuites, LabelFilter: "!exhaustive", Hostile: true,
		Breaks: "answers the first request after hello with a line that is not JSON"},
	{Name: AdapterWrongID, IUT: iut.Adapter, Suites: hostSuites, LabelFilter: "!exhaustive", Hostile: true,
		Breaks: "answers the first request after hello with another request's id"},
	{Name: AdapterLeakInError, IUT: iut.Adapter, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive", Hostile: true,
		Breaks: "once a key crossed the connection (a loaded initial key, an issued LUK), answers every request with an internal error that quotes the key in hex"},
	{Name: AdapterMissingField, IUT: iut.Adapter, Suites: []string{"keymgmt"}, LabelFilter: "!exhaustive",
		Breaks:   "leaves pin_block out of every pinpad.encrypt_pin result",
		MustFail: []string{"KEY-AES-001", "KEY-KAT-001", "KEY-KAT-002", "KEY-KSN-001", "KEY-PIN-001", "KEY-UNQ-001"}},
}

// Lookup returns the named fault of this package; "" is no fault.
func Lookup(name string) (iut.Fault, error) { return iut.Lookup(Faults, "hostile", name) }

// IsCard reports whether name is a hostile card fault.
func IsCard(name string) bool { return is(name, iut.Card) }

// IsAdapter reports whether name is a fault of this package for host-side
// IUTs (served through AdapterConn).
func IsAdapter(name string) bool { return is(name, iut.Adapter) }

func is(name, kind string) bool {
	return slices.ContainsFunc(Faults, func(f iut.Fault) bool { return f.Name == name && f.IUT == kind })
}

// names lists the faults of kind, for error messages.
func names(kind string) string {
	var out []string
	for _, f := range Faults {
		if f.IUT == kind {
			out = append(out, f.Name)
		}
	}
	return strings.Join(out, ", ")
}
