//go:build amd64 && !purego

package bsdes

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2

// stepAVX2 applies the next NRKGP step to every lane of b that has counter
// bits left, and reports whether there was any (bsdes_amd64.s).
//
//go:noescape
func stepAVX2(b *batch) bool

// transposeAVX2 is transposeWordsGo in assembly.
//
//go:noescape
func transposeAVX2(a *[64]word)

func transposeWords(a *[64]word) { transposeAVX2(a) }
