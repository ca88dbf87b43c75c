package ics

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/paycert/paycert/dukpt"
	"github.com/paycert/paycert/emvcrypto"
	"github.com/paycert/paycert/mask"
)

// The raw schema. Mappings are structs, so the decoder's KnownFields
// rejects unknown fields at every level; leaves are scalar or scalarList,
// which keep the text as written and its line, so that every value is
// checked here with a message naming its field.
type (
	rawICS struct {
		Version        scalar             `yaml:"paycert-ics"`
		Implementation *rawImplementation `yaml:"implementation"`
		EMV            *rawEMV            `yaml:"emv"`
		Token          *rawToken          `yaml:"token"`
		KeyMgmt        *rawKeyMgmt        `yaml:"keymgmt"`
		HSM            *rawHSM            `yaml:"hsm"`
	}
	rawImplementation struct {
		Vendor  scalar `yaml:"vendor"`
		Product scalar `yaml:"product"`
		Version scalar `yaml:"version"`
	}
	rawEMV struct {
		OnlineOnly   scalar         `yaml:"online-only"`
		OfflineECash scalar         `yaml:"offline-ecash"`
		AIDs         scalarList     `yaml:"aids"`
		GenerateAC   scalar         `yaml:"generate-ac"`
		Cryptogram   *rawCryptogram `yaml:"cryptogram"`
		Token        *rawEMVToken   `yaml:"token"`
		CVMLimit     scalar         `yaml:"cvm-limit"`
		Currency     scalar         `yaml:"currency"`
		Country      scalar         `yaml:"country"`
		CVMMethod    scalar         `yaml:"cvm-method"`
	}
	rawCryptogram struct {
		Version      scalar `yaml:"version"`
		Algorithm    scalar `yaml:"algorithm"`
		IMKAC        scalar `yaml:"imk-ac"`
		ICCMasterKey scalar `yaml:"icc-master-key"`
		Derivation   scalar `yaml:"derivation"`
		KeyIndex     scalar `yaml:"key-index"`
	}
	rawEMVToken struct {
		BINRanges  scalarList `yaml:"bin-ranges"`
		FundingPAN scalar     `yaml:"funding-pan"`
		PSN        scalar     `yaml:"psn"`
	}
	rawToken struct {
		LUKTTL              scalar     `yaml:"luk-ttl"`
		LUKMaxUses          scalar     `yaml:"luk-max-uses"`
		WaitCap             scalar     `yaml:"wait-cap"`
		LUKReplacesPrevious scalar     `yaml:"luk-replaces-previous"`
		BINRanges           scalarList `yaml:"bin-ranges"`
		FundingPAN          scalar     `yaml:"funding-pan"`
	}
	rawKeyMgmt struct {
		Schemes    scalarList      `yaml:"schemes"`
		Preloaded  []*rawPreloaded `yaml:"preloaded"`
		Exhaustive scalar          `yaml:"exhaustive"`
	}
	rawPreloaded struct {
		Scheme scalar `yaml:"scheme"`
		BDK    scalar `yaml:"bdk"`
		KSN    scalar `yaml:"ksn"`
	}
)

// scalar is a leaf as written. The decoder does not call UnmarshalYAML for
// an empty (null) value, so set is false both when the field is absent and
// when it is empty; the index tells the two apart.
type scalar struct {
	set   bool
	kind  yaml.Kind
	tag   string
	value string
	line  int
}

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	*s = scalar{set: true, kind: n.Kind, tag: n.ShortTag(), value: n.Value, line: n.Line}
	return nil
}

// what describes a value that has the wrong type.
func (s scalar) what() string {
	switch s.kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return tagName(s.tag)
}

// isText reports whether s is a non-empty scalar that is not a boolean.
func (s scalar) isText() bool {
	return s.kind == yaml.ScalarNode && s.tag != "!!null" && s.tag != "!!bool"
}

// scalarList is a list of leaves.
type scalarList struct {
	set   bool
	kind  yaml.Kind
	tag   string
	line  int
	items []scalar
}

func (l *scalarList) UnmarshalYAML(n *yaml.Node) error {
	*l = scalarList{set: true, kind: n.Kind, tag: n.ShortTag(), line: n.Line}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	l.items = make([]scalar, 0, len(n.Content))
	for _, it := range n.Content {
		if it.Kind == yaml.AliasNode && it.Alias != nil {
			it = it.Alias
		}
		l.items = append(l.items, scalar{set: true, kind: it.Kind, tag: it.ShortTag(), value: it.Value, line: it.Line})
	}
	return nil
}

// absent reports whether a field has no value. A required field that is
// absent, and any field written with an empty value, is an error.
func (c *checker) absent(set bool, parent, field string, required bool) bool {
	if set {
		return false
	}
	p := join(parent, field)
	switch {
	case c.idx != nil && c.idx.null[p]:
		msg := "must not be empty"
		if !required {
			msg += " (omit the field instead)"
		}
		c.add(c.line(p), p, msg)
	case required && !c.isBroken(p):
		c.add(c.line(parent), p, "required field is missing")
	}
	return true
}

const maxText = 200

// text checks a required human-readable string.
func (c *checker) text(s scalar, parent, field string) string {
	p := join(parent, field)
	if c.absent(s.set, parent, field, true) {
		return ""
	}
	if s.kind != yaml.ScalarNode {
		c.addf(s.line, p, "must be a string, not %s", s.what())
		return ""
	}
	v := strings.TrimSpace(s.value)
	switch {
	case v == "":
		c.add(s.line, p, "must not be empty")
	case len(v) > maxText:
		c.addf(s.line, p, "must be at most %d characters", maxText)
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
		c.add(s.line, p, "must be printable text (no control characters)")
	default:
		return v
	}
	return ""
}

// boolean checks a true/false field.
func (c *checker) boolean(s scalar, parent, field string, required, def bool) bool {
	if c.absent(s.set, parent, field, required) {
		return def
	}
	if s.kind != yaml.ScalarNode || s.tag != "!!bool" {
		c.addf(s.line, join(parent, field), "must be true or false, not %s", s.what())
		return def
	}
	return strings.EqualFold(s.value, "true")
}

var intRe = regexp.MustCompile(`^[-+]?[0-9]+$`)

// integer checks a decimal integer field.
func (c *checker) integer(s scalar, parent, field string, required bool) (int64, bool) {
	if c.absent(s.set, parent, field, required) {
		return 0, false
	}
	p := join(parent, field)
	if s.kind != yaml.ScalarNode || (s.tag != "!!int" && s.tag != "!!float") || !intRe.MatchString(s.value) {
		c.addf(s.line, p, "must be a decimal integer, not %s", s.what())
		return 0, false
	}
	n, err := strconv.ParseInt(s.value, 10, 64)
	if err != nil {
		c.add(s.line, p, "integer out of range")
		return 0, false
	}
	return n, true
}

// enum checks a field whose value must be one of allowed.
func (c *checker) enum(s scalar, parent, field string, required bool, allowed []string) (string, bool) {
	if c.absent(s.set, parent, field, required) {
		return "", false
	}
	p := join(parent, field)
	if !s.isText() {
		c.addf(s.line, p, "must be one of %s, not %s", strings.Join(allowed, ", "), s.what())
		return "", false
	}
	if !slices.Contains(allowed, s.value) {
		c.addf(s.line, p, "must be one of %s; got %s", strings.Join(allowed, ", "), display(s.value))
		return "", false
	}
	return s.value, true
}

// duration checks a Go duration such as 60s.
func (c *checker) duration(s scalar, parent, field string, required bool) (time.Duration, bool) {
	if c.absent(s.set, parent, field, required) {
		return 0, false
	}
	p := join(parent, field)
	if !s.isText() {
		c.addf(s.line, p, "must be a duration such as 60s or 5m, not %s", s.what())
		return 0, false
	}
	d, err := time.ParseDuration(s.value)
	if err != nil {
		c.addf(s.line, p, "must be a duration with a unit, such as 60s or 5m; got %s", display(s.value))
		return 0, false
	}
	return d, true
}

// hexBytes checks a hex field whose decoded length must be one of sizes
// (any length when sizes is empty) and returns the bytes. The message
// never repeats the value: it may be a key.
func (c *checker) hexBytes(s scalar, parent, field string, required bool, sizes []int) []byte {
	if c.absent(s.set, parent, field, required) {
		return nil
	}
	p := join(parent, field)
	want := "hex"
	if len(sizes) > 0 {
		want = sizeList(sizes) + " of hex"
	}
	if !s.isText() {
		c.addf(s.line, p, "must be %s, not %s", want, s.what())
		return nil
	}
	v := s.value
	for i := 0; i < len(v); i++ {
		if !isHexDigit(v[i]) {
			c.addf(s.line, p, "must be %s (found a character that is not a hex digit)", want)
			return nil
		}
	}
	if len(v)%2 != 0 {
		c.addf(s.line, p, "must be %s (odd number of hex digits)", want)
		return nil
	}
	if len(sizes) > 0 && !slices.Contains(sizes, len(v)/2) {
		c.addf(s.line, p, "must be %s, got %d bytes", want, len(v)/2)
		return nil
	}
	b, err := hex.DecodeString(v)
	if err != nil { // unreachable after the checks above
		c.addf(s.line, p, "must be %s", want)
		return nil
	}
	return b
}

func isHexDigit(ch byte) bool {
	return '0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F'
}

// sizeList renders {16, 24} as "16 or 24 bytes".
func sizeList(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, n := range sizes {
		parts[i] = strconv.Itoa(n)
	}
	switch len(parts) {
	case 1:
		return parts[0] + " bytes"
	case 2:
		return parts[0] + " or " + parts[1] + " bytes"
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1] + " bytes"
}

// list checks a list field and returns its items.
func (c *checker) list(l scalarList, parent, field string, required bool) []scalar {
	if c.absent(l.set, parent, field, required) {
		return nil
	}
	p := join(parent, field)
	if l.kind != yaml.SequenceNode {
		what := tagName(l.tag)
		if l.kind == yaml.MappingNode {
			what = "a mapping"
		}
		c.addf(l.line, p, "must be a list, not %s", what)
		return nil
	}
	if required && len(l.items) == 0 {
		c.add(l.line, p, "must list at least one value")
	}
	return l.items
}

// display quotes a short excerpt of a non-secret value for a message.
func display(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

var plainRe = regexp.MustCompile(`^[0-9A-Za-z-]{1,41}$`)

// displayPlain shows a short, plain value unquoted.
func displayPlain(s string) string {
	if plainRe.MatchString(s) {
		return s
	}
	return display(s)
}

// ics validates the whole document.
func (c *checker) ics(r *rawICS) *ICS {
	out := &ICS{}
	if v, ok := c.integer(r.Version, "", "paycert-ics", true); ok {
		if v != SchemaVersion {
			c.addf(r.Version.line, "paycert-ics", "unsupported schema version %d (this paycert reads version %d)", v, SchemaVersion)
		}
		out.Version = int(v)
	}
	if r.Implementation == nil {
		c.absent(false, "", "implementation", true)
	} else {
		p := "implementation"
		out.Implementation = Implementation{
			Vendor:  c.text(r.Implementation.Vendor, p, "vendor"),
			Product: c.text(r.Implementation.Product, p, "product"),
			Version: c.text(r.Implementation.Version, p, "version"),
		}
	}
	if r.EMV != nil {
		out.EMV = c.emv(r.EMV)
	} else {
		c.emptySection("emv")
	}
	if r.Token != nil {
		out.Token = c.token(r.Token)
	} else {
		c.emptySection("token")
	}
	if r.KeyMgmt != nil {
		out.KeyMgmt = c.keymgmt(r.KeyMgmt)
	} else {
		c.emptySection("keymgmt")
	}
	if r.HSM != nil {
		out.HSM = c.hsm(r.HSM)
	} else {
		c.emptySection("hsm")
	}
	return out
}

// emptySection reports an optional section written with no content.
func (c *checker) emptySection(name string) {
	if c.idx != nil && c.idx.null[name] {
		c.add(c.line(name), name, "section is empty: declare its fields, or omit the section when the implementation does not support it")
	}
}

var cvnNames = []struct {
	name string
	cvn  emvcrypto.CVN
}{
	{"pboc", emvcrypto.CVNPBOC},
	{"visa-cvn10", emvcrypto.CVNVisa10},
	{"visa-cvn18", emvcrypto.CVNVisa18},
	{"visa-cvn22", emvcrypto.CVNVisa22},
	{"mc-cvn16", emvcrypto.CVNMastercard16},
	{"mc-cvn17", emvcrypto.CVNMastercard17},
	{"mc-cvn20", emvcrypto.CVNMastercard20},
	{"mc-cvn21", emvcrypto.CVNMastercard21},
}

// VersionNames returns the cryptogram version names an ICS may declare.
func VersionNames() []string {
	out := make([]string, len(cvnNames))
	for i, v := range cvnNames {
		out[i] = v.name
	}
	return out
}

// VersionName returns the ICS name of a cryptogram version ("" if none).
func VersionName(cvn emvcrypto.CVN) string {
	for _, v := range cvnNames {
		if v.cvn == cvn {
			return v.name
		}
	}
	return ""
}

func (c *checker) emv(r *rawEMV) *EMV {
	const p = "emv"
	e := &EMV{}
	e.OnlineOnly = c.boolean(r.OnlineOnly, p, "online-only", true, false)
	e.OfflineECash = c.boolean(r.OfflineECash, p, "offline-ecash", false, false)
	for i, it := range c.list(r.AIDs, p, "aids", true) {
		ip := fmt.Sprintf("%s.aids[%d]", p, i)
		b := c.hexBytes(it, "", ip, true, nil)
		if b == nil {
			continue
		}
		if len(b) < 5 || len(b) > 16 {
			c.addf(it.line, ip, "must be 5 to 16 bytes of hex, got %d bytes", len(b))
			continue
		}
		aid := strings.ToUpper(hex.EncodeToString(b))
		if slices.Contains(e.AIDs, aid) {
			c.addf(it.line, ip, "duplicate AID %s", aid)
			continue
		}
		e.AIDs = append(e.AIDs, aid)
	}
	e.GenerateAC = c.boolean(r.GenerateAC, p, "generate-ac", true, false)
	if r.Cryptogram == nil {
		c.absent(false, p, "cryptogram", true)
	} else {
		e.Cryptogram = c.cryptogram(r.Cryptogram)
	}
	if r.Token == nil {
		c.absent(false, p, "token", true)
	} else {
		e.Token = c.emvToken(r.Token)
	}
	if v, ok := c.integer(r.CVMLimit, p, "cvm-limit", true); ok {
		switch {
		case v < 0:
			c.add(r.CVMLimit.line, p+".cvm-limit", "must not be negative")
		case v > 999999999999:
			c.add(r.CVMLimit.line, p+".cvm-limit", "must fit the 12-digit amount (at most 999999999999)")
		default:
			e.CVMLimit = v
		}
	}
	if !c.absent(r.Currency.set, p, "currency", true) {
		if n, ok := isoNumeric(r.Currency); ok {
			e.Currency = n
		} else {
			c.add(r.Currency.line, p+".currency", "must be an ISO 4217 numeric currency code: 1 to 999, written with up to three digits (156, \"036\") or as the four digits 9F42 and 5F2A carry (\"0156\", \"0978\")")
		}
	}
	if !c.absent(r.Country.set, p, "country", false) {
		if n, ok := isoNumeric(r.Country); ok {
			e.Country = n
		} else {
			c.add(r.Country.line, p+".country", "must be an ISO 3166 numeric country code: 1 to 999, written with up to three digits (156, 250, \"036\") or as the four digits 9F1A carries (\"0250\")")
		}
	}
	if v, ok := c.enum(r.CVMMethod, p, "cvm-method", false, []string{CVMByCTQ, CVMByList}); ok {
		e.CVMMethod = v
	} else if !r.CVMMethod.set {
		e.CVMMethod = defaultCVMMethod(e.Cryptogram.CVN)
	}
	return e
}

// isoNumeric reads an ISO 4217 / ISO 3166 numeric code: 1 to 999, written
// with one to three digits or as four digits with a leading zero (the
// n3 value as EMV carries it in two bytes of BCD).
func isoNumeric(s scalar) (int, bool) {
	v := strings.TrimSpace(s.value)
	if !s.isText() || !isDigits(v) || len(v) > 4 || (len(v) == 4 && v[0] != '0') {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 999 {
		return 0, false
	}
	return n, true
}

// defaultCVMMethod is how a card of the cryptogram version states its
// cardholder verification when the ICS does not say: Visa and UnionPay
// contactless cards in their CTQ (9F6C), Mastercard cards in their CVM
// list (8E).
func defaultCVMMethod(cvn emvcrypto.CVN) string {
	if info, ok := cvn.Info(); ok && info.Scheme == emvcrypto.SchemeMastercard {
		return CVMByList
	}
	return CVMByCTQ
}

func (c *checker) cryptogram(r *rawCryptogram) Cryptogram {
	const p = "emv.cryptogram"
	before := len(c.errs)
	var out Cryptogram
	verOK := false
	if v, ok := c.enum(r.Version, p, "version", true, VersionNames()); ok {
		out.Version = v
		for _, n := range cvnNames {
			if n.name == v {
				out.CVN = n.cvn
			}
		}
		verOK = true
	}
	out.Algorithm = emvcrypto.AlgTDES
	algOK := true
	if r.Algorithm.set {
		v, ok := c.enum(r.Algorithm, p, "algorithm", false, []string{"tdes", "sm4"})
		algOK = ok
		if v == "sm4" {
			out.Algorithm = emvcrypto.AlgSM4
		}
	} else {
		c.absent(false, p, "algorithm", false)
	}
	if verOK && algOK {
		info, _ := out.CVN.Info()
		if !slices.Contains(info.Algorithms, out.Algorithm) {
			line := r.Algorithm.line
			if out.Algorithm == emvcrypto.AlgSM4 {
				c.add(line, p+".algorithm", "sm4 requires version pboc")
			} else {
				c.addf(line, p+".algorithm", "%s is not defined for version %s", strings.ToLower(out.Algorithm.String()), out.Version)
			}
		}
	}

	hasIMK, hasICC := r.IMKAC.set, r.ICCMasterKey.set
	switch {
	case hasIMK && hasICC:
		c.add(r.ICCMasterKey.line, p, "set exactly one of imk-ac and icc-master-key, not both")
	case !hasIMK && !hasICC:
		c.absent(false, p, "imk-ac", false) // reports an empty value, if any
		c.absent(false, p, "icc-master-key", false)
		c.add(c.line(p), p, "one of imk-ac and icc-master-key is required")
	}
	var imkSizes, iccSizes []int
	if algOK {
		iccSizes = []int{16}
		imkSizes = []int{16}
		if out.Algorithm == emvcrypto.AlgTDES {
			imkSizes = []int{16, 24}
		}
	}
	if hasIMK {
		out.IMKAC = c.emvKey(r.IMKAC, p, "imk-ac", out.Algorithm, imkSizes, algOK)
	}
	if hasICC {
		out.ICCMasterKey = c.emvKey(r.ICCMasterKey, p, "icc-master-key", out.Algorithm, iccSizes, algOK)
	}

	if r.Derivation.set {
		v, ok := c.enum(r.Derivation, p, "derivation", false, []string{"option-a", "option-b"})
		switch {
		case !hasIMK && hasICC:
			c.add(r.Derivation.line, p+".derivation", "applies only with imk-ac (an icc-master-key is used as it is)")
		case !hasIMK:
			// no key at all: reported above
		case ok && v == "option-b":
			out.Derivation = emvcrypto.OptionB
		case ok:
			out.Derivation = emvcrypto.OptionA
		}
	} else {
		c.absent(false, p, "derivation", false)
		if hasIMK {
			out.Derivation = emvcrypto.OptionA
		}
	}

	if v, ok := c.integer(r.KeyIndex, p, "key-index", false); ok {
		if v < 0 || v > 255 {
			c.add(r.KeyIndex.line, p+".key-index", "must be between 0 and 255")
		} else {
			out.KeyIndex, out.HasKeyIndex = byte(v), true
		}
	}

	// Whatever passed the checks above must give an issuer; if emvcrypto
	// disagrees, say so here rather than in the middle of a run.
	if len(c.errs) == before {
		e := &EMV{Cryptogram: out}
		if _, err := e.Issuer("0000000000000000", "00"); err != nil {
			c.addf(c.line(p), p, "not usable: %v", err)
		}
	}
	return out
}

// emvKey checks a hex key field and returns it as an emvcrypto.Key.
func (c *checker) emvKey(s scalar, parent, field string, alg emvcrypto.Algorithm, sizes []int, algOK bool) emvcrypto.Key {
	b := c.hexBytes(s, parent, field, true, sizes)
	defer clear(b)
	if b == nil || !algOK {
		return emvcrypto.Key{}
	}
	k, err := emvcrypto.NewKey(alg, b)
	if err != nil {
		c.addf(s.line, join(parent, field), "not a valid %v key", alg)
		return emvcrypto.Key{}
	}
	return k
}

func (c *checker) emvToken(r *rawEMVToken) TokenCfg {
	const p = "emv.token"
	var out TokenCfg
	out.BINRanges = c.binRanges(r.BINRanges, p, true)
	out.FundingPAN = c.fundingPAN(r.FundingPAN, p, true, out)
	if !c.absent(r.PSN.set, p, "psn", false) {
		s := r.PSN
		if !s.isText() || len(s.value) != 2 || !isDigits(s.value) {
			c.add(s.line, p+".psn", `must be two digits, e.g. "01"`)
		} else {
			out.PSN = s.value
		}
	}
	return out
}

// parseBINRange parses a prefix or LOW-HIGH; the message is "" when valid.
func parseBINRange(s string) (BINRange, string) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		if !isDigits(s) || len(s) > 19 {
			return BINRange{}, fmt.Sprintf("bin range %s must be a prefix of 1 to 19 digits or LOW-HIGH", displayPlain(s))
		}
		return BINRange{Low: s, High: s}, ""
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	switch {
	case !isDigits(lo) || !isDigits(hi) || len(lo) > 19 || len(hi) > 19:
		return BINRange{}, fmt.Sprintf("bin range %s must be LOW-HIGH of 1 to 19 digits each", displayPlain(s))
	case len(lo) != len(hi):
		return BINRange{}, fmt.Sprintf("bin range %s has ends of different lengths", displayPlain(s))
	case lo > hi:
		return BINRange{}, fmt.Sprintf("bin range %s has its low end above its high end", displayPlain(s))
	}
	return BINRange{Low: lo, High: hi}, ""
}

func (c *checker) token(r *rawToken) *TokenService {
	const p = "token"
	t := &TokenService{}
	if d, ok := c.duration(r.LUKTTL, p, "luk-ttl", true); ok {
		if d <= 0 {
			c.add(r.LUKTTL.line, p+".luk-ttl", "must be positive")
		} else {
			t.LUKTTL = d
		}
	}
	if n, ok := c.integer(r.LUKMaxUses, p, "luk-max-uses", true); ok {
		switch {
		case n < 1:
			c.add(r.LUKMaxUses.line, p+".luk-max-uses", "must be at least 1")
		case n > math.MaxInt32:
			c.add(r.LUKMaxUses.line, p+".luk-max-uses", "integer out of range")
		default:
			t.LUKMaxUses = int(n)
		}
	}
	if d, ok := c.duration(r.WaitCap, p, "wait-cap", false); ok {
		if d < 0 {
			c.add(r.WaitCap.line, p+".wait-cap", "must not be negative")
		} else {
			t.WaitCap = d
		}
	}
	t.LUKReplacesPrevious = c.boolean(r.LUKReplacesPrevious, p, "luk-replaces-previous", false, false)
	t.BINRanges = c.binRanges(r.BINRanges, p, false)
	t.FundingPAN = c.fundingPAN(r.FundingPAN, p, false, TokenCfg{BINRanges: t.BINRanges})
	return t
}

// binRanges checks the token BIN ranges p.bin-ranges (required or not).
func (c *checker) binRanges(l scalarList, p string, required bool) []BINRange {
	var out []BINRange
	for i, it := range c.list(l, p, "bin-ranges", required) {
		ip := fmt.Sprintf("%s.bin-ranges[%d]", p, i)
		if !it.isText() {
			c.addf(it.line, ip, "must be a BIN prefix or LOW-HIGH, not %s", it.what())
			continue
		}
		br, msg := parseBINRange(strings.TrimSpace(it.value))
		if msg != "" {
			c.add(it.line, ip, msg)
			continue
		}
		out = append(out, br)
	}
	return out
}

// fundingPAN checks the test funding PAN p.funding-pan: a Luhn-valid PAN
// outside the token BIN ranges of ranges. It returns "" when absent or bad.
func (c *checker) fundingPAN(s scalar, p string, required bool, ranges TokenCfg) string {
	if c.absent(s.set, p, "funding-pan", required) {
		return ""
	}
	v := s.value
	switch {
	case !s.isText() || !isDigits(v):
		c.add(s.line, p+".funding-pan", "must be a PAN of 12 to 19 digits")
	case len(v) < 12 || len(v) > 19:
		c.addf(s.line, p+".funding-pan", "must be a PAN of 12 to 19 digits, got %d", len(v))
	case !mask.Luhn(v):
		c.add(s.line, p+".funding-pan", "fails the Luhn check")
	case ranges.InRange(v):
		c.add(s.line, p+".funding-pan", "lies in a token bin range: the token BIN ranges must not cover the funding PAN")
	default:
		return v
	}
	return ""
}

func (c *checker) keymgmt(r *rawKeyMgmt) *KeyMgmt {
	const p = "keymgmt"
	k := &KeyMgmt{}
	names := make([]string, 0, 4)
	for _, s := range DUKPTSchemes() {
		names = append(names, string(s))
	}
	for i, it := range c.list(r.Schemes, p, "schemes", true) {
		ip := fmt.Sprintf("%s.schemes[%d]", p, i)
		v, ok := c.enum(it, "", ip, true, names)
		if !ok {
			continue
		}
		if slices.Contains(k.Schemes, DUKPTScheme(v)) {
			c.addf(it.line, ip, "duplicate scheme %s", v)
			continue
		}
		k.Schemes = append(k.Schemes, DUKPTScheme(v))
	}
	if r.Preloaded == nil {
		c.absent(false, p, "preloaded", false)
	}
	for i, rp := range r.Preloaded {
		ip := fmt.Sprintf("%s.preloaded[%d]", p, i)
		if pl, ok := c.preloaded(rp, ip, k); ok {
			k.Preloaded = append(k.Preloaded, pl)
		}
	}
	k.Exhaustive = c.boolean(r.Exhaustive, p, "exhaustive", false, false)
	if k.Exhaustive && len(k.Schemes) > 0 && !k.Supports(DUKPTTDES) {
		c.add(r.Exhaustive.line, p+".exhaustive", "the exhaustive test is for dukpt-tdes, which schemes does not declare")
	}
	return k
}

func (c *checker) preloaded(r *rawPreloaded, p string, k *KeyMgmt) (Preloaded, bool) {
	if r == nil {
		c.add(c.line(p), p, "must be a mapping with scheme, bdk and ksn")
		return Preloaded{}, false
	}
	var out Preloaded
	names := make([]string, 0, 4)
	for _, s := range DUKPTSchemes() {
		names = append(names, string(s))
	}
	v, ok := c.enum(r.Scheme, p, "scheme", true, names)
	s := DUKPTScheme(v)
	if ok {
		switch {
		case !k.Supports(s) && len(k.Schemes) > 0:
			c.addf(r.Scheme.line, p+".scheme", "%s is not declared in keymgmt.schemes", s)
			ok = false
		default:
			if _, dup := k.PreloadedKey(s); dup {
				c.addf(r.Scheme.line, p+".scheme", "a preloaded key for %s is already declared", s)
				ok = false
			}
		}
	}
	var bdkSizes []int
	if ok {
		bdkSizes = []int{s.KeyType().Size()}
	}
	b := c.hexBytes(r.BDK, p, "bdk", true, bdkSizes)
	if ok && b != nil {
		key, err := dukpt.NewKey(s.KeyType(), b)
		if err != nil {
			c.addf(r.BDK.line, p+".bdk", "not a valid %v key", s.KeyType())
			ok = false
		}
		out.BDK = key
	}
	clear(b)
	var ksnSizes []int
	if ok {
		ksnSizes = []int{s.KSNSize()}
	}
	if ksn := c.hexBytes(r.KSN, p, "ksn", true, ksnSizes); ksn != nil {
		out.KSN = strings.ToUpper(hex.EncodeToString(ksn))
	}
	out.Scheme = s
	return out, ok && b != nil && out.KSN != ""
}
