package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
)

// guardRules sets the labelled-call guard of serve's rules reloader from
// -rules-guard (comma-separated folders): the rules in force must pass it
// now, and every reload must pass it before it goes live.
func guardRules(r *classify.Reloader, dirs string, logger zerolog.Logger) error {
	if strings.TrimSpace(dirs) == "" {
		return nil
	}
	var calls []classify.LabelledCall
	for _, dir := range strings.Split(dirs, ",") {
		cs, err := classify.LoadLabelled(strings.TrimSpace(dir), "")
		if err != nil {
			return fmt.Errorf("-rules-guard: %w", err)
		}
		calls = append(calls, cs...)
	}
	if err := r.SetGuard(classify.Guard(calls)); err != nil {
		return fmt.Errorf("rules in force: %w", err)
	}
	logger.Info().Int("guard_calls", len(calls)).Str("rules", r.Current().Version()).
		Msg("rules reloads are checked against labelled calls")
	return nil
}

func cmdRules(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		return usageError{errors.New("want: rules test [-rules FILE] [-transcripts DIR] [-holdout FILE -part dev|held-out] DIR...")}
	}
	fs := newFlags("rules test", "DIR... [flags]")
	rulesPath := fs.String("rules", "", "rules file to test; default: the embedded rules")
	transcripts := fs.String("transcripts", "", "folder of stored transcripts (NAME.json, transcribe.Transcript) of the same calls, classified as well as the reference text")
	holdout := fs.String("holdout", "", "file listing held-out calls (lines: set<TAB>id[<TAB>...]; # comments); with -part, test only one side")
	part := fs.String("part", "all", "with -holdout: dev (calls not held out), held-out, or all")
	quiet := fs.Bool("q", false, "print scores and misclassified call IDs with their rules, not full explanations")
	if err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("want one or more labelled folders")}
	}
	c, err := classify.Default()
	if *rulesPath != "" {
		c, err = classify.Load(*rulesPath)
	}
	if err != nil {
		return err
	}
	held, err := readHoldout(*holdout)
	if err != nil {
		return err
	}
	if *part != "all" && *part != "dev" && *part != "held-out" {
		return usageError{fmt.Errorf("-part %q: want dev, held-out or all", *part)}
	}
	var calls []classify.LabelledCall
	for _, dir := range fs.Args() {
		cs, err := classify.LoadLabelled(dir, *transcripts)
		if err != nil {
			return err
		}
		for _, call := range cs {
			isHeld := held[call.Set+"/"+call.ID]
			if (*part == "dev" && isHeld) || (*part == "held-out" && !isHeld) {
				continue
			}
			calls = append(calls, call)
		}
	}
	rep := classify.Check(c, calls)
	writeRulesReport(stdout, rep, *part, *quiet)
	return rep.Err()
}

// readHoldout reads a held-out list (classify/testdata/holdout.tsv).
func readHoldout(path string) (map[string]bool, error) {
	held := map[string]bool{}
	if path == "" {
		return held, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: %q: want set<TAB>id", path, line)
		}
		held[f[0]+"/"+f[1]] = true
	}
	return held, sc.Err()
}

// Targets of issue 16, from reference text.
const (
	goalClinicalProposed = 1.00
	goalAdminAdmin       = 0.95
)

func writeRulesReport(w io.Writer, rep classify.CheckReport, part string, quiet bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "rules %s", rep.RulesVersion)
	if part != "all" {
		fmt.Fprintf(&b, ", %s part only", part)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-8s %-17s %6s %22s %22s %22s\n", "set", "source", "calls", "clinical proposed", "admin → administrative", "clinical → admin")
	for _, s := range rep.Sets {
		ct, at := s.Total(classify.Clinical), s.Total(classify.Administrative)
		fmt.Fprintf(&b, "%-8s %-17s %6d %14d/%d = %.2f %14d/%d = %.2f %22d\n", s.Set, s.Source, ct+at,
			s.Counts[classify.Clinical][classify.Clinical], ct, s.Rate(classify.Clinical, classify.Clinical),
			s.Counts[classify.Administrative][classify.Administrative], at, s.Rate(classify.Administrative, classify.Administrative),
			s.Counts[classify.Clinical][classify.Administrative])
	}
	for _, s := range rep.Sets {
		if s.Source != classify.SourceText {
			continue
		}
		check := func(name string, v, target float64, ok bool) {
			verdict := "met"
			if !ok {
				verdict = "NOT MET"
			}
			fmt.Fprintf(&b, "goal %s %s: %.2f (target %.2f): %s\n", s.Set, name, v, target, verdict)
		}
		bad := s.Counts[classify.Clinical][classify.Administrative]
		check("clinical labelled administrative (count)", float64(bad), 0, bad == 0)
		cp := s.Rate(classify.Clinical, classify.Clinical)
		check("clinical proposed", cp, goalClinicalProposed, cp >= goalClinicalProposed-1e-9)
		aa := s.Rate(classify.Administrative, classify.Administrative)
		check("administrative labelled administrative", aa, goalAdminAdmin, aa >= goalAdminAdmin-1e-9)
	}
	if len(rep.Misclassified) == 0 {
		b.WriteString("misclassified: none\n")
	}
	for _, m := range rep.Misclassified {
		hard := ""
		if m.Hard {
			hard = " (hard)"
		}
		fmt.Fprintf(&b, "\nmisclassified %s/%s%s [%s]: %s labelled %s; rules fired: %s\n", m.Set, m.ID, hard, m.Source,
			m.Truth, m.Decision.Label, strings.Join(m.Decision.FiredRules(), ", "))
		if !quiet {
			for _, r := range m.Decision.Reasons {
				fmt.Fprintf(&b, "  reason: %s\n", r)
			}
			for _, h := range m.Decision.Hits {
				if h.Class == classify.Clinical {
					fmt.Fprintf(&b, "  hit: %s\n", h)
				}
			}
		}
	}
	if err := rep.Err(); err != nil {
		fmt.Fprintf(&b, "\nREFUSED: %v\n", err)
	}
	io.WriteString(w, b.String())
}
