//go:build !amd64 || purego

package bsdes

const useAVX2 = false

func stepAVX2(b *batch) bool {
	panic("bsdes: stepAVX2 called without AVX2")
}

func transposeWords(a *[64]word) { transposeWordsGo(a) }
