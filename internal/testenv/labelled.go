package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// LabelledSet writes a tiny labelled folder in the layout of ../shared's
// calls (NAME.json with "label", NAME.txt the reference transcript): one
// clinical call whose only clinical word is sertraline, one administrative
// call. Tests of the rules guard edit rules against it.
func LabelledSet(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "guard")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for id, c := range map[string][2]string{
		"call-1": {"clinical", "He has run out of his sertraline, and it is about the appointment letter."},
		"call-2": {"administrative", "Can I move my appointment? The letter has the wrong date."},
	} {
		for ext, text := range map[string]string{".json": `{"label":"` + c[0] + `"}`, ".txt": c[1]} {
			if err := os.WriteFile(filepath.Join(dir, id+ext), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
