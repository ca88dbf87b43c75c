package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// scanMembers calls fn for each member of the JSON object in data, which
// must be valid JSON (json.Valid) starting with '{' after optional
// whitespace. key is the member name (unescaped), val the raw value; both
// alias data. It exists because the envelope decoding is on the hot path of
// pipelining and reflection-based decoding dominated its cost.
func scanMembers(data []byte, fn func(key, val []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errors.New("not a JSON object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		end := skipString(data, i)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(data[i:end], &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		vend := skipValue(data, i)
		if err := fn(key, data[i:vend]); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if i >= len(data) || data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // ','
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at data[i] == '"'.
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// skipValue returns the index after the valid JSON value starting at i.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// envelope collects the known members of a JSON-RPC object, rejecting
// duplicates. Member names are matched exactly (case-sensitively).
type envelope struct {
	names [4]string
	vals  [4][]byte // nil: absent
}

func (e *envelope) scan(data []byte) error {
	return scanMembers(data, func(key, val []byte) error {
		for n, name := range e.names {
			if name != "" && string(key) == name {
				if e.vals[n] != nil {
					return fmt.Errorf("duplicate member %q", name)
				}
				e.vals[n] = val
				return nil
			}
		}
		return nil
	})
}
