package keymgmt

import "github.com/paycert/paycert/harness"

// randomPIN and randomPAN draw test values from the run's seeded source.
func randomPIN(t *harness.T) string {
	n := 4 + t.Session().IntN(9)
	return randomDigits(t, n)
}

func randomPAN(t *harness.T) string {
	n := 13 + t.Session().IntN(7)
	return "4" + randomDigits(t, n-1)
}

func randomDigits(t *harness.T, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + t.Session().IntN(10))
	}
	return string(b)
}
