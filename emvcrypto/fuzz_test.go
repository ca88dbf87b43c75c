package emvcrypto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/paycert/paycert/emvcrypto"
)

var seedIADs = []string{
	"07010103A00000010A010000038787868FD1FC", // real qPBOC card
	"07000103A03002010A010000000000B0992D81", // PBOC blog sample
	"06011203A0B800",                         // Visa CVN 18 (pyemv)
	"06010A03A06010",
	"0110A00003220000000000000000000000FF", // Mastercard CVN 16 (pyemv)
	"1F22" + strings.Repeat("00", 30),
	"07010103A0000001",
	"07010103A00000010A",
	"06011203A0B80001",
	"",
}

func FuzzParseIAD(f *testing.F) {
	for _, s := range seedIADs {
		b, _ := hex.DecodeString(s)
		for _, hint := range []byte{0, byte(emvcrypto.CVNVisa18), byte(emvcrypto.CVNMastercard17), byte(emvcrypto.CVNPBOC)} {
			f.Add(hint, b)
		}
	}
	f.Fuzz(func(t *testing.T, hint byte, in []byte) {
		orig := bytes.Clone(in)
		p, err := emvcrypto.ParseIAD(emvcrypto.CVN(hint), in)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Raw, orig) {
			t.Fatalf("Raw %X != input %X", p.Raw, orig)
		}
		switch len(p.CVR) {
		case 4, 5, 6:
		default:
			t.Fatalf("CVR of %d bytes", len(p.CVR))
		}
		if p.Scheme == emvcrypto.SchemePBOC {
			if id, err := p.Algorithm.PBOCID(); err != nil || id != p.AlgorithmID {
				t.Fatalf("algorithm %v does not match id %02X", p.Algorithm, p.AlgorithmID)
			}
		}
		if c, ok := emvcrypto.LookupCVN(p.Scheme, p.CVNNumber); ok != (p.CVN != 0) || c != p.CVN {
			t.Fatalf("CVN %v inconsistent with number %02X", p.CVN, p.CVNNumber)
		}
		// The result must not alias the caller's buffer.
		for i := range in {
			in[i] ^= 0xFF
		}
		if !bytes.Equal(p.Raw, orig) {
			t.Fatal("parsed IAD aliases the input")
		}
		// Re-parsing with the version found must give the same result.
		if p.CVN != 0 {
			q, err := emvcrypto.ParseIAD(p.CVN, orig)
			if err != nil || q.Scheme != p.Scheme || !bytes.Equal(q.CVR, p.CVR) || q.ACType != p.ACType {
				t.Fatalf("re-parse with %v: %+v, %v", p.CVN, q, err)
			}
		}
	})
}

func FuzzMasterKeyDerivationData(f *testing.F) {
	f.Add(byte(1), "99012345678901234", "45")
	f.Add(byte(2), "12345678901234567", "01")
	f.Add(byte(2), "1234567890123456789", "")
	f.Add(byte(1), "1", "00")
	f.Add(byte(3), "1234", "0")
	f.Fuzz(func(t *testing.T, opt byte, pan, psn string) {
		y, err := emvcrypto.MasterKeyDerivationData(emvcrypto.DerivationOption(opt), pan, psn)
		if err != nil {
			return
		}
		if len(y) != 8 {
			t.Fatalf("Y has %d bytes", len(y))
		}
		for _, b := range y {
			if b>>4 > 9 || b&0x0F > 9 {
				t.Fatalf("Y %X is not BCD", y)
			}
		}
		if emvcrypto.DerivationOption(opt) == emvcrypto.OptionA || len(pan) <= 16 {
			if psn == "" {
				psn = "00"
			}
			x := strings.Repeat("0", 16) + pan + psn
			if got, want := strings.ToUpper(hex.EncodeToString(y)), x[len(x)-16:]; got != want {
				t.Fatalf("option A Y = %s, want %s", got, want)
			}
		}
	})
}

// splitTx cuts fuzz bytes into the TxData fields, each taking a length
// from the leading bytes (so wrong lengths are exercised too).
func splitTx(b []byte) emvcrypto.TxData {
	std := []int{6, 6, 2, 5, 2, 3, 1, 4, 2, 2}
	fields := make([][]byte, 11)
	lens := b
	if len(lens) > 11 {
		lens = lens[:11]
	}
	rest := b[len(lens):]
	for i := range fields {
		n := 18 // the IAD takes what is left, up to 32 bytes
		if i < len(std) {
			n = std[i]
		}
		if i < len(lens) && lens[i]&0x80 != 0 {
			n = int(lens[i] & 0x3F)
		}
		if i == 10 {
			n = min(len(rest), 32)
		}
		if n > len(rest) {
			n = len(rest)
		}
		fields[i], rest = rest[:n], rest[n:]
	}
	return emvcrypto.TxData{
		AmountAuthorised: fields[0], AmountOther: fields[1], TerminalCountryCode: fields[2], TVR: fields[3],
		CurrencyCode: fields[4], TransactionDate: fields[5], TransactionType: fields[6], UnpredictableNumber: fields[7],
		AIP: fields[8], ATC: fields[9], IAD: fields[10],
	}
}

func fuzzTxSeed(iadHex string) []byte {
	iad, _ := hex.DecodeString(iadHex)
	b := make([]byte, 11) // all standard lengths
	b = append(b, make([]byte, 33)...)
	return append(b, iad...)
}

func FuzzACInput(f *testing.F) {
	for _, s := range seedIADs {
		for _, c := range emvcrypto.CVNs() {
			f.Add(byte(c), fuzzTxSeed(s))
		}
	}
	f.Fuzz(func(t *testing.T, cvn byte, b []byte) {
		tx := splitTx(b)
		in, err := emvcrypto.ACInput(emvcrypto.CVN(cvn), tx)
		if err != nil {
			return
		}
		info, _ := emvcrypto.CVN(cvn).Info()
		iad, err := emvcrypto.ParseIAD(emvcrypto.CVN(cvn), tx.IAD)
		if err != nil {
			t.Fatalf("ACInput accepted an IAD ParseIAD rejects: %v", err)
		}
		extra := info.IADData(iad)
		if len(in) != 33+len(extra) || !bytes.Equal(in[33:], extra) || !bytes.Equal(in[31:33], tx.ATC) {
			t.Fatalf("AC input %X has the wrong layout", in)
		}
	})
}

var fuzzIssuers = func() []*emvcrypto.Issuer {
	var out []*emvcrypto.Issuer
	for _, c := range emvcrypto.CVNs() {
		info, _ := c.Info()
		for _, alg := range info.Algorithms {
			imk, _ := emvcrypto.NewKey(alg, bytes.Repeat([]byte{0x42}, 16))
			is, err := emvcrypto.NewIssuer(emvcrypto.Config{IMK: imk, Option: emvcrypto.OptionB, PAN: "12345678901234567", PSN: "01", CVN: c})
			if err != nil {
				panic(err)
			}
			out = append(out, is)
		}
	}
	return out
}()

func FuzzVerifyAC(f *testing.F) {
	for i, s := range seedIADs {
		f.Add(byte(i), fuzzTxSeed(s), []byte("ABCDEFGH"))
	}
	f.Fuzz(func(t *testing.T, which byte, b, ac []byte) {
		is := fuzzIssuers[int(which)%len(fuzzIssuers)]
		tx := splitTx(b)
		err := is.VerifyAC(tx, ac)
		want, cerr := is.ComputeAC(tx)
		switch {
		case err == nil && (cerr != nil || !bytes.Equal(want, ac)):
			t.Fatalf("VerifyAC accepted %X (ComputeAC %X, %v)", ac, want, cerr)
		case errors.Is(err, emvcrypto.ErrACMismatch) && (cerr != nil || bytes.Equal(want, ac)):
			t.Fatalf("mismatch reported for a matching AC")
		}
		if cerr == nil {
			if err := is.VerifyAC(tx, want); err != nil {
				t.Fatalf("own AC rejected: %v", err)
			}
		}
		// The ARPC paths must not panic on the same data.
		_, _ = is.ARPC(tx, ac, emvcrypto.ARPCParams{ARC: b[:min(len(b), 2)], CSU: b[:min(len(b), 4)], ProprietaryAuthData: ac})
	})
}

func FuzzMAC(f *testing.F) {
	f.Add([]byte("hello world"), byte(1), byte(0))
	f.Add([]byte{}, byte(2), byte(1))
	f.Add(bytes.Repeat([]byte{0x80}, 16), byte(2), byte(1))
	keys := []emvcrypto.Key{}
	for _, alg := range []emvcrypto.Algorithm{emvcrypto.AlgTDES, emvcrypto.AlgSM4} {
		k, _ := emvcrypto.NewKey(alg, bytes.Repeat([]byte{0x5A}, 16))
		keys = append(keys, k)
	}
	f.Fuzz(func(t *testing.T, data []byte, pad, which byte) {
		k := keys[int(which)%len(keys)]
		p := emvcrypto.Padding(pad)
		padded, err := emvcrypto.Pad(data, k.Algorithm().BlockSize(), p)
		mac, merr := emvcrypto.MAC(k, data, p)
		if (err == nil) != (merr == nil) {
			t.Fatalf("Pad error %v but MAC error %v", err, merr)
		}
		if err != nil {
			return
		}
		bs := k.Algorithm().BlockSize()
		if len(padded)%bs != 0 || len(padded) == 0 || !bytes.Equal(padded[:len(data)], data) {
			t.Fatalf("bad padding %X of %X", padded, data)
		}
		if p == emvcrypto.PaddingMethod2 && (padded[len(data)] != 0x80 || len(padded)-len(data) > bs) {
			t.Fatalf("bad method 2 padding %X", padded)
		}
		if len(mac) != 8 {
			t.Fatalf("MAC of %d bytes", len(mac))
		}
	})
}
