package models

import "math"

// whisper.cpp computes log-mel spectrograms with the filterbank stored in the
// model file, and OpenAI's Whisper was trained with the one it ships as
// mel_filters.npz: librosa.filters.mel(sr=16000, n_fft=400, n_mels=N) with
// librosa's defaults (Slaney mel scale, htk=False, norm="slaney",
// dtype=float32). CTranslate2 checkpoints do not carry it, so the importer
// recomputes it here, step for step as librosa and numpy do, including
// numpy's rounding of each triangle to float32 before the normalisation is
// applied in float64.

// Whisper's audio front end: 16 kHz audio, 25 ms (400-sample) FFT windows.
const (
	whisperSampleRate = 16000
	whisperNFFT       = 400
)

// melFilters returns the n_mels × (1+nFFT/2) Slaney filterbank, row-major.
func melFilters(sampleRate, nFFT, nMels int) []float32 {
	nFreq := 1 + nFFT/2
	fftFreqs := make([]float64, nFreq)
	for j := range fftFreqs {
		// librosa: np.linspace(0, sr/2, nFreq), i.e. j*step with step=(sr/2)/(nFreq-1).
		fftFreqs[j] = float64(j) * (float64(sampleRate) / 2 / float64(nFreq-1))
	}
	fftFreqs[nFreq-1] = float64(sampleRate) / 2

	// Band edges: n_mels+2 points evenly spaced on the mel scale from 0 Hz to Nyquist.
	nPts := nMels + 2
	minMel, maxMel := hzToMel(0), hzToMel(float64(sampleRate)/2)
	step := (maxMel - minMel) / float64(nPts-1)
	melF := make([]float64, nPts)
	for i := range melF {
		m := float64(i)*step + minMel
		if i == nPts-1 {
			m = maxMel
		}
		melF[i] = melToHz(m)
	}

	w := make([]float32, nMels*nFreq)
	for i := 0; i < nMels; i++ {
		lowDiff := melF[i+1] - melF[i]
		highDiff := melF[i+2] - melF[i+1]
		enorm := 2.0 / (melF[i+2] - melF[i])
		for j, f := range fftFreqs {
			lower := -(melF[i] - f) / lowDiff
			upper := (melF[i+2] - f) / highDiff
			v := math.Max(0, math.Min(lower, upper))
			w[i*nFreq+j] = float32(float64(float32(v)) * enorm)
		}
	}
	return w
}

// Slaney's auditory-toolbox mel scale: linear below 1 kHz, logarithmic above.
const (
	melFSp       = 200.0 / 3
	melMinLogHz  = 1000.0
	melMinLogMel = melMinLogHz / melFSp
)

func melLogStep() float64 { return math.Log(6.4) / 27.0 }

func hzToMel(hz float64) float64 {
	if hz >= melMinLogHz {
		return melMinLogMel + math.Log(hz/melMinLogHz)/melLogStep()
	}
	return hz / melFSp
}

func melToHz(mel float64) float64 {
	if mel >= melMinLogMel {
		return melMinLogHz * math.Exp(melLogStep()*(mel-melMinLogMel))
	}
	return melFSp * mel
}
