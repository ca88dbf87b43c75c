// Package leakscan finds sensitive values that a run knows in the files it
// wrote: full PANs and key values.
//
// A Scanner is built from the PANs the run learned (mask.Masker.PANs) and
// the secret values it registered (mask.Masker.AddSecret). It looks for
// each PAN that is 13 to 19 decimal digits and passes the Luhn check in
// every form it takes in payment data: its decimal digits, ASCII-hex (the
// digits' ASCII codes in hex, "3632..."), BCD in hex with an F pad
// ("...128F"), packed BCD bytes, and the track-2 forms (PAN 'D' or '='
// as text, PAN nibbles and a D separator as bytes); and for each secret
// its hex (either case) and its raw bytes. Hex forms match in either case.
// A finding names the file and byte offset and shows the value masked
// (a PAN as its first six and last four digits, a secret only by its
// length and a SHA-256 fingerprint), never the value itself.
//
// Scanning is read-only and never panics; it is what paycert runs on a
// report bundle before it signs it.
package leakscan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/paycert/paycert/mask"
)

// Hit is one occurrence of a sensitive value.
type Hit struct {
	Offset int    // byte offset of the first byte of the match
	Len    int    // length of the match in bytes
	Kind   string // e.g. "PAN (ASCII hex)", "key (hex)"
	Masked string // the value masked, safe to print
}

// String renders the hit as "byte offset N: KIND MASKED".
func (h Hit) String() string {
	return fmt.Sprintf("byte offset %d: %s %s", h.Offset, h.Kind, h.Masked)
}

// needle is one encoding of one sensitive value.
type needle struct {
	b      []byte
	fold   bool // match ASCII letters in either case (b is lower case)
	kind   string
	masked string
}

// Scanner looks for a fixed set of sensitive values. It is safe for
// concurrent use; the zero Scanner finds nothing.
type Scanner struct {
	needles []needle
}

// New returns a Scanner for the given PANs (decimal digits; a trailing F
// pad is ignored; anything that is not a Luhn-valid 13-19 digit PAN is
// skipped) and secret values (raw bytes; values shorter than 8 bytes are
// skipped, as no key is that short and they would match by chance).
func New(pans []string, secrets [][]byte) *Scanner {
	s := &Scanner{}
	for _, p := range pans {
		p = strings.TrimRight(strings.ToUpper(strings.TrimSpace(p)), "F")
		if len(p) < 13 || len(p) > 19 || !mask.Luhn(p) {
			continue
		}
		s.addPAN(p)
	}
	for _, k := range secrets {
		if len(k) < 8 {
			continue
		}
		sum := sha256.Sum256(k)
		m := fmt.Sprintf("of %d bytes (SHA-256 %x…)", len(k), sum[:4])
		s.add(needle{b: []byte(hex.EncodeToString(k)), fold: true, kind: "key value (hex)", masked: m})
		s.add(needle{b: slices.Clone(k), kind: "key value (raw bytes)", masked: m})
	}
	return s
}

func (s *Scanner) addPAN(p string) {
	m := mask.PAN(p)
	s.add(needle{b: []byte(p), kind: "PAN (digits)", masked: m})
	s.add(needle{b: []byte(hex.EncodeToString([]byte(p))), kind: "PAN (ASCII hex)", masked: m})
	bcd := p
	if len(bcd)%2 == 1 {
		bcd += "f"
		s.add(needle{b: []byte(bcd), fold: true, kind: "PAN (BCD hex, F-padded)", masked: m})
	}
	raw, _ := hex.DecodeString(bcd) // digits and f only: cannot fail
	s.add(needle{b: raw, kind: "PAN (BCD bytes)", masked: m})
	s.add(needle{b: []byte(p + "d"), fold: true, kind: "PAN (track 2, D separator)", masked: m})
	s.add(needle{b: []byte(p + "="), kind: "PAN (track 2, = separator)", masked: m})
	// Track 2 equivalent data as bytes: the PAN's nibbles, then D. For an
	// even-length PAN that starts with the PAN's BCD bytes, found above.
	if len(p)%2 == 1 {
		t2, _ := hex.DecodeString(p + "d")
		s.add(needle{b: t2, kind: "PAN (track 2 bytes)", masked: m})
	}
}

func (s *Scanner) add(n needle) {
	if n.fold {
		n.b = lowerASCII(n.b)
	}
	for _, o := range s.needles {
		if o.fold == n.fold && bytes.Equal(o.b, n.b) {
			return
		}
	}
	s.needles = append(s.needles, n)
}

// Empty reports whether the scanner has nothing to look for.
func (s *Scanner) Empty() bool { return s == nil || len(s.needles) == 0 }

// Scan returns every occurrence of a sensitive value in data, by offset.
// Where several encodings of a value match at one offset (a PAN's digits
// are a prefix of its track-2 form) only the longest is reported.
func (s *Scanner) Scan(data []byte) []Hit {
	if s.Empty() || len(data) == 0 {
		return nil
	}
	var lower []byte
	best := map[int]Hit{}
	for _, n := range s.needles {
		hay := data
		if n.fold {
			if lower == nil {
				lower = lowerASCII(data)
			}
			hay = lower
		}
		for off := 0; off <= len(hay)-len(n.b); {
			i := bytes.Index(hay[off:], n.b)
			if i < 0 {
				break
			}
			at := off + i
			if h, ok := best[at]; !ok || len(n.b) > h.Len {
				best[at] = Hit{Offset: at, Len: len(n.b), Kind: n.kind, Masked: n.masked}
			}
			off = at + 1
		}
	}
	hits := make([]Hit, 0, len(best))
	for _, h := range best {
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b Hit) int { return a.Offset - b.Offset })
	return hits
}

// Leak is the error a scan of a file returns when it finds something: the
// file (as the caller named it) and what was found there.
type Leak struct {
	File string
	Hits []Hit // at least one, by offset
}

// Error names the file and the first hit, and counts the others, on one
// line.
func (l *Leak) Error() string {
	msg := fmt.Sprintf("leak scan: %s: %s", l.File, l.Hits[0])
	if n := len(l.Hits) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more in this file)", n)
	}
	return msg
}

// Check scans data, the content of the file called name, and returns a
// *Leak when it finds anything, else nil.
func (s *Scanner) Check(name string, data []byte) error {
	if hits := s.Scan(data); len(hits) > 0 {
		return &Leak{File: name, Hits: hits}
	}
	return nil
}

// Dir scans every regular file under dir (names relative to dir, with
// forward slashes) and returns the leaks found, in file name order, or an
// error if a file cannot be read.
func (s *Scanner) Dir(dir string) ([]*Leak, error) {
	var leaks []*Leak
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := s.Check(filepath.ToSlash(rel), data); err != nil {
			leaks = append(leaks, err.(*Leak))
		}
		return nil
	})
	if err != nil {
		return leaks, fmt.Errorf("leak scan: %w", err)
	}
	return leaks, nil
}

// lowerASCII returns a copy of b with A-Z mapped to a-z and every other
// byte unchanged, so offsets in the copy are offsets in b.
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
