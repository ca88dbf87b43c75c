package adapter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// errLineTooLong is returned by lineReader.next for a line over the limit.
var errLineTooLong = fmt.Errorf("line exceeds the %d-byte (1 MiB) limit", MaxLineSize)

// lineReader splits a stream into lines. It keeps a partial line across
// read errors (a read deadline may interrupt a line and be extended).
type lineReader struct {
	br       *bufio.Reader
	max      int
	partial  []byte
	skipping bool // discarding the rest of an over-long line
}

// next returns the next line without its terminator ("\n" or "\r\n"). The
// slice is only valid until the next call. Errors:
//   - errLineTooLong: the line is over the limit; the next call skips the
//     rest of it;
//   - io.ErrUnexpectedEOF: the stream ended inside a line, which is returned;
//   - any other read error (io.EOF, deadline, ...): the partial line is kept.
func (r *lineReader) next() ([]byte, error) {
	for {
		frag, err := r.br.ReadSlice('\n')
		if r.skipping {
			if err == nil {
				r.skipping = false
				continue
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			return nil, err
		}
		switch err {
		case nil:
			line := frag
			if len(r.partial) > 0 {
				r.partial = append(r.partial, frag...)
				line = r.partial
				r.partial = r.partial[:0]
			}
			line = trimEOL(line)
			if len(line) > r.max {
				return nil, errLineTooLong
			}
			return line, nil
		case bufio.ErrBufferFull:
			r.partial = append(r.partial, frag...)
			if len(r.partial) > r.max+1 { // +1: room for a '\r' before the '\n'
				r.partial = r.partial[:0]
				r.skipping = true
				return nil, errLineTooLong
			}
		default:
			r.partial = append(r.partial, frag...)
			if len(r.partial) > r.max+1 {
				r.partial = r.partial[:0]
				r.skipping = true
				return nil, errLineTooLong
			}
			if err == io.EOF && len(r.partial) > 0 {
				line := trimEOL(r.partial)
				r.partial = r.partial[:0]
				return line, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// isBlank reports whether a line holds only JSON whitespace.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// firstByte returns the first non-whitespace byte of b, or 0.
func firstByte(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}

// snippet quotes a short prefix of b for an error message. Only used for
// protocol-level values (ids, version strings), never for payloads.
func snippet(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return string(b)
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// appendRequest appends one request line, newline included. params must be
// a compact JSON object.
func appendRequest(dst []byte, id uint64, method string, params []byte) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, `,"method":`...)
	dst = appendString(dst, method)
	dst = append(dst, `,"params":`...)
	dst = append(dst, params...)
	return append(dst, "}\n"...)
}

// encodeParams marshals params, which must encode to a JSON object. nil
// encodes as {}.
func encodeParams(params any) ([]byte, error) {
	switch p := params.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		if p == nil {
			return []byte("{}"), nil
		}
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	if firstByte(b) != '{' {
		return nil, fmt.Errorf("params must encode to a JSON object, got %s", snippet(b))
	}
	return b, nil
}

// checkVersion checks the "jsonrpc" member.
func checkVersion(raw []byte) error {
	if raw == nil {
		return errors.New(`missing "jsonrpc" member`)
	}
	if string(raw) == `"2.0"` {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s == "2.0" {
		return nil
	}
	return fmt.Errorf(`"jsonrpc" is %s, want "2.0"`, snippet(raw))
}

// decodeResponse parses one response line for the request with id wantID.
// It returns either the result (possibly the JSON null) or the adapter's
// error object; a non-nil violation describes how the line breaks the
// protocol. It never panics.
func decodeResponse(line []byte, wantID uint64) (result json.RawMessage, rpcErr *Error, violation error) {
	if !utf8.Valid(line) {
		return nil, nil, errors.New("line is not valid UTF-8")
	}
	switch firstByte(line) {
	case '{':
	case '[':
		return nil, nil, errors.New("line is a JSON array; batch arrays are not part of this protocol")
	default:
		if !json.Valid(line) {
			return nil, nil, errors.New("malformed JSON: line is not a JSON object")
		}
		return nil, nil, errors.New("line is not a JSON object")
	}
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v) // for a descriptive message
		return nil, nil, fmt.Errorf("malformed JSON: %v", err)
	}
	env := envelope{names: [4]string{"jsonrpc", "id", "result", "error"}}
	if err := env.scan(line); err != nil {
		return nil, nil, err
	}
	w := struct{ JSONRPC, ID, Result, Error []byte }{env.vals[0], env.vals[1], env.vals[2], env.vals[3]}
	if err := checkVersion(w.JSONRPC); err != nil {
		return nil, nil, err
	}
	hasResult, hasError := w.Result != nil, w.Error != nil
	switch {
	case hasResult && hasError:
		return nil, nil, errors.New(`response has both "result" and "error"`)
	case !hasResult && !hasError:
		return nil, nil, errors.New(`response has neither "result" nor "error"`)
	}
	want := strconv.AppendUint(make([]byte, 0, 20), wantID, 10)
	switch {
	case w.ID == nil:
		return nil, nil, errors.New(`missing "id" member`)
	case string(w.ID) == "null" && hasError:
		// The adapter could not read the request's id; still the answer
		// to the oldest outstanding request.
	case !bytes.Equal(w.ID, want):
		return nil, nil, fmt.Errorf("response id %s does not match request id %d (responses must come in request order and echo the id)", snippet(w.ID), wantID)
	}
	if hasResult {
		return append(json.RawMessage(nil), w.Result...), nil, nil
	}
	e, err := decodeErrorObject(w.Error)
	if err != nil {
		return nil, nil, err
	}
	return nil, e, nil
}

func decodeErrorObject(raw []byte) (*Error, error) {
	if firstByte(raw) != '{' {
		return nil, fmt.Errorf(`"error" is %s, want an object`, snippet(raw))
	}
	env := envelope{names: [4]string{"code", "message", "data"}}
	if err := env.scan(raw); err != nil {
		return nil, fmt.Errorf(`malformed "error" object: %v`, err)
	}
	we := struct{ Code, Message, Data []byte }{env.vals[0], env.vals[1], env.vals[2]}
	if we.Code == nil {
		return nil, errors.New(`"error" object has no "code"`)
	}
	code, err := strconv.Atoi(string(we.Code))
	if err != nil {
		return nil, fmt.Errorf(`"error.code" is %s, want an integer`, snippet(we.Code))
	}
	if we.Message == nil || firstByte(we.Message) != '"' {
		return nil, errors.New(`"error" object has no "message" string`)
	}
	e := &Error{Code: code}
	if err := json.Unmarshal(we.Message, &e.Message); err != nil {
		return nil, fmt.Errorf(`malformed "error.message": %v`, err)
	}
	if we.Data != nil && string(we.Data) != "null" {
		e.Data = append(json.RawMessage(nil), we.Data...)
	}
	return e, nil
}

// checkRequired checks that the members named by names are present and not
// null in the JSON object raw.
func checkRequired(raw json.RawMessage, names []string) error {
	if firstByte(raw) != '{' {
		return fmt.Errorf("result is %s, want an object", kindOf(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for _, n := range names {
		v, ok := m[n]
		if !ok {
			return fmt.Errorf("missing required member %q", n)
		}
		if string(v) == "null" {
			return fmt.Errorf("required member %q is null", n)
		}
	}
	return nil
}

func kindOf(raw json.RawMessage) string {
	switch firstByte(raw) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "empty"
	}
	return "a number"
}

// decodeInto decodes raw into v, honouring RequiredFielder and Validator.
func decodeInto(raw json.RawMessage, v any) error {
	if v == nil {
		return nil
	}
	if rf, ok := v.(RequiredFielder); ok {
		if err := checkRequired(raw, rf.RequiredFields()); err != nil {
			return err
		}
	}
	if rm, ok := v.(*json.RawMessage); ok {
		*rm = append((*rm)[:0], raw...)
	} else if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	if val, ok := v.(Validator); ok {
		return val.Validate()
	}
	return nil
}
