// Package target opens every implementation under test that a run's probe
// URIs name: a card (ref:, pcsc://, vpcd://, vpcd-listen://) and host-side
// IUTs over the adapter protocol (adapter://, adapter-exec:), whose roles
// ("tsp", "pinpad") come from their hello.
//
// "ref:" names all of paycert's embedded reference IUTs at once: the card,
// and every reference host IUT registered with RegisterRef, each reached
// in-process through the adapter protocol. "ref:?fault=NAME" applies the
// fault to whichever reference IUT owns it.
package target

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/paycert/paycert/iut/card"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/adapter"
	_ "github.com/paycert/paycert/probes/ref" // the ref: card
)

// RefIUT is an embedded reference host-side IUT.
type RefIUT struct {
	Role   string                                      // "tsp", "pinpad"
	Faults []string                                    // its fault names
	New    func(fault string) (*adapter.Server, error) // builds it, faulted or not
}

var (
	refMu sync.Mutex
	refs  []RefIUT
)

// RegisterRef adds a reference host IUT to what "ref:" opens.
func RegisterRef(r RefIUT) {
	refMu.Lock()
	defer refMu.Unlock()
	refs = append(refs, r)
}

func refIUTs() []RefIUT {
	refMu.Lock()
	defer refMu.Unlock()
	return append([]RefIUT(nil), refs...)
}

// Set is the opened IUTs of a run.
type Set struct {
	Card  probes.Card                // nil when no probe names a card
	Hosts map[string]*adapter.Client // by role
	URIs  []string
	close []func() error
}

// Close releases every IUT.
func (s *Set) Close() error {
	var errs []error
	for i := len(s.close) - 1; i >= 0; i-- {
		errs = append(errs, s.close[i]())
	}
	return errors.Join(errs...)
}

// Kinds lists what the set offers: "card" and the host roles.
func (s *Set) Kinds() []string {
	var out []string
	if s.Card != nil {
		out = append(out, "card")
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

func (s *Set) addHost(c *adapter.Client, uri string) error {
	h := c.Hello()
	if len(h.Roles) == 0 {
		c.Close()
		return fmt.Errorf("%w: adapter %s declares no roles in hello", probes.ErrTransport, uri)
	}
	for _, r := range h.Roles {
		if _, dup := s.Hosts[r]; dup {
			c.Close()
			return fmt.Errorf("%w: two probes offer the %s role", probes.ErrUsage, r)
		}
		s.Hosts[r] = c
	}
	s.close = append(s.close, c.Close)
	return nil
}

func (s *Set) open(ctx context.Context, uri string, opts []adapter.Option) error {
	scheme, _, _ := strings.Cut(uri, ":")
	switch scheme {
	case "adapter", "adapter-exec":
		c, err := adapter.Dial(ctx, uri, opts...)
		if err != nil {
			return fmt.Errorf("%w: %w", probes.ErrTransport, err)
		}
		return s.addHost(c, uri)
	case "ref":
		return s.openRef(ctx, uri, opts)
	}
	c, err := probes.Open(ctx, uri)
	if err != nil {
		return err
	}
	return s.setCard(c)
}

func (s *Set) openRef(ctx context.Context, uri string, opts []adapter.Option) error {
	u, err := url.Parse(uri)
	if err != nil || strings.HasPrefix(uri, "ref://") {
		return fmt.Errorf("%w %q: write ref: or ref:?fault=NAME", probes.ErrUsage, uri)
	}
	fault := u.Query().Get("fault")
	owner := ""
	if fault != "" {
		if _, err := card.LookupFault(fault); err == nil {
			owner = "card"
		}
		for _, r := range refIUTs() {
			for _, f := range r.Faults {
				if f == fault {
					owner = r.Role
				}
			}
		}
		if owner == "" {
			return fmt.Errorf("%w %q: unknown fault %q (known: %s)", probes.ErrUsage, uri, fault, strings.Join(FaultNames(), ", "))
		}
	}
	cardURI := "ref:"
	if owner == "card" {
		cardURI += "?fault=" + fault
	}
	c, err := probes.Open(ctx, cardURI)
	if err != nil {
		return err
	}
	if err := s.setCard(c); err != nil {
		return err
	}
	for _, r := range refIUTs() {
		f := ""
		if owner == r.Role {
			f = fault
		}
		srv, err := r.New(f)
		if err != nil {
			return fmt.Errorf("%w: reference %s: %w", probes.ErrUsage, r.Role, err)
		}
		cl, err := adapter.Pipe(ctx, srv, opts...)
		if err != nil {
			return fmt.Errorf("%w: reference %s: %w", probes.ErrTransport, r.Role, err)
		}
		if err := s.addHost(cl, "ref:"); err != nil {
			return err
		}
	}
	return nil
}

// FaultNames lists every reference fault, of every reference IUT.
func FaultNames() []string {
	out := card.FaultNames()
	for _, r := range refIUTs() {
		out = append(out, r.Faults...)
	}
	sort.Strings(out)
	return out
}
