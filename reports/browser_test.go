package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium is where Debian's chromium package (scripts/setup-debian)
// installs the browser.
const chromium = "/usr/bin/chromium"

// TestHTMLInBrowser opens report.html from disk in headless Chromium and
// uses it as an auditor would: the cover's counts agree with report.json,
// the verdict filter shows exactly the failed test cases, a transcript
// expands to its decoded APDUs, and the print stylesheet hides the filters
// and shows every transcript. The page must log no console error and make
// no request but for the file itself. Without Chromium the test skips,
// except under CI=true, where it fails.
func TestHTMLInBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (%v): scripts/setup-debian installs it", err)
		}
		t.Skipf("chromium is not installed (%v): scripts/setup-debian installs it", err)
	}
	dir := t.TempDir()
	r := sample()
	r.Tests[1].Evidence = []Evidence{
		{"apdu", "GET PROCESSING OPTIONS C: 80A8000004830200000000  R: 770D570712345XXXXXX1239F2701809000"},
		{"note", `<img src="https://example.invalid/x.png"> must stay text`},
	}
	if err := WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	var want Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err == nil {
		err = json.Unmarshal(b, &want)
	}
	if err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "report.html")}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	// Open the tab first, so that the listener misses no event of the
	// page's load.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var problems, requests []string
	err = chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, fmt.Sprintf("exception: %s (line %d)", e.ExceptionDetails.Text, e.ExceptionDetails.LineNumber))
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	do(chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("#cases")))
	outcome, total, pass, fail, sig := text("#outcome"), text("#count-total"), text("#count-pass"), text("#count-fail"), text("#signature")
	if outcome != strings.ToUpper(want.Outcome) || total != fmt.Sprint(want.Summary.Total) || pass != fmt.Sprint(want.Summary.Pass) || fail != fmt.Sprint(want.Summary.Fail) || sig != want.Signature {
		t.Errorf("cover says %s, %s total, %s passed, %s failed, signature %s; report.json %s %+v %s", outcome, total, pass, fail, sig, want.Outcome, want.Summary, want.Signature)
	}

	// The verdict filter shows the failed test cases and nothing else.
	do(chromedp.SetValue(chromedp.CSS("#filter-verdict"), "fail"))
	visible := evaluate[[]string](t, bctx, `document.getElementById("filter-verdict").dispatchEvent(new Event("change")),
		Array.from(document.querySelectorAll("section.tc")).filter(s => s.getClientRects().length > 0).map(s => s.dataset.id + " " + s.dataset.verdict)`)
	shown := text("#shown")
	var wantFailed []string
	for _, res := range want.Tests {
		if res.Verdict == Fail {
			wantFailed = append(wantFailed, res.ID+" fail")
		}
	}
	if fmt.Sprint(visible) != fmt.Sprint(wantFailed) || shown != fmt.Sprintf("%d of %d test cases shown", len(wantFailed), len(want.Tests)) {
		t.Errorf("verdict filter fail shows %q (%q), want %q", visible, shown, wantFailed)
	}

	// A transcript expands, with the APDU decoded.
	const tc = "#tc-EMV-EC-001"
	do(chromedp.Click(chromedp.CSS(tc+" details > summary")), chromedp.WaitVisible(chromedp.CSS(tc+" ul.tlv")))
	expanded := evaluate[bool](t, bctx, `document.querySelector("`+tc+` details").open`)
	if decoded := text(tc + " .apdu"); !expanded || !strings.Contains(decoded, "12345XXXXXX123") || !strings.Contains(decoded, "9F27") {
		t.Errorf("expanded transcript (open %v): %q", expanded, decoded)
	}

	// Printed, the filters are hidden and every test case and transcript
	// item shows, whatever the filter.
	do(chromedp.Click(chromedp.CSS(tc + " details > summary")))
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	filtersShown := evaluate[bool](t, bctx, `document.querySelector(".filters").getClientRects().length > 0`)
	hiddenParts := evaluate[int](t, bctx, `Array.from(document.querySelectorAll("section.tc, .ev")).filter(e => e.getClientRects().length === 0).length`)
	if filtersShown || hiddenParts != 0 {
		t.Errorf("print: filters shown %v, %d test cases or transcript items hidden", filtersShown, hiddenParts)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("page error: %s", p)
	}
	for _, u := range requests {
		if u != page {
			t.Errorf("the page requested %s", u)
		}
	}
	if len(requests) == 0 {
		t.Error("saw no request at all: the network listener is not working")
	}
}

// evaluate runs a script in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
