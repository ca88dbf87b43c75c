//go:build ignore

// gen.go writes bsdes_amd64.s, the AVX2 code of DeriveTDES: stepAVX2 (one
// NRKGP step, i.e. two DES encryptions and the glue, for 256 bitsliced
// lanes) and transposeAVX2. Run it with go generate in package bsdes;
// gen_test.go checks that the committed file is its output.
//
// Bitsliced DES: each of the 64 bits of a block or key is one 256-bit word
// (one bit per lane), so IP, FP, E, P, PC-1, PC-2 and the key rotations are
// wiring fixed here. The state is encrypted in place (the halves live in
// the slots given by IP); the key is laid out as C|C|D|D after PC-1, so
// that round r's subkey bits are fixed displacements from a pointer moved
// by the cumulative rotation. The rounds are a loop over a two-round body.
//
// The S-box circuits are synthesised here from the FIPS 46-3 S-box tables
// (no published circuit is used): every signal is a 64-bit truth table over
// the six S-box inputs, usable in either polarity for free (AND, ANDN, OR
// and XOR cover every polarity combination by De Morgan; only a complemented
// output costs an instruction). Each output is built by recursive
// decomposition on one input variable v,
//
//	f = f0 ^ (v & (f0^f1)),  f = f1 ^ (^v & (f0^f1)),  f = f0 | (v & f1), ...
//
// (special forms when a cofactor is constant or the cofactors nest),
// choosing at every level the variable and form with the lowest estimated
// cost given the gates already built (common subexpressions are shared
// through a truth-table map); the top level of each output is chosen by
// building every candidate. The order of the variables (for ties) and of
// the outputs comes from an offline search (-search, see recipe). The
// circuits are checked against the tables before anything is written.
//
// Register allocation: per S-box, a linear scan over the gate list with
// Belady eviction (the value whose next use is furthest) to a spill area;
// spilled values are used directly as memory operands where the
// instruction allows it.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"

	"github.com/paycert/paycert/dukpt/internal/fips46"
)

// The FIPS 46-3 tables (1-based bit numbers), as ints.
var (
	ipTab     = ints(fips46.IP[:])
	eTab      = ints(fips46.E[:])
	pTab      = ints(fips46.P[:])
	pc1Tab    = ints(fips46.PC1[:])
	pc2Tab    = ints(fips46.PC2[:])
	rotations = ints(fips46.Rotations[:])
	sBoxes    = fips46.SBoxes
)

func ints(b []uint8) []int {
	s := make([]int, len(b))
	for i, v := range b {
		s[i] = int(v)
	}
	return s
}

// ---------------------------------------------------------------------------
// S-box circuit synthesis.
//
// Signals are 64-bit truth tables over the six S-box inputs. A signal may
// be used in either polarity at no cost: AVX2 has AND, ANDN (^a & b), OR
// and XOR, and by De Morgan every two-input AND/OR/XOR of signals of any
// polarity is one of these instructions, giving a signal of known
// polarity (for example ^a & ^b is OR(a, b) negated). Only an S-box output
// that ends up negated costs an extra instruction (a complement when it is
// XORed into the state).

type opKind int

const (
	opInput opKind = iota
	opAnd
	opOr
	opXor
	opAndN // ^a & b
)

type node struct {
	op   opKind
	a, b int
	tt   uint64
}

type circuit struct {
	nodes  []node
	outs   [4]int
	outNeg [4]bool // output t is the complement of node outs[t]
}

// gates counts the instructions of the circuit: its nodes and the output
// complements.
func (c *circuit) gates() int {
	n := len(c.nodes) - 6
	for _, neg := range c.outNeg {
		if neg {
			n++
		}
	}
	return n
}

const ones = ^uint64(0)

// varTT[k] is the truth table of S-box input k (k = 0 is the first input
// bit b1, the row MSB); entry x of a table is the value on input x, whose
// bit 5-k is input k.
var varTT [6]uint64

func init() {
	for k := 0; k < 6; k++ {
		for x := 0; x < 64; x++ {
			if x>>(5-k)&1 == 1 {
				varTT[k] |= 1 << x
			}
		}
	}
}

func cofactors(f uint64, k int) (f0, f1 uint64) {
	s := uint(1) << (5 - k)
	m := ^varTT[k]
	f0 = f & m
	f0 |= f0 << s
	f1 = f &^ m
	f1 |= f1 >> s
	return
}

// ref is a signal: node id, possibly complemented.
type ref struct {
	id  int
	neg bool
}

// decomposition choice for a truth table
type choice struct {
	cost int
	kind int // 0 known, 2 xor of two known, 3 decomposition
	v    int // variable
	form int
	sub  [2]uint64
	neg  bool // the choice builds ^f; complement the result
}

const (
	formAnd    = iota // v & f1
	formAndN          // ^v & f0
	formOr            // v | f0
	formOrN           // ^v | f1
	formXor           // v ^ f0
	formMux0          // f0 ^ (v & d)
	formMux1          // f1 ^ (^v & d)
	formMux           // (v & f1) | (^v & f0)
	formOrAnd         // f0 | (v & X), f0 <= f1, X in {f1, d}
	formOrAndN        // f1 | (^v & X), f1 <= f0, X in {f0, d}
	formAndOr         // f1 & (v | f0), f0 <= f1
	formAndOrN        // f0 & (^v | f1), f1 <= f0
)

type synth struct {
	c     circuit
	known map[uint64]int
	memo  map[uint64]choice
	order [6]int // variable order tried (ties go to the first)
}

func newSynth(order [6]int) *synth {
	s := &synth{known: map[uint64]int{}, order: order, memo: map[uint64]choice{}}
	for k := 0; k < 6; k++ {
		s.c.nodes = append(s.c.nodes, node{op: opInput, tt: varTT[k]})
		s.known[varTT[k]] = k
	}
	return s
}

func (s *synth) clone() *synth {
	// The memo is shared: its choices are estimates, valid in any synth.
	t := &synth{order: s.order, known: make(map[uint64]int, len(s.known)), memo: s.memo}
	t.c.nodes = append([]node(nil), s.c.nodes...)
	t.c.outs = s.c.outs
	t.c.outNeg = s.c.outNeg
	for k, v := range s.known {
		t.known[k] = v
	}
	return t
}

func (s *synth) lookup(f uint64) (ref, bool) {
	if id, ok := s.known[f]; ok {
		return ref{id, false}, true
	}
	if id, ok := s.known[^f]; ok {
		return ref{id, true}, true
	}
	return ref{}, false
}

func (s *synth) val(r ref) uint64 {
	if r.neg {
		return ^s.c.nodes[r.id].tt
	}
	return s.c.nodes[r.id].tt
}

// node adds (or finds) the gate op(a, b) on plain nodes.
func (s *synth) node(op opKind, a, b int) ref {
	x, y := s.c.nodes[a].tt, s.c.nodes[b].tt
	var tt uint64
	switch op {
	case opAnd:
		tt = x & y
	case opOr:
		tt = x | y
	case opXor:
		tt = x ^ y
	case opAndN:
		tt = ^x & y
	}
	if r, ok := s.lookup(tt); ok {
		return r
	}
	s.c.nodes = append(s.c.nodes, node{op: op, a: a, b: b, tt: tt})
	id := len(s.c.nodes) - 1
	s.known[tt] = id
	return ref{id, false}
}

func flip(r ref) ref { return ref{r.id, !r.neg} }

func (s *synth) and(x, y ref) ref {
	switch {
	case !x.neg && !y.neg:
		return s.node(opAnd, x.id, y.id)
	case x.neg && !y.neg:
		return s.node(opAndN, x.id, y.id)
	case !x.neg && y.neg:
		return s.node(opAndN, y.id, x.id)
	}
	return flip(s.node(opOr, x.id, y.id))
}

func (s *synth) or(x, y ref) ref { return flip(s.and(flip(x), flip(y))) }

func (s *synth) xor(x, y ref) ref {
	r := s.node(opXor, x.id, y.id)
	if x.neg != y.neg {
		r = flip(r)
	}
	return r
}

// cands lists the ways of building f from one decomposition step, with
// costs estimated by best (without sharing between the parts).
func (s *synth) cands(f uint64, neg bool) []choice {
	var out []choice
	try := func(cost int, v, form int, a, b uint64) {
		out = append(out, choice{cost: cost, kind: 3, v: v, form: form, sub: [2]uint64{a, b}, neg: neg})
	}
	for _, v := range s.order {
		f0, f1 := cofactors(f, v)
		if f0 == f1 {
			continue
		}
		d := f0 ^ f1
		switch {
		case f0 == 0:
			try(1+s.best(f1).cost, v, formAnd, f1, 0)
			continue
		case f1 == 0:
			try(1+s.best(f0).cost, v, formAndN, f0, 0)
			continue
		case f1 == ones:
			try(1+s.best(f0).cost, v, formOr, f0, 0)
			continue
		case f0 == ones:
			try(1+s.best(f1).cost, v, formOrN, f1, 0)
			continue
		case d == ones:
			try(1+s.best(f0).cost, v, formXor, f0, 0)
			continue
		}
		c0, c1, cd := s.best(f0).cost, s.best(f1).cost, s.best(d).cost
		try(2+c0+cd, v, formMux0, f0, d)
		try(2+c1+cd, v, formMux1, f1, d)
		try(3+c0+c1, v, formMux, f0, f1)
		if f0&^f1 == 0 {
			try(2+c0+c1, v, formOrAnd, f0, f1)
			try(2+c0+cd, v, formOrAnd, f0, d)
			try(2+c0+c1, v, formAndOr, f1, f0)
		}
		if f1&^f0 == 0 {
			try(2+c1+c0, v, formOrAndN, f1, f0)
			try(2+c1+cd, v, formOrAndN, f1, d)
			try(2+c0+c1, v, formAndOrN, f0, f1)
		}
	}
	return out
}

// best returns the cheapest estimated way to build f (either polarity
// counts as built).
func (s *synth) best(f uint64) choice {
	if _, ok := s.lookup(f); ok {
		return choice{cost: 0, kind: 0}
	}
	if ch, ok := s.memo[f]; ok {
		return ch
	}
	var bestCh choice
	found := false
	// one XOR of two known signals
	for _, n := range s.c.nodes {
		if _, ok := s.lookup(f ^ n.tt); ok {
			bestCh = choice{cost: 1, kind: 2, sub: [2]uint64{n.tt, f ^ n.tt}}
			found = true
			break
		}
	}
	if !found {
		bestCh.cost = 1 << 30
		// Decompose f, or ^f and complement (free).
		for _, pol := range []bool{false, true} {
			g := f
			if pol {
				g = ^f
			}
			for _, ch := range s.cands(g, pol) {
				if ch.cost < bestCh.cost {
					bestCh = ch
				}
			}
		}
	}
	s.memo[f] = bestCh
	nc := bestCh
	nc.neg = !nc.neg
	if nc.kind == 2 {
		nc.neg = false
		nc.sub[1] = ^nc.sub[1]
	}
	s.memo[^f] = nc
	return bestCh
}

func (s *synth) build(f uint64) ref {
	if r, ok := s.lookup(f); ok {
		return r
	}
	return s.buildChoice(f, s.best(f))
}

func (s *synth) buildChoice(f uint64, ch choice) ref {
	var r ref
	switch ch.kind {
	case 0:
		r, _ = s.lookup(f)
	case 2:
		r = s.xor(s.build(ch.sub[0]), s.build(ch.sub[1]))
	case 3:
		v := ref{ch.v, false}
		nv := flip(v)
		a := s.build(ch.sub[0])
		var b ref
		if ch.sub[1] != 0 {
			b = s.build(ch.sub[1])
		}
		switch ch.form {
		case formAnd:
			r = s.and(v, a)
		case formAndN:
			r = s.and(nv, a)
		case formOr:
			r = s.or(v, a)
		case formOrN:
			r = s.or(nv, a)
		case formXor:
			r = s.xor(v, a)
		case formMux0:
			r = s.xor(a, s.and(v, b))
		case formMux1:
			r = s.xor(a, s.and(nv, b))
		case formMux:
			r = s.or(s.and(v, b), s.and(nv, a))
		case formOrAnd:
			r = s.or(a, s.and(v, b))
		case formOrAndN:
			r = s.or(a, s.and(nv, b))
		case formAndOr:
			r = s.and(a, s.or(v, b))
		case formAndOrN:
			r = s.and(a, s.or(nv, b))
		}
		if ch.neg {
			r = flip(r)
		}
	default:
		log.Fatalf("bad choice %+v", ch)
	}
	if s.val(r) != f {
		log.Fatalf("build: truth table mismatch (kind %d form %d)", ch.kind, ch.form)
	}
	return r
}

// outCost is the number of instructions of s (gates and complemented
// outputs so far, plus one if r is complemented).
func (s *synth) outCost(r ref) int {
	n := len(s.c.nodes)
	for _, neg := range s.c.outNeg {
		if neg {
			n++
		}
	}
	if r.neg {
		n++
	}
	return n
}

// buildExact builds f choosing its top decomposition by trial: every
// candidate is built on a copy and the one needing the fewest
// instructions wins.
func (s *synth) buildExact(f uint64) (*synth, ref) {
	if r, ok := s.lookup(f); ok {
		return s, r
	}
	s.memo = map[uint64]choice{}
	best := s.best(f)
	cs := []choice{best}
	if best.kind == 3 {
		cs = append(s.cands(f, false), s.cands(^f, true)...)
	}
	var bs *synth
	var br ref
	bc := 1 << 30
	for _, ch := range cs {
		t := s.clone()
		r := t.buildChoice(f, ch)
		if c := t.outCost(r); c < bc {
			bs, br, bc = t, r, c
		}
	}
	return bs, br
}

func sboxOutputs(box int) [4]uint64 {
	var out [4]uint64
	for x := 0; x < 64; x++ {
		row := (x>>4)&2 | x&1
		col := (x >> 1) & 15
		v := sBoxes[box][row*16+col]
		for t := 0; t < 4; t++ {
			if v>>(3-t)&1 == 1 {
				out[t] |= 1 << x
			}
		}
	}
	return out
}

// permutations returns all orderings of 0..n-1, in lexicographic order.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		for k := range out[i] {
			if out[i][k] != out[j][k] {
				return out[i][k] < out[j][k]
			}
		}
		return false
	})
	return out
}

// recipe is the result of gen.go -search: for each S-box, the order in
// which the decomposition tries the variables (ties go to the first) and
// the order in which the four outputs are built, that gave the fewest
// gates. The search takes minutes, so the default run only replays it;
// this one is the output of gen.go -search 48.
var recipe = [8]struct {
	vars [6]int
	outs [4]int
}{
	{[6]int{0, 4, 1, 5, 2, 3}, [4]int{2, 1, 0, 3}}, // 74 gates
	{[6]int{0, 1, 2, 3, 4, 5}, [4]int{2, 0, 3, 1}}, // 64 gates
	{[6]int{0, 1, 2, 3, 4, 5}, [4]int{0, 1, 2, 3}}, // 62 gates
	{[6]int{1, 5, 4, 0, 2, 3}, [4]int{0, 1, 2, 3}}, // 51 gates
	{[6]int{0, 2, 3, 5, 4, 1}, [4]int{1, 2, 0, 3}}, // 68 gates
	{[6]int{4, 1, 5, 0, 2, 3}, [4]int{2, 0, 3, 1}}, // 64 gates
	{[6]int{5, 1, 2, 3, 4, 0}, [4]int{2, 0, 1, 3}}, // 63 gates
	{[6]int{1, 5, 4, 0, 2, 3}, [4]int{2, 1, 0, 3}}, // 61 gates
}

func synthWith(box int, vo [6]int, perm []int) circuit {
	targets := sboxOutputs(box)
	s := newSynth(vo)
	for _, t := range perm {
		var r ref
		s, r = s.buildExact(targets[t])
		s.c.outs[t], s.c.outNeg[t] = r.id, r.neg
	}
	c := prune(s.c)
	verify(&c, targets)
	return c
}

func synthesize(box int) circuit {
	r := recipe[box]
	return synthWith(box, r.vars, r.outs[:])
}

// search finds the recipe: all output orders for each of a number of
// variable orders (a fixed pseudo-random sample).
func search(nOrders int) {
	perms := permutations(4)
	vars := permutations(6)
	rng := uint64(1)
	sample := [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}}
	for len(sample) < nOrders && len(sample) < len(vars) {
		rng = rng*6364136223846793005 + 1442695040888963407
		sample = append(sample, vars[(rng>>33)%uint64(len(vars))])
	}
	type res struct {
		gates int
		vars  [6]int
		outs  []int
	}
	var results [8]res
	done := make(chan int)
	for box := 0; box < 8; box++ {
		go func() {
			best := res{gates: 1 << 30}
			for _, v := range sample {
				vo := [6]int(v)
				for _, p := range perms {
					if c := synthWith(box, vo, p); c.gates() < best.gates {
						best = res{c.gates(), vo, p}
					}
				}
			}
			results[box] = best
			fmt.Fprintf(os.Stderr, "S%d: %d gates\n", box+1, best.gates)
			done <- box
		}()
	}
	for range 8 {
		<-done
	}
	for _, r := range results {
		fmt.Printf("\t{[6]int{%d, %d, %d, %d, %d, %d}, [4]int{%d, %d, %d, %d}}, // %d gates\n",
			r.vars[0], r.vars[1], r.vars[2], r.vars[3], r.vars[4], r.vars[5],
			r.outs[0], r.outs[1], r.outs[2], r.outs[3], r.gates)
	}
}

// prune drops gates whose results are not used (trial builds leave none
// behind, but keep the invariant explicit) and renumbers.
func prune(c circuit) circuit {
	live := make([]bool, len(c.nodes))
	for _, o := range c.outs {
		live[o] = true
	}
	for i := len(c.nodes) - 1; i >= 6; i-- {
		if live[i] {
			live[c.nodes[i].a] = true
			live[c.nodes[i].b] = true
		}
	}
	newID := make([]int, len(c.nodes))
	var out circuit
	for i, n := range c.nodes {
		if i >= 6 && !live[i] {
			continue
		}
		if i >= 6 {
			n.a, n.b = newID[n.a], newID[n.b]
		}
		newID[i] = len(out.nodes)
		out.nodes = append(out.nodes, n)
	}
	for t, o := range c.outs {
		out.outs[t] = newID[o]
	}
	out.outNeg = c.outNeg
	return out
}

// verify re-evaluates the circuit from its gate list alone.
func verify(c *circuit, targets [4]uint64) {
	val := make([]uint64, len(c.nodes))
	for i, n := range c.nodes {
		switch n.op {
		case opInput:
			val[i] = varTT[i]
		case opAnd:
			val[i] = val[n.a] & val[n.b]
		case opOr:
			val[i] = val[n.a] | val[n.b]
		case opXor:
			val[i] = val[n.a] ^ val[n.b]
		case opAndN:
			val[i] = ^val[n.a] & val[n.b]
		default:
			log.Fatalf("bad op")
		}
	}
	for t := 0; t < 4; t++ {
		v := val[c.outs[t]]
		if c.outNeg[t] {
			v = ^v
		}
		if v != targets[t] {
			log.Fatalf("circuit verification failed")
		}
	}
}

// ---------------------------------------------------------------------------
// Register allocation and emission.

const word = 32 // bytes per bitsliced word

// State layout (offsets from DI): B[64] words, the all-ones word, spills.
const (
	offOnes  = 64 * word
	offSpill = 65 * word
)

type emitter struct {
	b        strings.Builder
	maxSpill int
	instrs   int
}

func (e *emitter) ins(f string, a ...any) {
	e.b.WriteString("\t")
	fmt.Fprintf(&e.b, f, a...)
	e.b.WriteString("\n")
	e.instrs++
}

// sboxCode emits one S-box application: inputs k from R slot rd[k] of the
// state XOR key word kd[k] (relative to R11), outputs t XORed into L slot
// ld[t] of the state.
// block is straight-line code: nIn inputs (the first nodes), gates, and
// outputs (node, complemented).
type block struct {
	nodes  []node
	nIn    int
	outs   []int
	outNeg []bool
}

// merge interleaves the gates of circuits (one gate of each in turn).
func merge(cs ...*circuit) *block {
	b := &block{}
	ids := make([][]int, len(cs))
	for k, c := range cs {
		ids[k] = make([]int, len(c.nodes))
		for i := 0; i < 6; i++ {
			ids[k][i] = len(b.nodes)
			b.nodes = append(b.nodes, c.nodes[i])
		}
	}
	b.nIn = len(b.nodes)
	for i := 6; ; i++ {
		more := false
		for k, c := range cs {
			if i >= len(c.nodes) {
				continue
			}
			more = true
			n := c.nodes[i]
			n.a, n.b = ids[k][n.a], ids[k][n.b]
			ids[k][i] = len(b.nodes)
			b.nodes = append(b.nodes, n)
		}
		if !more {
			break
		}
	}
	for k, c := range cs {
		for t := 0; t < 4; t++ {
			b.outs = append(b.outs, ids[k][c.outs[t]])
			b.outNeg = append(b.outNeg, c.outNeg[t])
		}
	}
	return b
}

// sboxCode emits a block of S-box applications: input k from state slot
// rd[k] XOR key word kd[k] (relative to R11), output t XORed into state
// slot ld[t].
func (e *emitter) sboxCode(c *block, rd, kd, ld []int) {
	n := len(c.nodes)
	uses := make([][]int, n) // positions (gate index) of uses
	for i := c.nIn; i < n; i++ {
		nd := c.nodes[i]
		uses[nd.a] = append(uses[nd.a], i)
		uses[nd.b] = append(uses[nd.b], i)
	}
	outOf := make([]int, n)
	for i := range outOf {
		outOf[i] = -1
	}
	for t, o := range c.outs {
		outOf[o] = t
	}
	nextUse := func(v, pos int) int {
		for _, u := range uses[v] {
			if u > pos {
				return u
			}
		}
		return 1 << 30
	}
	var regOf = make([]int, n)
	for i := range regOf {
		regOf[i] = -1
	}
	spilled := make([]bool, n)
	var holder [16]int
	for i := range holder {
		holder[i] = -1
	}
	slots := make([]int, n)
	nSlots := 0
	slot := func(v int) int {
		if slots[v] == 0 {
			nSlots++
			slots[v] = nSlots
			if nSlots > e.maxSpill {
				e.maxSpill = nSlots
			}
		}
		return offSpill + (slots[v]-1)*word
	}
	var pos int
	// alloc returns a free register, evicting if needed (never one in excl).
	alloc := func(excl ...int) int {
		for r := 0; r < 16; r++ {
			if holder[r] < 0 {
				return r
			}
		}
		br, bu := -1, -1
	outer:
		for r := 0; r < 16; r++ {
			for _, x := range excl {
				if x == r {
					continue outer
				}
			}
			if u := nextUse(holder[r], pos-1); u > bu {
				br, bu = r, u
			}
		}
		v := holder[br]
		if !spilled[v] {
			e.ins("VMOVDQU Y%d, %d(DI)", br, slot(v))
			spilled[v] = true
		}
		regOf[v] = -1
		holder[br] = -1
		return br
	}
	materialised := make([]bool, c.nIn)
	toReg := func(v int, excl ...int) int {
		if regOf[v] >= 0 {
			return regOf[v]
		}
		r := alloc(excl...)
		if v < c.nIn && !materialised[v] {
			e.ins("VMOVDQU %d(DI), Y%d", rd[v], r)
			e.ins("VPXOR %d(R11), Y%d, Y%d", kd[v], r, r)
			materialised[v] = true
		} else {
			e.ins("VMOVDQU %d(DI), Y%d", slot(v), r)
		}
		regOf[v] = r
		holder[r] = v
		return r
	}
	inMem := func(v int) bool { return regOf[v] < 0 && spilled[v] }
	release := func(v int) {
		if nextUse(v, pos) == 1<<30 && regOf[v] >= 0 {
			holder[regOf[v]] = -1
			regOf[v] = -1
		}
	}
	mnem := map[opKind]string{opAnd: "VPAND", opOr: "VPOR", opXor: "VPXOR", opAndN: "VPANDN"}
	for pos = c.nIn; pos < n; pos++ {
		nd := c.nodes[pos]
		var src1 string // Go order: src1 (r/m), src2 (reg), dst
		var r2 int
		a, b := nd.a, nd.b
		if nd.op == opAndN {
			// ^a & b: a must be in a register, b may be memory.
			r2 = toReg(a)
			if inMem(b) {
				src1 = fmt.Sprintf("%d(DI)", slot(b))
			} else {
				src1 = fmt.Sprintf("Y%d", toReg(b, r2))
			}
		} else {
			if regOf[a] < 0 && regOf[b] >= 0 {
				a, b = b, a
			}
			if regOf[a] < 0 && regOf[b] < 0 && !inMem(a) {
				a, b = b, a // a not materialised: load it; b may stay in memory
			}
			r2 = toReg(a)
			if inMem(b) {
				src1 = fmt.Sprintf("%d(DI)", slot(b))
			} else {
				src1 = fmt.Sprintf("Y%d", toReg(b, r2))
			}
		}
		release(nd.a)
		release(nd.b)
		excl := []int{}
		if regOf[a] >= 0 {
			excl = append(excl, regOf[a])
		}
		if regOf[b] >= 0 {
			excl = append(excl, regOf[b])
		}
		d := alloc(excl...)
		e.ins("%s %s, Y%d, Y%d", mnem[nd.op], src1, r2, d)
		regOf[pos], holder[d] = d, pos
		if t := outOf[pos]; t >= 0 {
			d := regOf[pos]
			tr := d
			if nextUse(pos, pos) != 1<<30 {
				tr = alloc(d)
			}
			e.ins("VPXOR %d(DI), Y%d, Y%d", ld[t], d, tr)
			if c.outNeg[t] {
				e.ins("VPXOR %d(DI), Y%d, Y%d", offOnes, tr, tr)
			}
			e.ins("VMOVDQU Y%d, %d(DI)", tr, ld[t])
			if tr == d {
				holder[d], regOf[pos] = -1, -1
			}
		}
	}
}

func main() {
	out := flag.String("out", "bsdes_amd64.s", "output file")
	stats := flag.Bool("stats", false, "print gate counts to stderr")
	doSearch := flag.Int("search", 0, "search this many variable orders for the best recipe (slow) and print it")
	flag.Parse()
	if *doSearch > 0 {
		search(*doSearch)
		return
	}

	var circs [8]circuit
	total := 0
	var counts []string
	for s := 0; s < 8; s++ {
		circs[s] = synthesize(s)
		g := circs[s].gates()
		total += g
		var ops [5]int
		for _, n := range circs[s].nodes[6:] {
			ops[n.op]++
		}
		nots := 0
		for _, neg := range circs[s].outNeg {
			if neg {
				nots++
			}
		}
		counts = append(counts, fmt.Sprintf("S%d: %d gates (and %d, or %d, xor %d, andn %d, output complements %d)",
			s+1, g, ops[opAnd], ops[opOr], ops[opXor], ops[opAndN], nots))
	}
	if *stats {
		fmt.Fprintln(os.Stderr, strings.Join(counts, "\n"))
		fmt.Fprintf(os.Stderr, "total %d gates, %.1f per S-box\n", total, float64(total)/8)
	}

	// IP wiring: L0[j] is state slot ip[j]-1, R0[j] slot ip[32+j]-1.
	var slotsA, slotsB [32]int
	for j := 0; j < 32; j++ {
		slotsA[j] = ipTab[j] - 1
		slotsB[j] = ipTab[32+j] - 1
	}
	// pInv[q] = f-output position of pre-P bit q.
	var pInv [32]int
	for i, p := range pTab {
		pInv[p-1] = i
	}
	// Subkey bit j of round r lives at key word keyIdx[j] + shift(r) of
	// the doubled C|C|D|D buffer; R11 points at the shifted base.
	var keyIdx [48]int
	for j, c := range pc2Tab {
		c--
		if c < 28 {
			keyIdx[j] = c
		} else {
			keyIdx[j] = 56 + c - 28
		}
	}

	var body strings.Builder
	e := &emitter{}
	round := func(rs, ls [32]int) {
		for s0 := 0; s0 < 8; s0 += interleave {
			var rd, kd, ld []int
			var cs []*circuit
			for s := s0; s < s0+interleave; s++ {
				for k := 0; k < 6; k++ {
					rd = append(rd, rs[eTab[6*s+k]-1]*word)
					kd = append(kd, keyIdx[6*s+k]*word)
				}
				for t := 0; t < 4; t++ {
					ld = append(ld, ls[pInv[4*s+t]]*word)
				}
				cs = append(cs, &circs[s])
			}
			if interleave == 1 {
				fmt.Fprintf(&e.b, "\t// S%d\n", s0+1)
			} else {
				fmt.Fprintf(&e.b, "\t// S%d-S%d\n", s0+1, s0+interleave)
			}
			e.sboxCode(merge(cs...), rd, kd, ld)
		}
	}
	e.b.Reset()
	round(slotsB, slotsA)
	roundOdd := e.b.String()
	perRound := e.instrs
	e.b.Reset()
	round(slotsA, slotsB)
	roundEven := e.b.String()

	var shifts [16]int
	acc := 0
	for r := 0; r < 16; r++ {
		acc += rotations[r]
		shifts[r] = acc
	}

	w := func(f string, a ...any) { fmt.Fprintf(&body, f, a...) }
	w(`// Code generated by gen.go; DO NOT EDIT.

//go:build amd64 && !purego

#include "textflag.h"

// S-box circuits (synthesised by gen.go from the FIPS 46-3 tables):
`)
	for _, l := range counts {
		w("//   %s\n", l)
	}
	w("//   total %d gates; %d instructions per round.\n\n", total, perRound)
	for r := 0; r < 16; r++ {
		w("DATA bsdesShift<>+%d(SB)/8, $%d\n", 8*r, shifts[r]*word)
	}
	w("GLOBL bsdesShift<>(SB), RODATA|NOPTR, $128\n\n")
	emitStep(w, roundOdd, roundEven, outSlot(), shifts)
	emitTranspose(w)
	w("\n// spill words used: %d\n", e.maxSpill)
	src := body.String()
	// keep the Go side's spill area in sync
	if e.maxSpill > spillWords {
		log.Fatalf("spill area too small: need %d words, have %d", e.maxSpill, spillWords)
	}
	if err := os.WriteFile(*out, []byte(src), 0o644); err != nil {
		log.Fatal(err)
	}
}

// interleave is the number of S-boxes whose gates are interleaved. 2 was
// measured slower (register pressure: 778 instead of 675 instructions per
// round, about 25% slower); the out-of-order core overlaps neighbouring
// S-boxes well enough.
const interleave = 1

// spillWords must match the size of state.spill in bsdes.go (TestLayout
// checks the "spill words used" line of the output against it).
const spillWords = 32

// Layout of batch (bsdes.go), in words from the start; TestLayout checks it.
const (
	offKL   = 0
	offKR   = 64 * word
	offBase = 128 * word
	offRem  = 192 * word
	offNewR = 213 * word
	offKB   = 277 * word
	offAct  = 389 * word
	offPass = 390 * word
	offSt   = 391 * word
)

const dukptMask = 0xC0C0C0C000000000

func maskBit(i int) bool { return uint64(dukptMask)>>(63-i)&1 == 1 }

// outSlot[i] is the state slot that holds output word i after 16 rounds
// (the halves end swapped in the slots of IP; FP = IP^-1 is wiring).
func outSlot() [64]int {
	var o [64]int
	for j := 0; j < 32; j++ {
		l, r := ipTab[j]-1, ipTab[32+j]-1
		o[l] = r
		o[r] = l
	}
	return o
}

func emitStep(w func(string, ...any), roundOdd, roundEven string, outSlot [64]int, shifts [16]int) {
	w(`// func stepAVX2(b *batch) bool
//
// One NRKGP step for the 256 lanes of b: moves the highest remaining
// counter bit of every lane into the data, runs the two DES encryptions
// and keeps the new key in the lanes that had a bit left. Returns false
// (doing nothing) when no lane has counter bits left.
TEXT ·stepAVX2(SB), NOSPLIT, $0-9
	MOVQ b+0(FP), SI
	LEAQ %d(SI), DI
	LEAQ %d(SI), R10
	LEAQ bsdesShift<>(SB), R9
	VPXOR Y15, Y15, Y15
`, offSt, offKB)
	for q := 20; q >= 0; q-- {
		w("\tVMOVDQU %d(SI), Y0\n", offRem+q*word)
		w("\tVPANDN Y0, Y15, Y1\n")
		w("\tVPOR Y0, Y15, Y15\n")
		w("\tVPXOR Y1, Y0, Y0\n")
		w("\tVMOVDQU Y0, %d(SI)\n", offRem+q*word)
		w("\tVPOR %d(SI), Y1, Y1\n", offBase+(63-q)*word)
		w("\tVMOVDQU Y1, %d(SI)\n", offBase+(63-q)*word)
	}
	w(`	VMOVDQU Y15, %d(SI)
	VPTEST Y15, Y15
	JNZ work
	MOVB $0, ret+8(FP)
	VZEROUPPER
	RET
work:
	VPXOR Y0, Y0, Y0
	VMOVDQU Y0, %d(SI)
pass:
`, offAct, offPass)
	for i := 0; i < 64; i++ {
		r := i % 8
		w("\tVMOVDQU %d(SI), Y%d\n", offBase+i*word, r)
		w("\tVPXOR %d(SI), Y%d, Y%d\n", offKR+i*word, r, r)
		if maskBit(i) {
			w("\tVPXOR %d(SI), Y%d, Y%d\n", offPass, r, r)
		}
		w("\tVMOVDQU Y%d, %d(DI)\n", r, i*word)
	}
	for k := 0; k < 112; k++ {
		var src int
		if k < 56 {
			src = pc1Tab[k%28] - 1
		} else {
			src = pc1Tab[28+(k-56)%28] - 1
		}
		r := k % 8
		w("\tVMOVDQU %d(SI), Y%d\n", offKL+src*word, r)
		if maskBit(src) {
			w("\tVPXOR %d(SI), Y%d, Y%d\n", offPass, r, r)
		}
		w("\tVMOVDQU Y%d, %d(R10)\n", r, k*word)
	}
	w(`	XORQ CX, CX
loop:
	MOVQ (R9)(CX*8), R11
	ADDQ R10, R11
`)
	w("%s", roundOdd)
	w("\tMOVQ 8(R9)(CX*8), R11\n\tADDQ R10, R11\n")
	w("%s", roundEven)
	w(`	ADDQ $2, CX
	CMPQ CX, $16
	JLT loop
	MOVQ %d(SI), AX
	TESTQ AX, AX
	JNZ second
`, offPass)
	for i := 0; i < 64; i++ {
		r := i % 8
		w("\tVMOVDQU %d(DI), Y%d\n", outSlot[i]*word, r)
		w("\tVPXOR %d(SI), Y%d, Y%d\n", offKR+i*word, r, r)
		w("\tVMOVDQU Y%d, %d(SI)\n", r, offNewR+i*word)
	}
	w(`	VPCMPEQB Y0, Y0, Y0
	VMOVDQU Y0, %d(SI)
	JMP pass
second:
	VMOVDQU %d(SI), Y15
`, offPass, offAct)
	for i := 0; i < 64; i++ {
		a, b, c, d := 4*(i%3), 4*(i%3)+1, 4*(i%3)+2, 4*(i%3)+3
		w("\tVMOVDQU %d(SI), Y%d\n", offKR+i*word, d)
		w("\tVMOVDQU %d(DI), Y%d\n", outSlot[i]*word, a)
		w("\tVPXOR Y%d, Y%d, Y%d\n", d, a, a)
		if maskBit(i) {
			w("\tVPXOR %d(SI), Y%d, Y%d\n", offPass, a, a)
		}
		w("\tVMOVDQU %d(SI), Y%d\n", offKL+i*word, b)
		w("\tVPXOR Y%d, Y%d, Y%d\n", b, a, a)
		w("\tVPAND Y15, Y%d, Y%d\n", a, a)
		w("\tVPXOR Y%d, Y%d, Y%d\n", a, b, b)
		w("\tVMOVDQU Y%d, %d(SI)\n", b, offKL+i*word)
		w("\tVMOVDQU %d(SI), Y%d\n", offNewR+i*word, c)
		w("\tVPXOR Y%d, Y%d, Y%d\n", d, c, c)
		w("\tVPAND Y15, Y%d, Y%d\n", c, c)
		w("\tVPXOR Y%d, Y%d, Y%d\n", c, d, d)
		w("\tVMOVDQU Y%d, %d(SI)\n", d, offKR+i*word)
	}
	w(`	MOVB $1, ret+8(FP)
	VZEROUPPER
	RET
`)
}

// emitTranspose writes transposeAVX2: four independent 64x64 bit-matrix
// transposes (one per 64-bit element of the words), in place, by six
// levels of delta swaps done in two register-resident passes: levels 1, 2
// and 4 on blocks of eight consecutive rows, levels 8, 16 and 32 on the
// eight rows k, k+8, ..., k+56.
func emitTranspose(w func(string, ...any)) {
	masks := map[int]uint64{}
	m := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j, m = j>>1, m^(m<<(j>>1)) {
		masks[j] = m
	}
	w("\n")
	for li, j := range []int{1, 2, 4, 8, 16, 32} {
		for q := 0; q < 4; q++ {
			w("DATA bsdesTrMask<>+%d(SB)/8, $0x%016x\n", li*word+q*8, masks[j])
		}
	}
	w("GLOBL bsdesTrMask<>(SB), RODATA|NOPTR, $%d\n", 6*word)
	w(`
// func transposeAVX2(a *[64]word)
//
// For every g in 0..3 independently, exchanges bit 63-j of a[i][g] with bit
// 63-i of a[j][g] (a 64x64 bit-matrix transpose per column of words).
TEXT ·transposeAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	LEAQ bsdesTrMask<>(SB), R8
`)
	pass := func(name string, rowDisp int, advance int, levels []int, levelIdx []int, rowStep int) {
		w("\tMOVQ DI, AX\n\tMOVQ $8, CX\n%s:\n", name)
		for r := 0; r < 8; r++ {
			w("\tVMOVDQU %d(AX), Y%d\n", r*rowDisp, r)
		}
		for li, j := range levels {
			d := j / rowStep // distance in registers
			t := 0
			for r := 0; r < 8; r++ {
				if r&d != 0 {
					continue
				}
				a, b, c := r, r+d, 8+t%8
				t++
				w("\tVPSRLQ $%d, Y%d, Y%d\n", j, b, c)
				w("\tVPXOR Y%d, Y%d, Y%d\n", a, c, c)
				w("\tVPAND %d(R8), Y%d, Y%d\n", levelIdx[li]*word, c, c)
				w("\tVPXOR Y%d, Y%d, Y%d\n", c, a, a)
				w("\tVPSLLQ $%d, Y%d, Y%d\n", j, c, c)
				w("\tVPXOR Y%d, Y%d, Y%d\n", c, b, b)
			}
		}
		for r := 0; r < 8; r++ {
			w("\tVMOVDQU Y%d, %d(AX)\n", r, r*rowDisp)
		}
		w("\tADDQ $%d, AX\n\tDECQ CX\n\tJNZ %s\n", advance, name)
	}
	pass("trlow", word, 8*word, []int{1, 2, 4}, []int{0, 1, 2}, 1)
	pass("trhigh", 8*word, word, []int{8, 16, 32}, []int{3, 4, 5}, 8)
	w("\tVZEROUPPER\n\tRET\n")
}
