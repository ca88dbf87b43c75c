package dukpt

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// The TDES counter space of one initial key as a tree: the key of counter c
// is one non-reversible key generation step from the key of c with its
// lowest set bit cleared (the IPEK is the root, counter 0). Walking the tree
// depth first derives every one of the 1,048,575 transaction keys with
// exactly one step each, instead of up to ten steps per key for independent
// host-side derivations.

type key128 struct{ hi, lo uint64 }

// binom[n][k] for n <= 21.
var binom = func() (t [22][22]int) {
	for n := 0; n < 22; n++ {
		t[n][0] = 1
		for k := 1; k <= n; k++ {
			t[n][k] = t[n-1][k-1] + t[n-1][k]
		}
	}
	return t
}()

// tdesSubtreeSize is the number of counters in the subtree of a node whose
// lowest set bit is at position p (children use bits below p) and which has
// ones one bits, the node itself included.
func tdesSubtreeSize(p, ones int) int {
	n := 0
	for j := 0; j <= p && j <= TDESMaxOneBits-ones; j++ {
		n += binom[p][j]
	}
	return n
}

type tdesWalker struct {
	base uint64
	out  []key128
	ctr  []uint32 // optional
	i    int
}

// walk emits the node (kl, kr) for counter c and then its subtree. All
// children of a node use the same DES key (the parent's left half), so the
// key schedule is built once per parent; the initial permutation of each
// child's input is assembled from precomputed pieces because IP is linear.
func (w *tdesWalker) walk(kl, kr uint64, c uint32, p, ones int) {
	w.out[w.i] = key128{kl, kr}
	if w.ctr != nil {
		w.ctr[w.i] = c
	}
	w.i++
	if ones == TDESMaxOneBits || p == 0 {
		return
	}
	var sk desSchedules
	desKeySchedulePair(kl, &sk)
	kr2 := kr ^ dukptMask
	ipNode := permute64(&ipTab, (w.base|uint64(c))^kr)
	fp := fpTabp
	for b := p - 1; b >= 0; b-- {
		ip := ipNode ^ ipOfBit[b]
		yr, yl := desEncryptPair(&sk, ip, ip^ipOfMask)
		w.walk(permute64(fp, yl)^kr2, permute64(fp, yr)^kr, c|1<<b, b, ones+1)
	}
	sk.clear()
}

// allTDESKeys derives every transaction key of the initial key (kl, kr)
// whose KSN register (counter cleared) is base, using the given number of
// goroutines. If withCounters is set, ctr[i] is the counter of keys[i].
func allTDESKeys(kl, kr, base uint64, workers int, withCounters bool) (keys []key128, ctr []uint32) {
	keys = make([]key128, TDESKeysPerInitialKey)
	if withCounters {
		ctr = make([]uint32, TDESKeysPerInitialKey)
	}
	// Depth 1: counters 1<<b, derived here.
	var l1 [TDESCounterBits]key128
	for b := 0; b < TDESCounterBits; b++ {
		c := uint32(1) << b
		l, r := nrkgp(kl, kr, base|uint64(c))
		l1[b] = key128{l, r}
		keys[b] = l1[b]
		if ctr != nil {
			ctr[b] = c
		}
	}
	// Depth 2 subtrees are the units of work, largest first.
	type task struct {
		hiBit, loBit int
		off, size    int
	}
	var tasks []task
	for hb := 1; hb < TDESCounterBits; hb++ {
		for lb := 0; lb < hb; lb++ {
			tasks = append(tasks, task{hiBit: hb, loBit: lb, size: tdesSubtreeSize(lb, 2)})
		}
	}
	slices.SortFunc(tasks, func(a, b task) int { return b.size - a.size })
	off := TDESCounterBits
	for i := range tasks {
		tasks[i].off = off
		off += tasks[i].size
	}
	if workers < 1 {
		workers = 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tasks) {
					return
				}
				t := tasks[i]
				w := tdesWalker{base: base, out: keys[t.off : t.off+t.size]}
				if ctr != nil {
					w.ctr = ctr[t.off : t.off+t.size]
				}
				c := uint32(1)<<t.hiBit | uint32(1)<<t.loBit
				p := l1[t.hiBit]
				l, r := nrkgp(p.hi, p.lo, base|uint64(c))
				w.walk(l, r, c, t.loBit, 2)
			}
		}()
	}
	wg.Wait()
	return keys, ctr
}

// parityMask clears the DES parity bit (the low bit) of every byte.
const parityMask = 0xFEFEFEFEFEFEFEFE

// firstDuplicate reports whether two keys in keys are equal once DES parity
// bits are ignored, returning their indexes. It distributes the masked keys
// into 2^18 buckets by a multiplicative hash of the first half (a parallel
// counting sort, so each bucket is contiguous in memory) and compares the
// keys within each bucket, about four per bucket for a million keys.
func firstDuplicate(keys []key128, workers int) (int, int, bool) {
	const bucketBits = 18
	const nb = 1 << bucketBits
	if workers < 1 {
		workers = 1
	}
	n := len(keys)
	bucket := func(hi uint64) uint32 {
		return uint32(((hi & parityMask) * 0x9E3779B97F4A7C15) >> (64 - bucketBits))
	}
	chunk := (n + workers - 1) / workers
	counts := make([][]uint32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		counts[w] = make([]uint32, nb)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := min(w*chunk, n), min((w+1)*chunk, n)
			cnt := counts[w]
			for _, k := range keys[lo:hi] {
				cnt[bucket(k.hi)]++
			}
		}()
	}
	wg.Wait()
	// start[b] is where bucket b begins; counts[w][b] becomes the position
	// where worker w writes its next key of bucket b.
	start := make([]uint32, nb+1)
	var run uint32
	for b := 0; b < nb; b++ {
		start[b] = run
		for w := range workers {
			c := counts[w][b]
			counts[w][b] = run
			run += c
		}
	}
	start[nb] = run
	sorted := make([]key128, n)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := min(w*chunk, n), min((w+1)*chunk, n)
			pos := counts[w]
			for _, k := range keys[lo:hi] {
				b := bucket(k.hi)
				sorted[pos[b]] = key128{k.hi & parityMask, k.lo & parityMask}
				pos[b]++
			}
		}()
	}
	wg.Wait()
	var found atomic.Bool
	dups := make([]key128, workers)
	hit := make([]bool, workers)
	per := (nb + workers - 1) / workers
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := w * per; b < min((w+1)*per, nb); b++ {
				if b%4096 == 0 && found.Load() {
					return
				}
				bk := sorted[start[b]:start[b+1]]
				for x := 1; x < len(bk); x++ {
					for y := 0; y < x; y++ {
						if bk[x] == bk[y] {
							dups[w], hit[w] = bk[x], true
							found.Store(true)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if !found.Load() {
		return 0, 0, false
	}
	// Slow path: locate the duplicate value in the input.
	for w := range workers {
		if !hit[w] {
			continue
		}
		d := dups[w]
		first := -1
		for i, k := range keys {
			if k.hi&parityMask == d.hi && k.lo&parityMask == d.lo {
				if first >= 0 {
					return first, i, true
				}
				first = i
			}
		}
	}
	return 0, 0, true
}

// ProveTDESKeysDistinct derives all 1,048,575 TDES DUKPT transaction keys
// of the initial key that bdk and ksn define (the counter of ksn is ignored)
// and checks that no two of them are equal, even ignoring DES parity bits
// (that is, as 112-bit effective keys). It returns the number of distinct
// keys, which is TDESKeysPerInitialKey on success, and a non-nil error if a
// duplicate is found or the inputs are invalid.
//
// It uses one goroutine per available CPU (runtime.GOMAXPROCS) and about
// 20 MB of memory.
func ProveTDESKeysDistinct(bdk Key, ksn TDESKSN) (int, error) {
	ipek, err := DeriveTDESIPEK(bdk, ksn)
	if err != nil {
		return 0, fmt.Errorf("dukpt: prove keys distinct: %w", err)
	}
	workers := runtime.GOMAXPROCS(0)
	kl := binary.BigEndian.Uint64(ipek.b()[:8])
	kr := binary.BigEndian.Uint64(ipek.b()[8:])
	keys, _ := allTDESKeys(kl, kr, ksn.right64Base(), workers, false)
	defer clear(keys)
	if a, b, dup := firstDuplicate(keys, workers); dup {
		return 0, fmt.Errorf("dukpt: prove keys distinct: transaction keys number %d and %d of the walk are equal", a, b)
	}
	return len(keys), nil
}
