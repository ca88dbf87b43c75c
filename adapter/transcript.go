package adapter

import (
	"sync"
	"time"
)

// TraceEntry is one line recorded by a Transcript.
type TraceEntry struct {
	Time time.Time
	Dir  string // TraceSend or TraceRecv
	Line []byte // without the newline
}

// Transcript records the last lines exchanged with an adapter, as evidence.
// Use it as WithTrace(t.Record). It records lines verbatim: mask sensitive
// data before publishing the entries.
type Transcript struct {
	mu      sync.Mutex
	max     int
	entries []TraceEntry // ring once full
	start   int
	dropped int
}

// NewTranscript returns a Transcript keeping at most max entries (the most
// recent ones); max <= 0 means 1000.
func NewTranscript(max int) *Transcript {
	if max <= 0 {
		max = 1000
	}
	return &Transcript{max: max}
}

// Record stores a copy of line; it has the WithTrace callback signature.
func (t *Transcript) Record(dir string, line []byte) {
	e := TraceEntry{Time: time.Now(), Dir: dir, Line: append([]byte(nil), line...)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) < t.max {
		t.entries = append(t.entries, e)
		return
	}
	t.entries[t.start] = e
	t.start = (t.start + 1) % t.max
	t.dropped++
}

// Entries returns the recorded entries, oldest first, and how many older
// entries were dropped to respect the bound.
func (t *Transcript) Entries() (entries []TraceEntry, dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TraceEntry, 0, len(t.entries))
	out = append(out, t.entries[t.start:]...)
	out = append(out, t.entries[:t.start]...)
	return out, t.dropped
}
