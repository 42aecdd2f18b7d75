package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/internal/testenv"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// Every command explains its flags with -h, naming each one's environment
// variable. Flag usage goes to the process's stderr, so it is captured there.
func TestHelpNamesFlagsAndTheirEnvironmentVariables(t *testing.T) {
	want := map[string][]string{
		"serve":      {"-model  [CALLSCRIBE_MODEL]", "-workers  [CALLSCRIBE_WORKERS]", "-nats  [CALLSCRIBE_NATS]", "-data  [CALLSCRIBE_DATA]"},
		"transcribe": {"-model  [CALLSCRIBE_MODEL]", "-format  [CALLSCRIBE_FORMAT]", "-threads  [CALLSCRIBE_THREADS]"},
		"ingest":     {"-nats  [CALLSCRIBE_NATS]", "-meta  [CALLSCRIBE_META]", "-wait  [CALLSCRIBE_WAIT]"},
		"status":     {"-web-url  [CALLSCRIBE_WEB_URL]", "-api-token-file  [CALLSCRIBE_API_TOKEN_FILE]", "-format  [CALLSCRIBE_FORMAT]", "-all  [CALLSCRIBE_ALL]"},
		"login":      {"-web-url  [CALLSCRIBE_WEB_URL]", "-user  [CALLSCRIBE_USER]", "-token-stdin  [CALLSCRIBE_TOKEN_STDIN]", "CALLSCRIBE_PASSWORD"},
		"logout":     {"-api-token-file  [CALLSCRIBE_API_TOKEN_FILE]"},
		"sar":        {"-nhs-number  [CALLSCRIBE_NHS_NUMBER]", "-out  [CALLSCRIBE_OUT]", "-web-url  [CALLSCRIBE_WEB_URL]"},
		"object":     {"-reason  [CALLSCRIBE_REASON]", "-web-url  [CALLSCRIBE_WEB_URL]"},
		"classify":   {"-rules  [CALLSCRIBE_RULES]"},
	}
	for name, flags := range want {
		t.Run(name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			saved := os.Stderr
			os.Stderr = w
			code, _, _ := runCLI(t, name, "-h")
			os.Stderr = saved
			w.Close()
			usage, _ := io.ReadAll(r)
			if code != 0 {
				t.Fatalf("%s -h: exit %d", name, code)
			}
			for _, f := range flags {
				if !strings.Contains(string(usage), f) {
					t.Errorf("%s -h lacks %q:\n%s", name, f, usage)
				}
			}
		})
	}
}

func TestUnknownCommandAndMissingArguments(t *testing.T) {
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "transcribe"); code != 2 || !strings.Contains(errOut, "no recording given") {
		t.Errorf("transcribe without a file: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "status"); code != 2 || !strings.Contains(errOut, "no call ID") {
		t.Errorf("status without an ID: exit %d, %q", code, errOut)
	}
}

// An environment variable overrides a flag's default; a bad value is refused.
func TestEnvironmentOverridesFlags(t *testing.T) {
	t.Setenv("CALLSCRIBE_FORMAT", "yaml")
	code, _, errOut := runCLI(t, "transcribe", "x.wav")
	if code != 2 || !strings.Contains(errOut, `-format "yaml"`) {
		t.Fatalf("CALLSCRIBE_FORMAT=yaml: exit %d, %q; want the env value used and refused", code, errOut)
	}
	t.Setenv("CALLSCRIBE_FORMAT", "")
	t.Setenv("CALLSCRIBE_THREADS", "many")
	code, _, errOut = runCLI(t, "transcribe", "x.wav")
	if code != 2 || !strings.Contains(errOut, "CALLSCRIBE_THREADS") {
		t.Fatalf("CALLSCRIBE_THREADS=many: exit %d, %q", code, errOut)
	}
}

// A binary built without whisper.cpp refuses to transcribe and says how to
// get one that can.
func TestTranscribeRefusesWithoutWhisper(t *testing.T) {
	if whisper.Built {
		t.Skip("this test binary has whisper.cpp; the refusal is tested in the plain build")
	}
	code, _, errOut := runCLI(t, "transcribe", testenv.Shared(t, "speech/jfk/jfk.wav"))
	if code != 1 || !strings.Contains(errOut, "built without whisper.cpp") || !strings.Contains(errOut, "scripts/build.sh") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
}

func TestClassifyCommandOnAReferenceTranscript(t *testing.T) {
	code, out, errOut := runCLI(t, "classify", "-format", "text", testenv.Shared(t, "calls/dev/call-0003.txt"))
	if code != 0 || !strings.Contains(out, "label: clinical") || !strings.Contains(out, "clin.risk.suicide") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// A file the decoder refuses is refused before any model is looked for or
// loaded: here the model does not exist, so reaching it would say so
// instead. The positive control is the test above: a valid WAV does reach
// the engine.
func TestTranscribeRefusesBadAudioBeforeTheModel(t *testing.T) {
	mp3 := filepath.Join(t.TempDir(), "call.mp3")
	if err := os.WriteFile(mp3, append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), make([]byte, 512)...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "transcribe", "-model", filepath.Join(t.TempDir(), "absent.bin"), mp3)
	if code != 1 || !strings.Contains(errOut, "not a RIFF/WAVE file") || !strings.Contains(errOut, "call.mp3") {
		t.Fatalf("exit %d, %q: want the file refused for its format", code, errOut)
	}
	if strings.Contains(errOut, "absent.bin") || strings.Contains(errOut, "built without whisper.cpp") {
		t.Fatalf("the model or engine was reached before the file was checked: %q", errOut)
	}
}
