package pipeline_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Only pipeline speaks NATS: no other package's product code imports
// nats.go or nats-server, or reaches through Client.JetStream or
// Client.Conn. Tests may (they play hostile clients). Positive control: the
// walk finds pipeline's own imports.
func TestOnlyPipelineSpeaksNATS(t *testing.T) {
	root := filepath.Join("..")
	ownImports := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		inPipeline := filepath.Dir(path) == filepath.Join(root, "pipeline")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if !strings.Contains(imp.Path.Value, "github.com/nats-io/") {
				continue
			}
			if inPipeline {
				ownImports++
				continue
			}
			t.Errorf("%s imports %s: only pipeline speaks NATS", path, imp.Path.Value)
		}
		if !inPipeline {
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, hatch := range []string{".JetStream()", ".Conn()"} {
				if strings.Contains(string(src), hatch) {
					t.Errorf("%s calls %s: only pipeline speaks NATS", path, hatch)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ownImports == 0 {
		t.Fatal("positive control: no NATS import found in pipeline itself; the walk sees nothing")
	}
}
