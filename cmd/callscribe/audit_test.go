package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/audit"
	"github.com/callscribe/callscribe/pipeline"
)

// auditServer starts a real embedded nats-server, appends n events about
// calls call-0..call-(n-1) to its audit trail, serves the web UI on it and
// returns the UI's URL, the public key file and the writer's log.
func auditServer(t *testing.T, n int) (webURL, pubFile string, l *audit.Log, c *pipeline.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: filepath.Join(dir, "nats"), Port: pipeline.RandomPort, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	c, err = pipeline.Connect(ctx, srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	keyFile := filepath.Join(dir, "keys", "audit.key")
	signer, err := audit.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err = audit.Open(ctx, c, audit.Config{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		user := "dr.jones"
		if i%2 == 1 {
			user = "nurse.lee"
		}
		ev := audit.Allow(audit.Actor{User: user, Role: "clinician"}, audit.ActionRead,
			audit.Object{Kind: audit.KindTranscript, ID: fmt.Sprintf("call-%d", i)}, audit.PurposeDirectCare)
		ev.Time = time.Date(2026, 3, 2, 9, i, 0, 0, time.UTC)
		if _, err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	return startWeb(t, c, l), keyFile + ".pub", l, c
}

// audit verify runs on the server for the signed-in auditor, against the
// public key and tree head the auditor keeps: a clean trail passes and its
// head is saved; an entry slipped in by someone without the key is named.
func TestAuditCLIVerify(t *testing.T) {
	url, pub, _, c := auditServer(t, 5)
	signIn(t, url, "aud")
	head := filepath.Join(t.TempDir(), "head.json")
	code, out, errOut := runCLI(t, "audit", "verify", "-public-key", pub, "-trusted-head", head, "-save-head")
	if code != 0 || !strings.Contains(out, "audit log OK: ") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	h, err := audit.ReadHead(head)
	if err != nil || h == nil || h.Size < 5 {
		t.Fatalf("saved head: %v %v", h, err)
	}
	forged := audit.Entry{Index: 2, Size: 3, Key: "0000000000000000", Event: audit.Allow(audit.Actor{User: "mallory", Role: "clinician"},
		audit.ActionRead, audit.Object{Kind: audit.KindRecording, ID: "call-2"}, audit.PurposeDirectCare)}
	data, _ := json.Marshal(forged)
	if _, err := c.JetStream().Publish(context.Background(), audit.SubjectEvents, data); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "audit", "verify", "-public-key", pub, "-trusted-head", head)
	if code != 1 || !strings.Contains(out, "TAMPERED") || !strings.Contains(out, "entry 2 (position ") || !strings.Contains(out, "inserted") {
		t.Fatalf("verify of tampered log: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "audit", "verify", "-json")
	var r audit.Report
	if code != 1 || json.Unmarshal([]byte(out), &r) != nil || r.Count(audit.Inserted) != 1 {
		t.Fatalf("verify -json with the server's key: exit %d\n%s", code, out)
	}
}

// audit query filters the trail for the signed-in auditor; a clinician is
// refused by the server in plain words.
func TestAuditCLIQuery(t *testing.T) {
	url, _, _, _ := auditServer(t, 6)
	if code, _, errOut := runCLI(t, "audit", "query", "-since", "yesterday"); code != 2 || !strings.Contains(errOut, "-since") {
		t.Fatalf("bad -since: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "audit", "frob"); code != 2 {
		t.Fatalf("audit frob: exit %d, want 2", code)
	}
	signIn(t, url, "aud")
	code, out, errOut := runCLI(t, "audit", "query", "-object", "call-3")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "#3 2026-03-02T09:03:00Z nurse.lee (clinician) read transcript/call-3 for direct-care: allowed") {
		t.Fatalf("query -object: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "audit", "query", "-by", "dr.jones", "-since", "2026-03-02T09:01:00Z", "-json")
	if code != 0 {
		t.Fatalf("query -by -since: exit %d\n%s", code, errOut)
	}
	var idx []int64
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var e audit.Entry
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("query -json: %v\n%s", err, out)
		}
		idx = append(idx, e.Index)
	}
	if fmt.Sprint(idx) != "[2 4]" {
		t.Fatalf("query -by dr.jones -since 09:01: entries %v, want [2 4]", idx)
	}
	code, out, _ = runCLI(t, "audit", "query", "-by", "aud", "-kind", "audit")
	if code != 0 || !strings.Contains(out, "aud (auditor) read audit/AUDIT for audit: allowed") {
		t.Errorf("the auditor's own reads are not in the trail:\n%s", out)
	}
	signIn(t, url, "dr.khan")
	if code, _, errOut := runCLI(t, "audit", "query"); code != 1 || !strings.Contains(errOut, "your role clinician may not read the audit trail") {
		t.Fatalf("query as clinician: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "audit", "query", "-as-role", "auditor"); code != 2 || !strings.Contains(errOut, "-as-role") {
		t.Fatalf("query -as-role auditor: exit %d, %s; want the flag refused", code, errOut)
	}
}

func TestAuditCLIHelpNamesEnvironmentVariables(t *testing.T) {
	for sub, flags := range map[string][]string{
		"verify": {"-trusted-head  [CALLSCRIBE_TRUSTED_HEAD]", "-public-key  [CALLSCRIBE_PUBLIC_KEY]", "-web-url  [CALLSCRIBE_WEB_URL]", "-api-token-file  [CALLSCRIBE_API_TOKEN_FILE]"},
		"query":  {"-object  [CALLSCRIBE_OBJECT]", "-by  [CALLSCRIBE_BY]", "-since  [CALLSCRIBE_SINCE]", "-json  [CALLSCRIBE_JSON]"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		saved := os.Stderr
		os.Stderr = w
		code, _, _ := runCLI(t, "audit", sub, "-h")
		os.Stderr = saved
		w.Close()
		usage, _ := io.ReadAll(r)
		if code != 0 {
			t.Fatalf("audit %s -h: exit %d", sub, code)
		}
		for _, f := range flags {
			if !strings.Contains(string(usage), f) {
				t.Errorf("audit %s -h lacks %q:\n%s", sub, f, usage)
			}
		}
	}
}
