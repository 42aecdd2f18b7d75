package transcribe

import "math"

// Whisper hallucinates fluent text ("Thank you for watching") when given
// silence or line hiss, so the engine measures the level first and skips
// audio with nothing in it. These are deliberately simple energy measures,
// not a speech detector: they answer "is anything here at all?".

// QuietDBFS is a frame level below which nothing is worth transcribing. On
// the 200 shared recordings the quietest talker (a spoken digit at −47 dBFS
// overall) still has a third of its 30 ms frames at or above it, while
// digital silence and the gaps between turns in the noise-free calls sit
// below it (the calls with background noise stay above it throughout).
const QuietDBFS = -60.0

// SpeechFrame is the frame length SpeechActivity judges: 30 ms, about one
// syllable's worth, long enough to average over pitch periods.
const SpeechFrame = 30 * SampleRate / 1000

// RMSdBFS is the root-mean-square level of Samples in dB relative to full
// scale, where a full-scale square wave is 0 dBFS and a full-scale sine
// −3.01 dBFS. Empty or all-zero audio is −Inf.
func (a *Audio) RMSdBFS() float64 {
	return rmsDBFS(a.Samples)
}

// SpeechActivity is the fraction (0–1) of 30 ms frames of Samples whose RMS
// level is at least thresholdDBFS. A final partial frame counts only when the
// audio is shorter than one frame. QuietDBFS is a threshold for "is anyone
// talking at all"; a line hiss above the threshold counts as activity, which
// is why this is a cheap first check and not a speech detector.
func (a *Audio) SpeechActivity(thresholdDBFS float64) float64 {
	s := a.Samples
	if len(s) == 0 {
		return 0
	}
	if len(s) < SpeechFrame {
		if rmsDBFS(s) >= thresholdDBFS {
			return 1
		}
		return 0
	}
	frames, active := 0, 0
	for i := 0; i+SpeechFrame <= len(s); i += SpeechFrame {
		frames++
		if rmsDBFS(s[i:i+SpeechFrame]) >= thresholdDBFS {
			active++
		}
	}
	return float64(active) / float64(frames)
}

// rmsDBFS accumulates in float64 so hours of audio do not lose precision.
func rmsDBFS(s []float32) float64 {
	if len(s) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return 10 * math.Log10(sum/float64(len(s)))
}
