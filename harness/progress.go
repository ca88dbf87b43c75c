package harness

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// ProgressInterval is how often a long test case's progress is printed as a
// plain line when the progress output is not a terminal.
var ProgressInterval = 10 * time.Second

// Progress reports that a long-running test case (the exhaustive DUKPT walk)
// has done done of total steps of what. On a terminal the run shows a
// progress bar; elsewhere (a CI log, a pipe) a plain line at most every
// ProgressInterval. It records nothing in the evidence and is safe to call
// often.
func (t *T) Progress(what string, done, total int64) {
	runMu.Lock()
	r := active
	runMu.Unlock()
	if r == nil || r.bar == nil {
		return
	}
	r.bar.update(t.tc.ID, what, done, total)
}

// progress renders the progress of the running test case on w.
type progress struct {
	w   io.Writer
	tty bool

	mu   sync.Mutex
	id   string // the test case the bar belongs to
	bar  *progressbar.ProgressBar
	last time.Time // when the last plain line was printed
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		return nil
	}
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && isatty.IsTerminal(f.Fd())}
}

func (p *progress) update(id, what string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if p.id == id && time.Since(p.last) < ProgressInterval && done < total {
			return
		}
		p.id, p.last = id, time.Now()
		fmt.Fprintf(p.w, "%-15s %s %d/%d (%d%%)\n", id, what, done, total, done*100/max(total, 1))
		return
	}
	if p.bar == nil || p.id != id {
		p.id = id
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-15s %s", id, what)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.Set64(done)
}

// done clears the bar of a finished test case, so that its verdict line
// starts on a clean line.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
		p.bar = nil
	}
	p.id = ""
}
