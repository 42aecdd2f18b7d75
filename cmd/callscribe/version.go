package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/callscribe/callscribe/transcribe/whisper"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func cmdVersion(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("version", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "callscribe %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(stdout, "%s: %s\n", s.Key, s.Value)
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/ggerganov/whisper.cpp/bindings/go" {
				fmt.Fprintf(stdout, "whisper.cpp bindings: %s\n", d.Version)
			}
		}
	}
	if whisper.Built {
		fmt.Fprintf(stdout, "whisper.cpp: built in, library %s\nsystem: %s\n", whisper.Version(), whisper.SystemInfo())
	} else {
		fmt.Fprintf(stdout, "whisper.cpp: NOT built in (this binary cannot transcribe; build with scripts/build.sh)\n")
	}
	return nil
}
