package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// newFlags makes a command's flag set. Its usage text names the environment
// variable that overrides each flag.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: callscribe %s %s\n\nflags (environment variable in brackets):\n", name, synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" {
				def = fmt.Sprintf(" (default %q)", f.DefValue)
			}
			fmt.Fprintf(w, "  -%s  [%s]\n      %s%s\n", f.Name, envName(f.Name), f.Usage, def)
		})
	}
	return fs
}

// envName is the environment variable that overrides a flag.
func envName(flagName string) string {
	return "CALLSCRIBE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags applies environment overrides, then the command line (which
// wins). A malformed environment value is an error, not silently ignored.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(f.Name)); ok && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = usageError{fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)}
			}
		}
	})
	if err != nil {
		return err
	}
	if e := fs.Parse(args); e != nil {
		if e == flag.ErrHelp {
			return e
		}
		return usageError{e}
	}
	return nil
}

// flagSet reports whether a flag was given on the command line or through
// its environment variable, as opposed to left at its default.
func flagSet(fs *flag.FlagSet, name string) bool {
	if _, ok := os.LookupEnv(envName(name)); ok {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
