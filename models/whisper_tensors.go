package models

import (
	"fmt"
	"strconv"
	"strings"
)

// whisperShapes lists every tensor whisper.cpp's loader creates for a model
// with these dimensions, by name, with its shape in numpy order (outermost
// first). The loader refuses a file that lacks one, has an extra one or has
// one of another shape, so both the importer and Check hold files to it.
func whisperShapes(h Hparams) map[string][]int {
	as, ts := int(h.NAudioState), int(h.NTextState)
	m := map[string][]int{
		"encoder.positional_embedding":   {int(h.NAudioCtx), as},
		"encoder.conv1.weight":           {as, int(h.NMels), 3},
		"encoder.conv1.bias":             {as, 1},
		"encoder.conv2.weight":           {as, as, 3},
		"encoder.conv2.bias":             {as, 1},
		"encoder.ln_post.weight":         {as},
		"encoder.ln_post.bias":           {as},
		"decoder.positional_embedding":   {int(h.NTextCtx), ts},
		"decoder.token_embedding.weight": {int(h.NVocab), ts},
		"decoder.ln.weight":              {ts},
		"decoder.ln.bias":                {ts},
	}
	block := func(prefix string, s int, cross bool) {
		m[prefix+"mlp_ln.weight"] = []int{s}
		m[prefix+"mlp_ln.bias"] = []int{s}
		m[prefix+"mlp.0.weight"] = []int{4 * s, s}
		m[prefix+"mlp.0.bias"] = []int{4 * s}
		m[prefix+"mlp.2.weight"] = []int{s, 4 * s}
		m[prefix+"mlp.2.bias"] = []int{s}
		attns := []string{"attn"}
		if cross {
			attns = append(attns, "cross_attn")
		}
		for _, a := range attns {
			m[prefix+a+"_ln.weight"] = []int{s}
			m[prefix+a+"_ln.bias"] = []int{s}
			m[prefix+a+".query.weight"] = []int{s, s}
			m[prefix+a+".query.bias"] = []int{s}
			m[prefix+a+".key.weight"] = []int{s, s} // Whisper's keys have no bias
			m[prefix+a+".value.weight"] = []int{s, s}
			m[prefix+a+".value.bias"] = []int{s}
			m[prefix+a+".out.weight"] = []int{s, s}
			m[prefix+a+".out.bias"] = []int{s}
		}
	}
	for i := 0; i < int(h.NAudioLayer); i++ {
		block("encoder.blocks."+strconv.Itoa(i)+".", as, false)
	}
	for i := 0; i < int(h.NTextLayer); i++ {
		block("decoder.blocks."+strconv.Itoa(i)+".", ts, true)
	}
	return m
}

// whisperF32 reports whether whisper.cpp keeps a tensor in float32 in an
// f16 model: vectors (biases, layer norms), the conv biases (stored as
// [n,1]) and the positional embeddings. Everything else is float16.
func whisperF32(name string, shape []int) bool {
	switch name {
	case "encoder.conv1.bias", "encoder.conv2.bias", "encoder.positional_embedding", "decoder.positional_embedding":
		return true
	}
	return len(shape) < 2
}

// ct2Rule says where one CTranslate2 variable goes in a whisper.cpp file.
// CTranslate2 fuses attention projections: self-attention's query, key and
// value are one [3n, n] matrix, cross-attention's key and value one [2n, n].
// Targets lists the names of the equal row blocks, in order; an empty name
// is a block that must be all zeros and is dropped (the key bias, which
// Whisper does not have and CTranslate2 fills with zeros).
type ct2Rule struct {
	Targets []string
	Column  bool // a vector stored as an [n,1] matrix (the conv biases)
}

// ct2WhisperRule maps a CTranslate2 Whisper variable name to its rule; ok is
// false for names that are not weights whisper.cpp uses.
func ct2WhisperRule(name string) (r ct2Rule, ok bool) {
	switch name {
	case "encoder/conv1/weight":
		return ct2Rule{Targets: []string{"encoder.conv1.weight"}}, true
	case "encoder/conv1/bias":
		return ct2Rule{Targets: []string{"encoder.conv1.bias"}, Column: true}, true
	case "encoder/conv2/weight":
		return ct2Rule{Targets: []string{"encoder.conv2.weight"}}, true
	case "encoder/conv2/bias":
		return ct2Rule{Targets: []string{"encoder.conv2.bias"}, Column: true}, true
	case "encoder/position_encodings/encodings":
		return ct2Rule{Targets: []string{"encoder.positional_embedding"}}, true
	case "encoder/layer_norm/gamma":
		return ct2Rule{Targets: []string{"encoder.ln_post.weight"}}, true
	case "encoder/layer_norm/beta":
		return ct2Rule{Targets: []string{"encoder.ln_post.bias"}}, true
	case "decoder/embeddings/weight":
		return ct2Rule{Targets: []string{"decoder.token_embedding.weight"}}, true
	case "decoder/position_encodings/encodings":
		return ct2Rule{Targets: []string{"decoder.positional_embedding"}}, true
	case "decoder/layer_norm/gamma":
		return ct2Rule{Targets: []string{"decoder.ln.weight"}}, true
	case "decoder/layer_norm/beta":
		return ct2Rule{Targets: []string{"decoder.ln.bias"}}, true
	}
	// The rest are per-block: {encoder,decoder}/layer_N/MODULE/SUB/PARAM.
	f := strings.Split(name, "/")
	if len(f) != 5 || (f[0] != "encoder" && f[0] != "decoder") {
		return r, false
	}
	layer, isLayer := ct2LayerIndex(f[1])
	if !isLayer {
		return r, false
	}
	side, module, sub, param := f[0], f[2], f[3], f[4]
	p := side + ".blocks." + strconv.Itoa(layer) + "."
	suffix, okParam := map[string]string{"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}[param]
	if !okParam {
		return r, false
	}
	isNorm := sub == "layer_norm"
	if isNorm != (param == "gamma" || param == "beta") {
		return r, false
	}
	one := func(t string) (ct2Rule, bool) { return ct2Rule{Targets: []string{p + t + "." + suffix}}, true }
	switch module {
	case "ffn":
		switch sub {
		case "layer_norm":
			return one("mlp_ln")
		case "linear_0":
			return one("mlp.0")
		case "linear_1":
			return one("mlp.2")
		}
	case "self_attention":
		switch sub {
		case "layer_norm":
			return one("attn_ln")
		case "linear_0":
			if param == "weight" {
				return ct2Rule{Targets: []string{p + "attn.query.weight", p + "attn.key.weight", p + "attn.value.weight"}}, true
			}
			return ct2Rule{Targets: []string{p + "attn.query.bias", "", p + "attn.value.bias"}}, true
		case "linear_1":
			return one("attn.out")
		}
	case "attention":
		if side != "decoder" {
			return r, false
		}
		switch sub {
		case "layer_norm":
			return one("cross_attn_ln")
		case "linear_0":
			return one("cross_attn.query")
		case "linear_1":
			if param == "weight" {
				return ct2Rule{Targets: []string{p + "cross_attn.key.weight", p + "cross_attn.value.weight"}}, true
			}
			return ct2Rule{Targets: []string{"", p + "cross_attn.value.bias"}}, true
		case "linear_2":
			return one("cross_attn.out")
		}
	}
	return r, false
}

// ct2LayerCount counts encoder/layer_N or decoder/layer_N blocks among the
// variable names, insisting they run 0..N-1 without gaps.
func ct2LayerCount(names []string, side string) (int, error) {
	seen := map[int]bool{}
	maxL := -1
	for _, n := range names {
		f := strings.SplitN(n, "/", 3)
		if len(f) == 3 && f[0] == side {
			if l, ok := ct2LayerIndex(f[1]); ok {
				seen[l] = true
				maxL = max(maxL, l)
			}
		}
	}
	for l := 0; l <= maxL; l++ {
		if !seen[l] {
			return 0, fmt.Errorf("%s has layers up to %d but no layer_%d", side, maxL, l)
		}
	}
	if maxL < 0 {
		return 0, fmt.Errorf("no %s/layer_N variables", side)
	}
	return maxL + 1, nil
}

// ct2LayerIndex parses "layer_N".
func ct2LayerIndex(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, "layer_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}
