package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/callscribe/callscribe/web"
)

// cmdSAR exports everything still held about one person for the Data
// Protection Officer, through the web UI's API: the server lets only the
// DPO's sign-in export, and records each call exported before it sends the
// first byte.
func cmdSAR(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("sar", "-nhs-number N [-phone N] -out FILE.zip")
	af.register(fs, false)
	nhs := fs.String("nhs-number", "", "the person's NHS number (10 digits); required")
	phone := fs.String("phone", "", "the person's phone number: calls from it without an NHS number are listed for checking, not exported")
	out := fs.String("out", "", "zip file to write; required; refused if it exists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nhs == "" || *out == "" {
		return usageError{fmt.Errorf("sar: -nhs-number and -out are required")}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sar: %w", err)
	}
	sum, err := fetchExport(ctx, c, web.SARRequest{NHSNumber: *nhs, Phone: *phone}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(*out) // a partial export must not be handed out
		return fmt.Errorf("sar: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %s call(s) exported, %s phone-only call(s) listed for checking, %s files; see summary.txt inside\n",
		*out, sum.matched, sum.phoneOnly, sum.files)
	return nil
}

// exportCounts are the export's counts as the server reported them.
type exportCounts struct{ matched, phoneOnly, files string }

// fetchExport asks for the export and writes the zip to w.
func fetchExport(ctx context.Context, c *apiClient, req web.SARRequest, w io.Writer) (exportCounts, error) {
	resp, err := c.send(ctx, "POST", "/api/v1/sar", req)
	if err != nil {
		return exportCounts{}, err
	}
	defer resp.Body.Close()
	h := resp.Header
	sum := exportCounts{h.Get(web.HeaderSARMatched), h.Get(web.HeaderSARPhoneOnly), h.Get(web.HeaderSARFiles)}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return sum, fmt.Errorf("export cut short: %w", err)
	}
	return sum, nil
}
