package bsdes

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"unsafe"
)

// TestLayout checks the batch layout that gen.go hard-codes.
func TestLayout(t *testing.T) {
	const w = 32
	var b batch
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"kl", unsafe.Offsetof(b.kl), 0},
		{"kr", unsafe.Offsetof(b.kr), 64 * w},
		{"base", unsafe.Offsetof(b.base), 128 * w},
		{"rem", unsafe.Offsetof(b.rem), 192 * w},
		{"newR", unsafe.Offsetof(b.newR), 213 * w},
		{"kb", unsafe.Offsetof(b.kb), 277 * w},
		{"act", unsafe.Offsetof(b.act), 389 * w},
		{"pass", unsafe.Offsetof(b.pass), 390 * w},
		{"st", unsafe.Offsetof(b.st), 391 * w},
		{"st.ones", unsafe.Offsetof(b.st.ones), 64 * w},
		{"st.spill", unsafe.Offsetof(b.st.spill), 65 * w},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, gen.go assumes %d", c.name, c.got, c.want)
		}
	}
	src, err := os.ReadFile("bsdes_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`// spill words used: (\d+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no spill count in bsdes_amd64.s")
	}
	if n, _ := strconv.Atoi(string(m[1])); n > len(b.st.spill) {
		t.Errorf("assembly spills %d words, state has room for %d", n, len(b.st.spill))
	}
}

func TestTransposeWords(t *testing.T) {
	var a, b, c [64]word
	for i := range a {
		for g := range a[i] {
			a[i][g] = uint64(i*4+g+1) * 0x9E3779B97F4A7C15
		}
	}
	b, c = a, a
	transposeWords(&b)
	transposeWordsGo(&c)
	if b != c {
		t.Fatal("transposeWords and transposeWordsGo differ")
	}
	for g := 0; g < 4; g++ {
		for i := 0; i < 64; i++ {
			for j := 0; j < 64; j++ {
				if a[i][g]>>(63-j)&1 != b[j][g]>>(63-i)&1 {
					t.Fatalf("transpose wrong at %d,%d,%d", g, i, j)
				}
			}
		}
	}
}
