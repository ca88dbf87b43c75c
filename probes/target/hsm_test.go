package target_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paycert/paycert/ics"
	"github.com/paycert/paycert/iut/hsm"
	"github.com/paycert/paycert/probes"
	"github.com/paycert/paycert/probes/target"
)

// TestRefHSM checks that ref: opens a SoftHSM2 token and amends the
// reference ICS with its keys, that an HSM fault needs it, and that
// without SoftHSM2 ref: has no HSM and says so.
func TestRefHSM(t *testing.T) {
	if _, err := hsm.Module(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := context.Background()
	s, err := target.Open(ctx, []string{"ref:?fault=" + hsm.FaultWeakKEK})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(s.Kinds(), "hsm") || s.HSM == nil || !strings.HasPrefix(s.HSM.URI(), "pkcs11:token=paycert-ref?module-path=") {
		t.Fatalf("ref: kinds %v", s.Kinds())
	}
	if strings.Contains(s.HSM.URI(), "pin-source") {
		t.Errorf("URI() shows the PIN source: %s", s.HSM.URI())
	}
	c := ics.Default()
	s.AmendICS(c)
	if c.HSM == nil || len(c.HSM.Keys) != 7 {
		t.Fatalf("AmendICS: %+v", c.HSM)
	}
	other := &ics.ICS{Source: "vendor.yaml"}
	s.AmendICS(other)
	if other.HSM != nil {
		t.Error("AmendICS changed an ICS that is not the reference one")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}

	t.Setenv(hsm.ModuleEnv, "none")
	s, err = target.Open(ctx, []string{"ref:"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.HSM != nil || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "SoftHSM2 is not installed") {
		t.Errorf("without SoftHSM2: HSM %v, notes %q", s.HSM, s.Notes)
	}
	if _, err := target.Open(ctx, []string{"ref:?fault=" + hsm.FaultWeakKEK}); !errors.Is(err, probes.ErrTransport) {
		t.Errorf("an HSM fault without SoftHSM2: %v", err)
	}
}
