// Package target opens every implementation under test that a run's probe
// URIs name: a card (ref:, pcsc://, vpcd://, vpcd-listen://), host-side
// IUTs over the adapter protocol (adapter://, adapter-exec:), whose roles
// ("tsp", "pinpad") come from their hello, and an HSM (pkcs11:).
//
// "ref:" names all of paycert's embedded reference IUTs at once: the card,
// and the reference token service and PIN pad (iut/tsp, iut/pinpad), each reached
// in-process through the adapter protocol, and, when SoftHSM2 is
// installed and no pkcs11: probe names an HSM, a reference SoftHSM2 token
// (iut/hsm) in a temporary directory removed on Close. "ref:?fault=NAME"
// applies the fault to whichever reference IUT owns it. "ref:?only=KIND[,KIND]"
// opens only those reference IUTs (card, tsp, pinpad, hsm), so that one can
// be paired with a vendor's IUT of another kind: "--probe adapter://HOST:PORT
// --probe ref:?only=card" lets the token suite's card-side test case pay
// with the vendor token service's keys on paycert's reference card.
package target

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/iut/hostile"
	"github.com/paycert/paycert/iut/pinpad"
	"github.com/paycert/paycert/iut/tsp"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/pkcs11"
	"github.com/paycert/paycert/probes/ref" // the ref: card
)

// refHost is an embedded reference host-side IUT.
type refHost struct {
	role   string                                      // "tsp", "pinpad"
	faults []iut.Fault                                 // its faults
	new    func(fault string) (*adapter.Server, error) // builds it, faulted or not
}

// refHosts are the reference host IUTs that "ref:" opens besides the card.
var refHosts = []refHost{
	{iut.TSP, tsp.Faults, func(fault string) (*adapter.Server, error) {
		s, err := tsp.New(tsp.Config{Fault: fault})
		if err != nil {
			return nil, err
		}
		return s.Server(), nil
	}},
	{iut.PINPad, pinpad.Faults, func(fault string) (*adapter.Server, error) { return pinpad.New(fault) }},
}

// Faults is the catalogue of every reference fault, of every reference
// IUT, by IUT and name.
func Faults() []iut.Fault {
	out := slices.Concat(card.Faults, hostile.Faults)
	for _, r := range refHosts {
		out = append(out, r.faults...)
	}
	out = append(out, refHSMFaults()...)
	slices.SortStableFunc(out, func(a, b iut.Fault) int {
		return cmp.Or(cmp.Compare(a.IUT, b.IUT), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// MaxReconnects is how many times Reconnect dials a host IUT again in one
// run before it leaves the connection broken.
const MaxReconnects = 3

// Set is the opened IUTs of a run.
type Set struct {
	Card  probes.Card                // nil when no probe names a card
	Hosts map[string]*adapter.Client // by role
	HSM   *pkcs11.HSM                // nil when no probe names an HSM
	URIs  []string
	// Notes are lines for the report about what the probes could not
	// offer (e.g. ref: without SoftHSM2 has no HSM).
	Notes []string
	// refHSM is what the reference HSM's set-up declares (its keys and
	// KCVs), for the reference ICS; nil without a reference HSM.
	refHSM *ics.HSM
	close  []func() error
	hosts  []*host
	// life bounds the in-process reference servers: until Close.
	life context.Context
	stop context.CancelFunc
}

// host is one adapter connection, serving one or more roles.
type host struct {
	uri        string
	roles      []string
	c          *adapter.Client
	redial     func(ctx context.Context) (*adapter.Client, error)
	reconnects int
}

// Close releases every IUT.
func (s *Set) Close() error {
	var errs []error
	for i := len(s.close) - 1; i >= 0; i-- {
		errs = append(errs, s.close[i]())
	}
	if s.stop != nil {
		s.stop()
	}
	return errors.Join(errs...)
}

// Reconnect gives the host IUT serving role a new connection if an earlier
// call broke the one it had (adapter.Client.Err): a protocol violation, a
// lost connection or an adapter process that exited. The responses of the
// adapter protocol are matched by order, so a broken connection cannot be
// resumed, but the next test case need not inherit the breakage. It dials
// the same URI again (adapter://, adapter-exec: starts the program again;
// a reference IUT gets a new in-process connection to the same server, so
// its state is kept), at most MaxReconnects times per host and run. A
// connection that broke by a timeout is not replaced: an adapter that
// stalled would most likely stall again and cost every later test case its
// full deadline. It returns one line per attempt, for the test record.
func (s *Set) Reconnect(ctx context.Context, role string) []string {
	var notes []string
	for _, h := range s.hosts {
		if !slices.Contains(h.roles, role) {
			continue
		}
		cause := h.c.Err()
		if cause == nil || errors.Is(cause, adapter.ErrClosed) ||
			errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) ||
			h.reconnects >= MaxReconnects {
			continue
		}
		h.reconnects++
		what := fmt.Sprintf("%s adapter %s", strings.Join(h.roles, ","), h.uri)
		dctx, cancel := context.WithTimeout(ctx, adapter.DefaultCallTimeout)
		c, err := h.redial(dctx)
		cancel()
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: reconnecting (%d of %d) after the connection broke (%v) failed: %v", what, h.reconnects, MaxReconnects, cause, err))
			continue
		}
		if got := c.Hello().Roles; !sameRoles(got, h.roles) {
			c.Close()
			notes = append(notes, fmt.Sprintf("%s: reconnected (%d of %d) but hello now declares roles %v, not %v; connection not used", what, h.reconnects, MaxReconnects, got, h.roles))
			continue
		}
		h.c.Close()
		h.c = c
		for _, r := range h.roles {
			s.Hosts[r] = c
		}
		notes = append(notes, fmt.Sprintf("%s: reconnected (%d of %d) after an earlier test case broke the connection: %v", what, h.reconnects, MaxReconnects, cause))
	}
	return notes
}

func sameRoles(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Kinds lists what the set offers: "card" and the host roles.
func (s *Set) Kinds() []string {
	var out []string
	if s.Card != nil {
		out = append(out, "card")
	}
	if s.HSM != nil {
		out = append(out, iut.HSM)
	}
	for r := range s.Hosts {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Open opens the IUTs the URIs name. Errors in a URI wrap probes.ErrUsage;
// failures to reach an IUT wrap probes.ErrTransport.
func Open(ctx context.Context, uris []string, opts ...adapter.Option) (*Set, error) {
	if len(uris) == 0 {
		uris = []string{"ref:"}
	}
	s := &Set{Hosts: map[string]*adapter.Client{}, URIs: uris}
	// The reference servers live as long as the set, not as long as the
	// (opening) context.
	s.life, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	for _, uri := range uris {
		if err := s.open(ctx, uri, opts); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) setCard(c probes.Card) error {
	if s.Card != nil {
		c.Close()
		return fmt.Errorf("%w: two probes name a card (%s and %s)", probes.ErrUsage, s.Card.URI(), c.URI())
	}
	s.Card = c
	s.close = append(s.close, c.Close)
	return nil
}

func (s *Set) addHost(c *adapter.Client, uri string, redial func(context.Context) (*adapter.Client, error)) error {
	hello := c.Hello()
	if len(hello.Roles) == 0 {
		c.Close()
		return fmt.Errorf("%w: adapter %s declares no roles in hello", probes.ErrTransport, uri)
	}
	for _, r := range hello.Roles {
		if _, dup := s.Hosts[r]; dup {
			c.Close()
			return fmt.Errorf("%w: two probes offer the %s role; ref: opens every reference IUT, so to pair one with another IUT name only the ones you want, e.g. ref:?only=card", probes.ErrUsage, r)
		}
		s.Hosts[r] = c
	}
	h := &host{uri: uri, roles: slices.Clone(hello.Roles), c: c, redial: redial}
	s.hosts = append(s.hosts, h)
	s.close = append(s.close, func() error { return h.c.Close() })
	return nil
}

func (s *Set) open(ctx context.Context, uri string, opts []adapter.Option) error {
	scheme, _, _ := strings.Cut(uri, ":")
	switch scheme {
	case "adapter", "adapter-exec":
		c, err := adapter.Dial(ctx, uri, opts...)
		if errors.Is(err, adapter.ErrBadURI) {
			return fmt.Errorf("%w: %w", probes.ErrUsage, err)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", probes.ErrTransport, err)
		}
		return s.addHost(c, uri, func(ctx context.Context) (*adapter.Client, error) {
			return adapter.Dial(ctx, uri, opts...)
		})
	case "ref":
		return s.openRef(ctx, uri, opts)
	case pkcs11.Scheme:
		h, err := pkcs11.Open(ctx, uri)
		if err != nil {
			return err
		}
		return s.setHSM(h)
	}
	c, err := probes.Open(ctx, uri)
	if err != nil {
		return err
	}
	return s.setCard(c)
}

func (s *Set) openRef(ctx context.Context, uri string, opts []adapter.Option) error {
	u, err := url.Parse(uri)
	if err != nil || strings.HasPrefix(uri, "ref://") || u.Opaque != "" {
		return fmt.Errorf("%w %q: write ref:, ref:?profile=P&fault=NAME or ref:?only=KIND[,KIND] (KIND card, tsp, pinpad or hsm)", probes.ErrUsage, uri)
	}
	for k := range u.Query() {
		if k != "fault" && k != "only" && k != "profile" {
			return fmt.Errorf("%w %q: unknown parameter %q (ref: takes fault, profile and only)", probes.ErrUsage, uri, k)
		}
	}
	open := map[string]bool{iut.Card: true, iut.TSP: true, iut.PINPad: true, iut.HSM: true}
	if only := u.Query().Get("only"); u.Query().Has("only") {
		clear(open)
		for _, k := range strings.Split(only, ",") {
			k = strings.TrimSpace(k)
			if k != iut.Card && k != iut.TSP && k != iut.PINPad && k != iut.HSM {
				return fmt.Errorf("%w %q: only=%q: each kind must be card, tsp, pinpad or hsm", probes.ErrUsage, uri, only)
			}
			open[k] = true
		}
	}
	fault, profile := u.Query().Get("fault"), u.Query().Get("profile")
	owner := ""
	if fault != "" {
		all := Faults()
		f, err := iut.Lookup(all, "ref:", fault)
		if err != nil {
			return fmt.Errorf("%w %q: unknown fault %q (known: %s)", probes.ErrUsage, uri, fault, strings.Join(iut.Names(all), ", "))
		}
		owner = f.IUT
		if owner != iut.Adapter && !open[owner] {
			return fmt.Errorf("%w %q: fault %q belongs to the reference %s, which only= leaves out", probes.ErrUsage, uri, fault, owner)
		}
	}
	if open[iut.HSM] && (owner == iut.HSM || !slices.ContainsFunc(s.URIs, func(u string) bool { return strings.HasPrefix(u, pkcs11.Scheme+":") })) {
		if err := s.openRefHSM(ctx, fault, owner == iut.HSM); err != nil {
			return err
		}
	}
	if open[iut.Card] {
		var c probes.Card
		switch {
		case hostile.IsCard(fault):
			c, err = openHostileCard(ctx, s.life, fault)
		case owner == iut.Card:
			c, err = probes.Open(ctx, ref.URI(profile, fault))
		default:
			c, err = probes.Open(ctx, ref.URI(profile, ""))
		}
		if err != nil {
			return err
		}
		if err := s.setCard(c); err != nil {
			return err
		}
	}
	var wrap func(net.Conn) net.Conn
	if hostile.IsAdapter(fault) {
		wrap = func(c net.Conn) net.Conn {
			hc, _ := hostile.AdapterConn(c, fault)
			return hc
		}
	}
	for _, r := range refHosts {
		if !open[r.role] {
			continue
		}
		f := ""
		if owner == r.role {
			f = fault
		}
		srv, err := r.new(f)
		if err != nil {
			return fmt.Errorf("%w: reference %s: %w", probes.ErrUsage, r.role, err)
		}
		cl, err := adapter.PipeWrap(s.life, srv, wrap, opts...)
		if err != nil {
			return fmt.Errorf("%w: reference %s: %w", probes.ErrTransport, r.role, err)
		}
		redial := func(context.Context) (*adapter.Client, error) { return adapter.PipeWrap(s.life, srv, wrap, opts...) }
		if err := s.addHost(cl, "ref:", redial); err != nil {
			return err
		}
	}
	return nil
}
