package models

import (
	"math"
	"strconv"
	"testing"
)

// Reference entries of OpenAI's mel_filters.npz ("mel_80"), as float32
// printed in full; the computed filterbank must reproduce them bit for bit.
func TestMelFiltersMatchOpenAIValues(t *testing.T) {
	w := melFilters(whisperSampleRate, whisperNFFT, 80)
	if len(w) != 80*201 {
		t.Fatalf("%d values, want 80×201", len(w))
	}
	ref := []struct {
		row, col int
		val      string
	}{
		{0, 1, "0.02486259490251541"},
		{1, 1, "0.001990821911022067"},
		{1, 2, "0.022871771827340126"},
		{2, 2, "0.003981643822044134"},
		{2, 3, "0.02088095061480999"},
		{64, 105, "0.0013131388695910573"},
		{64, 108, "0.0057407706044614315"},
		{79, 186, "0.000366741674952209"},
		{79, 190, "0.0022320549469441175"},
		{79, 199, "0.0004487590049393475"},
	}
	for _, r := range ref {
		v, _ := strconv.ParseFloat(r.val, 32)
		if got := w[r.row*201+r.col]; got != float32(v) {
			t.Errorf("filter[%d][%d] = %.10g, want %s", r.row, r.col, got, r.val)
		}
	}
	for _, z := range [][2]int{{0, 0}, {0, 2}, {79, 185}, {79, 200}, {40, 0}} {
		if got := w[z[0]*201+z[1]]; got != 0 {
			t.Errorf("filter[%d][%d] = %g, want 0 (outside the triangle)", z[0], z[1], got)
		}
	}
}

// Properties of a Slaney-normalised triangular filterbank.
func TestMelFilterProperties(t *testing.T) {
	for _, nMels := range []int{80, 128} {
		w := melFilters(whisperSampleRate, whisperNFFT, nMels)
		prevPeak := -1
		for i := 0; i < nMels; i++ {
			row := w[i*201 : (i+1)*201]
			peak, sum := 0, 0.0
			for j, v := range row {
				if v < 0 || math.IsNaN(float64(v)) {
					t.Fatalf("n_mels=%d filter %d bin %d = %g", nMels, i, j, v)
				}
				if v > row[peak] {
					peak = j
				}
				sum += float64(v)
			}
			if sum == 0 {
				t.Fatalf("n_mels=%d filter %d is empty", nMels, i)
			}
			if peak < prevPeak {
				t.Errorf("n_mels=%d filter %d peaks at bin %d, before filter %d's %d", nMels, i, peak, i-1, prevPeak)
			}
			prevPeak = peak
			// Slaney normalisation gives every triangle unit area in Hz;
			// the wide high ones are sampled finely enough (40 Hz bins) to show it.
			if i >= nMels*3/4 {
				if area := sum * 40; math.Abs(area-1) > 0.1 {
					t.Errorf("n_mels=%d filter %d area %.4f, want about 1", nMels, i, area)
				}
			}
		}
	}
}

func TestSlaneyMelScale(t *testing.T) {
	if got := hzToMel(1000); got != 15 {
		t.Errorf("1000 Hz = %v mel, want 15", got)
	}
	if got := hzToMel(200); math.Abs(got-3) > 1e-12 {
		t.Errorf("200 Hz = %v mel, want 3", got)
	}
	for _, hz := range []float64{0, 37, 999, 1000, 4321, 8000} {
		if back := melToHz(hzToMel(hz)); math.Abs(back-hz) > 1e-9 {
			t.Errorf("%v Hz -> mel -> %v Hz", hz, back)
		}
	}
}
