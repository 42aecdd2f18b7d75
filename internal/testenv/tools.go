package testenv

import (
	"os/exec"
	"testing"
)

// Tool returns the path of an executable the test needs (ffmpeg, sox,
// whisper-cli): skipped without it, failed under CI (scripts/prereqs.sh
// installs them).
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed (scripts/prereqs.sh installs it): %v", name, err)
	}
	return p
}
