package probes

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
)

// script is a card that answers from a table, for the T=0 procedure logic.
type script struct {
	answers map[string]string
	sent    []string
}

func (s *script) raw(_ context.Context, b []byte) ([]byte, error) {
	k := strings.ToUpper(hex.EncodeToString(b))
	s.sent = append(s.sent, k)
	a, ok := s.answers[k]
	if !ok {
		return []byte{0x6D, 0x00}, nil
	}
	return hex.DecodeString(a)
}

func TestTransceiveT0(t *testing.T) {
	tests := []struct {
		id      int
		comment string
		cmd     string
		answers map[string]string
		want    string
		err     string
	}{
		{1, "plain", "80CA9F3600", map[string]string{"80CA9F3600": "9F360200119000"}, "9F360200119000", ""},
		{2, "61xx chains GET RESPONSE", "00A4040000", map[string]string{"00A4040000": "6104", "00C0000004": "AABBCCDD9000"}, "AABBCCDD9000", ""},
		{3, "two 61xx", "00A4040000", map[string]string{"00A4040000": "6102", "00C0000002": "AABB6102"[:4] + "6103", "00C0000003": "CCDDEE9000"}, "AABBCCDDEE9000", ""},
		{4, "6Cxx resends with Le", "00B2010C00", map[string]string{"00B2010C00": "6C03", "00B2010C03": "7001009000"}, "7001009000", ""},
		{5, "empty answer", "00B2010C00", map[string]string{"00B2010C00": ""}, "", "no status word"},
		{6, "endless 61xx", "00A4040000", map[string]string{"00A4040000": "6101", "00C0000001": "006101"}, "", "still answers 61xx"},
	}
	for _, tc := range tests {
		s := &script{answers: tc.answers}
		cmd, _ := hex.DecodeString(tc.cmd)
		got, err := transceive(context.Background(), cmd, s.raw)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("tc %d (%s): err = %v, want %q", tc.id, tc.comment, err, tc.err)
			}
			continue
		}
		want, _ := hex.DecodeString(tc.want)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("tc %d (%s): got %X, %v (sent %v)", tc.id, tc.comment, got, err, s.sent)
		}
	}
}
