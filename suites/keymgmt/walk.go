package keymgmt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/paycert/paycert/adapter"
	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/dukpt/pinblock"
)

// walkConfig configures walk, the exhaustive TDES DUKPT device test.
type walkConfig struct {
	client *adapter.Client
	ipek   dukpt.Key     // the device's IPEK (the host derives every key from it)
	iksn   dukpt.TDESKSN // its initial KSN
	// fromStart: the key was just loaded, so the first counter must be 1.
	fromStart bool
	pin, pan  string
	format    string // iso0 or iso3
	// chunk is the number of requests per Batch; chunkTimeout bounds each.
	chunk        int
	chunkTimeout time.Duration
	// progress, if set, is told after every chunk how many transactions
	// of how many the walk has checked.
	progress func(done, total int64)
}

// walkResult is what walk found.
type walkResult struct {
	transactions int           // answered with a KSN and PIN block
	first, last  uint32        // first and last counter seen
	exhausted    bool          // the device answered 1003 exhausted
	expected     int           // valid counters from first to the last one
	distinctKeys int           // distinct transaction keys (parity ignored)
	elapsed      time.Duration // wall time of the whole walk
	problems     problems      // requirement failures
	err          error         // the exchange broke: verdict error
}

// errWalkStopped marks a walk cut short by its context.
var errWalkStopped = errors.New("walk stopped")

// keyRec is one transaction key as the distinctness check keeps it:
// 112 effective bits (parity masked) and the counter, for messages.
type keyRec struct {
	hi, lo  uint64
	counter uint32
}

type blockRec struct {
	block   uint64
	counter uint32
}

// walk drives a TDES DUKPT device with pinpad.encrypt_pin until it answers
// "exhausted", pipelining the requests in chunks, and checks on the host
// side, while the next chunk is in flight, that every KSN carries the
// initial KSN and a valid counter above the previous one, and that every
// PIN block deciphers under the PIN variant of the transaction key derived
// for its KSN. At the end it proves the transaction keys pairwise distinct
// (as 112-bit keys), the PIN blocks pairwise distinct, that the device used
// every valid counter from its first to 0x1FF800, and that the request
// after the last one got 1003.
//
// The host follows the device with its own dukpt.TDESDevice (one
// non-reversible step per key) while the counters come in device order,
// and derives keys from the IPEK otherwise.
func walk(ctx context.Context, cfg walkConfig) walkResult {
	start := time.Now()
	var res walkResult
	clearBlock, err := pinblock.EncodeFormat0(cfg.pin, cfg.pan)
	if err != nil {
		res.err = err
		return res
	}
	var stop atomic.Bool
	type chunkOut struct {
		calls []adapter.Call
		errs  []error
	}
	out := make(chan chunkOut, 1)
	// Bound the walk: every valid counter plus two chunks.
	limit := dukpt.TDESKeysPerInitialKey + 2*cfg.chunk
	go func() {
		defer close(out)
		sent := 0
		for !stop.Load() && sent < limit && ctx.Err() == nil {
			calls := make([]adapter.Call, cfg.chunk)
			for i := range calls {
				calls[i] = adapter.Call{Method: mPIN, Params: pinParams{cfg.pin, cfg.pan, cfg.format}, Result: &pinResult{}}
			}
			cctx, cancel := context.WithTimeout(ctx, cfg.chunkTimeout)
			errs := cfg.client.Batch(cctx, calls)
			cancel()
			sent += len(calls)
			out <- chunkOut{calls, errs}
			for _, e := range errs {
				if e != nil {
					return // exhausted (or broken): nothing more to send
				}
			}
		}
	}()
	defer func() {
		stop.Store(true)
		for range out { // let the sender finish
		}
	}()

	keys := make([]keyRec, 0, dukpt.TDESKeysPerInitialKey)
	blocks := make([]blockRec, 0, dukpt.TDESKeysPerInitialKey)
	var replica dukpt.TDESDevice
	replicaNext := uint32(1)
	if err := replica.LoadInitialKey(cfg.ipek, cfg.iksn); err != nil {
		res.err = err
		return res
	}
	useReplica := true
	var prev uint32
	p := &res.problems
	fail := func(format string, args ...any) {
		p.add(format, args...)
		if p.n >= 50 {
			stop.Store(true)
		}
	}
	total := 0 // valid counters from the first one seen, for progress
	for ch := range out {
		if stop.Load() {
			continue
		}
		if cfg.progress != nil && res.transactions > 0 {
			if total == 0 {
				total = countCounters(res.first)
			}
			cfg.progress(int64(res.transactions), int64(total))
		}
		for i, call := range ch.calls {
			if err := ch.errs[i]; err != nil {
				var e *adapter.Error
				switch {
				case errors.As(err, &e) && e.Code == adapter.CodeExhausted:
					if !res.exhausted && res.transactions > 0 && prev != dukpt.TDESLastCounter {
						fail("the device said exhausted after counter %06X; the last TDES counter is %06X", prev, dukpt.TDESLastCounter)
					}
					res.exhausted = true
				case errors.As(err, &e):
					fail("transaction %d: refused with %v", res.transactions+1, err)
					stop.Store(true)
				default:
					res.err = err
					stop.Store(true)
				}
				if stop.Load() {
					break
				}
				continue
			}
			r := call.Result.(*pinResult)
			ksn, block := unhex(r.KSN), unhex(r.PINBlock)
			if res.exhausted {
				fail("KSN %X: the device answered again after saying exhausted", ksn)
				stop.Store(true)
				break
			}
			res.transactions++
			if len(ksn) != dukpt.TDESKSNSize || len(block) != 8 {
				fail("transaction %d: KSN %X / PIN block %X: want 10 and 8 bytes", res.transactions, ksn, block)
				continue
			}
			x, _ := dukpt.TDESKSNFromBytes(ksn)
			c := x.Counter()
			if res.transactions == 1 {
				res.first = c
				if cfg.fromStart && c != 1 {
					fail("the first transaction after loading the key used counter %06X; it must be 1", c)
				}
			}
			switch {
			case x.InitialKSN() != cfg.iksn:
				fail("KSN %X does not carry the initial KSN %X", ksn, cfg.iksn[:])
				continue
			case dukpt.ValidTDESCounter(c) != nil:
				fail("KSN %X: counter %06X is not one a device may use (%v)", ksn, c, dukpt.ValidTDESCounter(c))
				continue
			case res.transactions > 1 && c == prev && prev == dukpt.TDESLastCounter:
				fail("after the last counter %06X the device answered again with KSN %X instead of error 1003 exhausted", prev, ksn)
				stop.Store(true)
			case res.transactions > 1 && c <= prev:
				fail("KSN %X: the counter did not increase (previous %06X)", ksn, prev)
				continue
			}
			if stop.Load() {
				break
			}
			prev, res.last = c, c
			var tk dukpt.TDESTransactionKey
			if useReplica && c == replicaNext {
				_, tk, err = replica.Next()
				if n, e := dukpt.NextTDESCounter(c); e == nil {
					replicaNext = n
				}
			} else {
				useReplica = false
				tk, err = dukpt.DeriveTDESTransactionKey(cfg.ipek, x)
			}
			if err != nil {
				fail("KSN %X: %v", ksn, err)
				continue
			}
			pk, err := tk.WorkingKey(dukpt.VariantPIN)
			if err != nil {
				fail("KSN %X: %v", ksn, err)
				continue
			}
			ci, err := pk.Cipher()
			if err != nil {
				fail("KSN %X: %v", ksn, err)
				continue
			}
			if cfg.format == "iso0" {
				var want [8]byte
				ci.Encrypt(want[:], clearBlock)
				if [8]byte(block) != want {
					fail("KSN %X: PIN block %X does not decipher to the PIN under the PIN variant of its transaction key", ksn, block)
				}
			} else if got, _, err := pinblock.Decrypt(ci, block, cfg.pan); err != nil || got != cfg.pin {
				fail("KSN %X: PIN block %X does not decipher to the PIN under the PIN variant of its transaction key", ksn, block)
			}
			kb := tk.Key().Bytes()
			keys = append(keys, keyRec{
				hi: binary.BigEndian.Uint64(kb[:8]) &^ 0x0101010101010101, lo: binary.BigEndian.Uint64(kb[8:]) &^ 0x0101010101010101, counter: c,
			})
			clear(kb)
			blocks = append(blocks, blockRec{binary.BigEndian.Uint64(block), c})
		}
	}
	if err := ctx.Err(); err != nil && res.err == nil {
		res.err = fmt.Errorf("%w after %d transactions: %w", errWalkStopped, res.transactions, err)
	}
	if res.err != nil {
		res.elapsed = time.Since(start)
		return res
	}

	slices.SortFunc(keys, func(a, b keyRec) int {
		if a.hi != b.hi {
			return cmpU64(a.hi, b.hi)
		}
		return cmpU64(a.lo, b.lo)
	})
	res.distinctKeys = len(keys)
	for i := 1; i < len(keys); i++ {
		if keys[i].hi == keys[i-1].hi && keys[i].lo == keys[i-1].lo {
			res.distinctKeys--
			fail("counters %06X and %06X have the same transaction key", keys[i-1].counter, keys[i].counter)
		}
	}
	slices.SortFunc(blocks, func(a, b blockRec) int { return cmpU64(a.block, b.block) })
	for i := 1; i < len(blocks); i++ {
		if blocks[i].block == blocks[i-1].block {
			fail("counters %06X and %06X turned the same PIN and PAN into the same PIN block %016X", blocks[i-1].counter, blocks[i].counter, blocks[i].block)
		}
	}
	if res.transactions > 0 {
		res.expected = countCounters(res.first)
		if res.transactions != res.expected && p.n == 0 {
			fail("the device answered %d transactions from counter %06X; it has %d valid counters from there to %06X", res.transactions, res.first, res.expected, dukpt.TDESLastCounter)
		}
	}
	if !res.exhausted && p.n == 0 {
		fail("the device never answered error 1003 exhausted (last counter %06X after %d transactions)", res.last, res.transactions)
	}
	res.elapsed = time.Since(start)
	return res
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// countCounters returns the number of valid TDES counters from c (valid)
// to the last one, in device order.
func countCounters(c uint32) int {
	n := 1
	for {
		next, err := dukpt.NextTDESCounter(c)
		if err != nil {
			return n
		}
		c = next
		n++
	}
}
