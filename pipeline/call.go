package pipeline

import (
	"io"

	"github.com/callscribe/callscribe/call"
)

// The call's metadata and its checks live in package call, which has no
// NATS in it; these names keep the pipeline's API whole.

// MaxCallMetaBytes bounds a call's metadata document (call.MaxMetaBytes).
const MaxCallMetaBytes = call.MaxMetaBytes

// ErrInvalidCall marks metadata that fails validation (call.ErrInvalid).
var ErrInvalidCall = call.ErrInvalid

// CallMeta describes one recorded call (call.Meta).
type CallMeta = call.Meta

// ValidID reports whether id can be used as a call ID.
func ValidID(id string) bool { return call.ValidID(id) }

// ParseCallMeta reads one JSON call record strictly (call.Parse).
func ParseCallMeta(r io.Reader) (CallMeta, error) { return call.Parse(r) }

func decodeCallMeta(data []byte) (CallMeta, error) { return call.Decode(data) }

func checkPrintable(v string, max int) error { return call.CheckPrintable(v, max) }

func truncate(s string, n int) string { return call.Truncate(s, n) }
