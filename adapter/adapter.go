// Package adapter implements the transport side of the paycert adapter
// protocol, version "paycert-adapter/1": the language-neutral contract
// through which paycert reaches a host-side implementation under test (IUT).
//
// The protocol is newline-delimited JSON-RPC 2.0 over either a TCP
// connection (adapter://HOST:PORT) or the standard input and output of a
// program that paycert starts (adapter-exec:COMMAND ARGS). See
// docs/adapter-protocol.md for the normative description.
//
// The package provides:
//
//   - Client (Dial, NewClient, Pipe): paycert's side. Call is the simple
//     synchronous form; Go and Batch pipeline many requests over one
//     connection for throughput.
//   - Server: a helper for writing adapters in Go (paycert's own reference
//     IUTs are built on it), with ServeConn, Serve and ServeStdio.
//   - Error and the Code* constants: the JSON-RPC error object, including the
//     application codes that signal a business refusal.
//
// Error classification for callers of Client:
//
//   - errors.As(err, new(*Error)): the adapter answered with an error object;
//     IsRefusal(err) tells a business refusal (codes 1000-1999) apart.
//   - errors.Is(err, ErrProtocol): the adapter violated the protocol
//     (malformed line, wrong id, missing result field, ...).
//   - errors.Is(err, ErrBroken): the connection can no longer be used
//     (timeout, adapter exited, protocol framing violation); Dial again.
//   - errors.Is(err, context.DeadlineExceeded): the call timed out.
package adapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Protocol is the protocol version this package implements. It is exchanged
// in hello and must match exactly.
const Protocol = "paycert-adapter/1"

// MaxLineSize is the largest accepted line, in bytes, excluding the newline.
const MaxLineSize = 1 << 20

// DefaultCallTimeout is the per-call timeout applied when the caller's
// context has no deadline.
const DefaultCallTimeout = 10 * time.Second

// DefaultWindow is the default bound on requests in flight (see WithWindow).
const DefaultWindow = 256

// DefaultCloseTimeout is how long Close waits for an adapter-exec program to
// exit after its standard input is closed before killing it.
const DefaultCloseTimeout = 2 * time.Second

// StderrTailSize is how many trailing bytes of an adapter-exec program's
// standard error are kept as evidence (see Client.Stderr).
const StderrTailSize = 64 << 10

// Standard JSON-RPC 2.0 error codes.
const (
	CodeParseError     = -32700 // the line is not valid JSON
	CodeInvalidRequest = -32600 // valid JSON but not a valid request object
	CodeMethodNotFound = -32601 // the method is not implemented by the adapter
	CodeInvalidParams  = -32602 // the params do not fit the method
	CodeInternalError  = -32603 // the adapter failed internally
	CodeBusy           = -32000 // the adapter serves one session at a time and another is active
)

// Application error codes. They signal a business refusal by the IUT: the
// adapter works, and the IUT said no. Use IsRefusal to test for the range.
const (
	CodeDeclined  = 1001 // the request was understood and refused
	CodeExpired   = 1002 // the object (token, key, cryptogram, ...) has expired
	CodeExhausted = 1003 // a counter or quota is used up (e.g. DUKPT key counter)
	CodeSuspended = 1004 // the object exists but is suspended
	CodeNotFound  = 1005 // unknown token, key or other object
	CodeReplay    = 1006 // the request repeats one already seen (replay detected)
)

// Error is a JSON-RPC error object as sent by an adapter. A Client returns
// it wrapped with the method name; use errors.As to retrieve it. A Handler
// may return an *Error (possibly wrapped) to send it as is.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s (%d)", CodeText(e.Code), e.Code)
	}
	return fmt.Sprintf("%s (%d): %s", CodeText(e.Code), e.Code, e.Message)
}

// CodeText returns a short English name for an error code.
func CodeText(code int) string {
	switch code {
	case CodeParseError:
		return "parse error"
	case CodeInvalidRequest:
		return "invalid request"
	case CodeMethodNotFound:
		return "method not found"
	case CodeInvalidParams:
		return "invalid params"
	case CodeInternalError:
		return "internal error"
	case CodeBusy:
		return "busy"
	case CodeDeclined:
		return "declined"
	case CodeExpired:
		return "expired"
	case CodeExhausted:
		return "exhausted"
	case CodeSuspended:
		return "suspended"
	case CodeNotFound:
		return "not found"
	case CodeReplay:
		return "replay"
	}
	switch {
	case code >= -32099 && code <= -32000:
		return "server error"
	case code >= 1000 && code <= 1999:
		return "refusal"
	}
	return "error"
}

// IsRefusal reports whether err carries an adapter *Error with an
// application code (1000-1999), i.e. a business refusal rather than a
// broken or non-conforming adapter.
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code >= 1000 && e.Code <= 1999
}

// ErrorCode returns the code of the adapter *Error carried by err, if any.
func ErrorCode(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return 0, false
}

// Sentinel errors, matched with errors.Is.
var (
	// ErrProtocol marks a violation of the protocol by the adapter.
	ErrProtocol = errors.New("adapter: protocol violation")
	// ErrBroken marks an error after which the connection cannot be used.
	ErrBroken = errors.New("adapter: connection broken")
	// ErrClosed is returned for calls on a closed Client.
	ErrClosed = errors.New("adapter: client closed")
	// ErrBadURI is wrapped by Dial's errors for a malformed adapter URI:
	// a usage error, not an unreachable IUT.
	ErrBadURI = errors.New("adapter: bad URI")
	// ErrVersionMismatch is returned by Dial when hello reports another
	// protocol version.
	ErrVersionMismatch = errors.New("adapter: protocol version mismatch")
)

// clientError is the error type for failures detected by the client. Its
// message is complete; Unwrap exposes the sentinels it belongs to.
type clientError struct {
	msg  string
	wrap []error
}

func (e *clientError) Error() string   { return e.msg }
func (e *clientError) Unwrap() []error { return e.wrap }

func newError(wrap []error, format string, args ...any) error {
	return &clientError{msg: fmt.Sprintf(format, args...), wrap: wrap}
}

// Validator may be implemented by a result type; Call invokes Validate after
// decoding and reports a failure as a protocol violation naming the method.
type Validator interface {
	Validate() error
}

// RequiredFielder may be implemented by a result type to declare JSON
// members that must be present and non-null in the result object. Unlike
// Validate, this distinguishes an absent member from a zero value.
type RequiredFielder interface {
	RequiredFields() []string
}

// ClientInfo identifies paycert in hello.
type ClientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HelloParams are the params of the hello call.
type HelloParams struct {
	Protocol string     `json:"protocol"`
	Client   ClientInfo `json:"client"`
}

// Implementation identifies the IUT behind an adapter.
type Implementation struct {
	Vendor  string `json:"vendor"`
	Product string `json:"product"`
	Version string `json:"version"`
}

// HelloResult is the result of the hello call.
type HelloResult struct {
	Protocol       string         `json:"protocol"`
	Roles          []string       `json:"roles"`
	Capabilities   []string       `json:"capabilities"`
	Implementation Implementation `json:"implementation"`
}

// RequiredFields implements RequiredFielder.
func (h *HelloResult) RequiredFields() []string {
	return []string{"protocol", "roles", "capabilities", "implementation"}
}

// Validate checks the fields of a hello result other than the protocol
// version (which Dial checks first, to report a mismatch clearly).
func (h *HelloResult) Validate() error {
	if h.Protocol == "" {
		return errors.New(`"protocol" is empty`)
	}
	if len(h.Roles) == 0 {
		return errors.New(`"roles" is empty: an adapter must declare at least one role`)
	}
	for _, r := range h.Roles {
		if r == "" {
			return errors.New(`"roles" contains an empty string`)
		}
	}
	for _, c := range h.Capabilities {
		if c == "" {
			return errors.New(`"capabilities" contains an empty string`)
		}
	}
	im := h.Implementation
	switch {
	case im.Vendor == "":
		return errors.New(`"implementation.vendor" is empty`)
	case im.Product == "":
		return errors.New(`"implementation.product" is empty`)
	case im.Version == "":
		return errors.New(`"implementation.version" is empty`)
	}
	return nil
}

// HasRole reports whether the adapter declared role.
func (h HelloResult) HasRole(role string) bool { return slices.Contains(h.Roles, role) }

// HasCapability reports whether the adapter declared capability.
func (h HelloResult) HasCapability(capability string) bool {
	return slices.Contains(h.Capabilities, capability)
}

func (h HelloResult) clone() HelloResult {
	h.Roles = slices.Clone(h.Roles)
	h.Capabilities = slices.Clone(h.Capabilities)
	return h
}
