package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlTemplate string

var reportTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"upper": func(s string) string { return strings.ToUpper(s) },
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"orUnknown": orUnknown,
	"time":      func(t time.Time) string { return t.Format(time.RFC3339) },
	"duration":  func(d time.Duration) string { return d.Round(time.Microsecond).String() },
}).Parse(htmlTemplate))

// htmlView is what the template renders: the report and what is derived
// from it for display.
type htmlView struct {
	R               *Report
	Headline        string
	TraceCounts     map[string]int
	Suites          []string
	Requirements    []string   // every requirement ID a test case of the report cites, sorted
	Hosts           []keyValue // IUT identities learned from adapters, by role
	ICSDeclarations []keyValue // the ICS summary, "ics." stripped
	Cases           []caseView
}

type keyValue struct{ Key, Value string }

type caseView struct {
	Result
	Exercised []keyValue
	Evidence  []evidenceView
}

type evidenceView struct {
	Evidence
	APDU *apduView
}

// HTML renders report.html: one self-contained page (inline CSS and
// script, no external resource; a content security policy forbids any
// load) with the cover (overall verdict, identities, digests, signature
// status), the traceability matrix and one section per test case with its
// evidence transcript, APDUs decoded as TLV trees. All report data goes
// through html/template's escaping.
func HTML(r *Report) ([]byte, error) {
	v := htmlView{R: r, Headline: Headline(r), TraceCounts: r.TraceCounts()}
	reqs := map[string]bool{}
	for _, res := range r.Tests {
		if !slices.Contains(v.Suites, res.Suite) {
			v.Suites = append(v.Suites, res.Suite)
		}
		for _, id := range res.Requirements {
			reqs[id] = true
		}
		cv := caseView{Result: res}
		for _, k := range slices.Sorted(maps.Keys(res.Exercised)) {
			cv.Exercised = append(cv.Exercised, keyValue{k, fmt.Sprint(res.Exercised[k])})
		}
		for _, e := range res.Evidence {
			ev := evidenceView{Evidence: e}
			if a, ok := decodeAPDU(e.Text); ok && e.Kind == "apdu" {
				ev.APDU = &a
			}
			cv.Evidence = append(cv.Evidence, ev)
		}
		v.Cases = append(v.Cases, cv)
	}
	slices.Sort(v.Suites)
	v.Requirements = slices.Sorted(maps.Keys(reqs))
	for _, k := range slices.Sorted(maps.Keys(r.IUT.Details)) {
		switch d, ok := strings.CutPrefix(k, "ics."); {
		case ok:
			v.ICSDeclarations = append(v.ICSDeclarations, keyValue{d, r.IUT.Details[k]})
		case k != "ics": // the ICS's name: Inputs.ICS states it
			v.Hosts = append(v.Hosts, keyValue{k, r.IUT.Details[k]})
		}
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
