// Command callscribe transcribes and classifies recorded calls to an NHS
// mental-health Single Point of Access line. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the pipeline: embedded NATS, transcription workers, results", cmdServe},
		"ingest":     {"submit recordings to a running pipeline", cmdIngest},
		"watch":      {"ingest recordings (with metadata sidecars) as a call recorder drops them in a folder", cmdWatch},
		"status":     {"show a call's state (through the web UI, as the signed-in person)", cmdStatus},
		"login":      {"sign in to the web UI for status, sar, audit and object; keeps a token (0600)", cmdLogin},
		"logout":     {"revoke the token 'login' kept and delete it", cmdLogout},
		"transcribe": {"transcribe and classify one file, no NATS", cmdTranscribe},
		"classify":   {"classify a transcript (text or JSON) from a file or stdin", cmdClassify},
		"eval":       {"measure the classifier on labelled calls, from reference text and through Whisper", cmdEval},
		"rules":      {"rules test: run a rules file over labelled calls; exit 1 if it labels any clinical call administrative", cmdRules},
		"models":     {"list, verify, download or import Whisper models", cmdModels},
		"bench":      {"measure throughput over a folder of recordings, optionally against whisper-cli", cmdBench},
		"version":    {"print version and build information", cmdVersion},
		"object":     {"record a caller's objection to recording: erase the call everywhere (clinician, admin)", cmdObject},
		"nats-conf":  {"print a nats-server authorization block with the roles' permissions, for a NATS cluster", cmdNATSConf},
		"health":     {"ask a running serve whether it is healthy (container health check)", cmdHealth},
		"sar":        {"subject access: export everything held about one person to a zip file (DPO)", cmdSAR},
		"audit":      {"verify the tamper-evident audit trail, or query who touched what (auditor, DPO)", cmdAudit},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: callscribe <command> [flags]\n\ncommands:\n")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'callscribe <command> -h' for a command's flags. Every flag can also be set\nwith an environment variable CALLSCRIBE_<FLAG> (upper case, '-' as '_').\n")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "callscribe: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, args[1:], stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "callscribe %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "callscribe %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError marks a mistake in how a command was called (exit status 2).
type usageError struct{ error }
