package classify

import (
	"fmt"
	"hash/maphash"

	"github.com/callscribe/callscribe/transcribe"
)

// measureQuality summarises how far a transcript can be trusted. Fields a
// transcript does not carry (plain text has no log-probabilities) stay zero,
// which every check below reads as "unknown", never as "bad".
func measureQuality(segs []transcribe.Segment, toks []token, segOf []int, ngram int) Quality {
	q := Quality{Segments: len(segs)}
	wordsIn := make([]int, len(segs))
	lastStart := -1
	for i, t := range toks {
		// Expanded contractions share their word's span: count words once.
		if i > 0 && segOf[i] == segOf[i-1] && t.start == lastStart {
			continue
		}
		lastStart = t.start
		wordsIn[segOf[i]]++
		q.Words++
	}
	var logProbSum float64
	for i, s := range segs {
		if d := s.End - s.Start; d > 0 {
			q.SpeechSeconds += d.Seconds()
		}
		if wordsIn[i] == 0 {
			continue
		}
		logProbSum += s.AvgLogProb * float64(wordsIn[i])
		q.MaxNoSpeechProb = max(q.MaxNoSpeechProb, s.NoSpeechProb)
	}
	if q.Words > 0 {
		q.AvgLogProb = logProbSum / float64(q.Words)
	}
	q.RepetitionRatio, q.LongestRepeatWords = repetition(toks, ngram)
	return q
}

// repetition measures how much of the text repeats itself: the share of
// word n-grams that repeat an earlier one, and the longest run of words
// covered only by such repeats. Ordinary speech repeats a little ("date of
// birth", a phone number read back); Whisper's failure mode on silence and
// noise is a loop of one phrase, which drives the share towards 1 and the
// run to the length of the loop.
func repetition(toks []token, n int) (ratio float64, longestWords int) {
	total := len(toks) - n + 1
	if total <= 0 {
		return 0, 0
	}
	// N-grams are compared by a 64-bit hash of their words; a collision
	// between two different n-grams of one call is vanishingly unlikely.
	seed := maphash.MakeSeed()
	words := make([]uint64, len(toks))
	for i, t := range toks {
		words[i] = maphash.String(seed, t.norm)
	}
	seen := make(map[uint64]struct{}, total)
	repeats, run, longest := 0, 0, 0
	for i := range total {
		var key uint64
		for _, w := range words[i : i+n] {
			key = key*0x100000001b3 ^ w
		}
		if _, dup := seen[key]; dup {
			repeats++
			run++
			longest = max(longest, run)
			continue
		}
		run = 0
		seen[key] = struct{}{}
	}
	if longest > 0 {
		longestWords = longest + n - 1
	}
	return float64(repeats) / float64(total), longestWords
}

// qualityProblems lists, as reasons, every way in which the transcript falls
// short of the configured limits. Any problem makes the call uncertain: a
// label drawn from an untrustworthy transcript would decide what happens to
// a patient's data on evidence nobody heard.
func (c *Classifier) qualityProblems(q Quality) []string {
	lim := c.quality
	var p []string
	if q.Segments == 0 || q.Words == 0 {
		return []string{"the transcript holds no speech"}
	}
	if q.Words < lim.MinWords {
		p = append(p, fmt.Sprintf("the transcript has only %d words (fewer than %d)", q.Words, lim.MinWords))
	}
	if q.AvgLogProb != 0 && q.AvgLogProb < lim.MinAvgLogProb {
		p = append(p, fmt.Sprintf("Whisper was unsure of the words (average log-probability %.2f, below %.2f)", q.AvgLogProb, lim.MinAvgLogProb))
	}
	if q.MaxNoSpeechProb > lim.MaxNoSpeechProb {
		p = append(p, fmt.Sprintf("a segment was probably not speech (no-speech probability %.2f, above %.2f), so its text may be invented", q.MaxNoSpeechProb, lim.MaxNoSpeechProb))
	}
	if q.RepetitionRatio > lim.MaxRepetitionRatio {
		p = append(p, fmt.Sprintf("the transcript repeats itself (%.0f%% of %d-word phrases are repeats, above %.0f%%), a sign of a Whisper repetition loop", 100*q.RepetitionRatio, lim.RepetitionNGram, 100*lim.MaxRepetitionRatio))
	} else if q.LongestRepeatWords > lim.MaxRepeatRunWords {
		p = append(p, fmt.Sprintf("part of the transcript repeats itself (%d words in a row only repeat earlier phrases, more than %d), a sign of a Whisper repetition loop", q.LongestRepeatWords, lim.MaxRepeatRunWords))
	}
	return p
}
