//go:build unix

package classify

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestReloaderReloadsOnSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesV("v1", "lithium"))
	r, err := NewReloader(path, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	r.SetInterval(time.Hour) // only the signal can bring the change in
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	<-r.ready
	writeRules(t, path, rulesV("v2", "lithium"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "v2 after SIGHUP", func() bool { return r.Current().Version() == "v2" })
}
