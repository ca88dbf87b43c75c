package target

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/iut"
	"github.com/paycert/paycert/iut/hsm"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/pkcs11"
)

func refHSMFaults() []iut.Fault { return hsm.Faults }

func (s *Set) setHSM(h *pkcs11.HSM) error {
	if s.HSM != nil {
		h.Close()
		return fmt.Errorf("%w: two probes name an HSM (%s and %s)", probes.ErrUsage, s.HSM.URI(), h.URI())
	}
	s.HSM = h
	s.close = append(s.close, h.Close)
	return nil
}

// openRefHSM provisions the reference SoftHSM2 token (with fault, when the
// fault is the HSM's) and opens it. Without SoftHSM2 the set has no HSM
// and says so in Notes, unless the fault needs the HSM (required).
func (s *Set) openRefHSM(ctx context.Context, fault string, required bool) error {
	if !required {
		fault = ""
	}
	tok, err := hsm.Provision("", fault)
	if errors.Is(err, hsm.ErrNoSoftHSM) && !required {
		s.Notes = append(s.Notes, "ref: "+err.Error()+": the reference HSM is absent, so the hsm suite is not run")
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: reference HSM: %w", probes.ErrTransport, err)
	}
	s.close = append(s.close, tok.Close)
	h, err := pkcs11.Open(ctx, tok.URI)
	if err != nil {
		return fmt.Errorf("reference HSM: %w", err)
	}
	if err := s.setHSM(h); err != nil {
		return err
	}
	s.refHSM = tok.Declared
	return nil
}

// AmendICS adds to the reference ICS (ics.Default) what the reference HSM's
// set-up recorded: its keys, purposes and KCVs, which exist only once the
// token has been provisioned for this run. The amended ICS is parsed from
// default.yaml with that hsm section appended, so that its digest and the
// redacted copy in the report hold the section too; its Source says where
// the section came from. AmendICS does nothing to another ICS, to one that
// already has an hsm section, or without a reference HSM.
func (s *Set) AmendICS(c *ics.ICS) {
	if c == nil || s.refHSM == nil || c.HSM != nil || c.Source != ics.DefaultName {
		return
	}
	var b strings.Builder
	b.Write(ics.DefaultYAML())
	b.WriteString("\n# The reference HSM (iut/hsm): the keys its set-up generated for this run.\nhsm:\n  keys:\n")
	for _, k := range s.refHSM.Keys {
		fmt.Fprintf(&b, "    - {label: %q, purpose: %s, kcv: %q}\n", k.Label, k.Purpose, k.KCV)
	}
	amended, err := ics.Parse([]byte(b.String()), ics.DefaultName+" + the reference HSM's keys")
	if err != nil {
		// The set-up's labels and KCVs are paycert's own; a failure here
		// is a defect, and the HSM cases then say the ICS has no hsm
		// section.
		return
	}
	*c = *amended
}
