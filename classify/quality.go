package classify

import (
	"fmt"
	"slices"

	"github.com/callscribe/callscribe/transcribe"
)

// measureQuality summarises how far a transcript can be trusted and says
// which segments are doubtful. Fields a transcript does not carry (plain
// text has no log-probabilities) stay zero, which every check below reads as
// "unknown", never as "bad".
func (c *Classifier) measureQuality(s *scratch, segs []transcribe.Segment) (Quality, []bool) {
	lim := c.quality
	q := Quality{Segments: len(segs)}
	s.wordsIn = resize(s.wordsIn, len(segs))
	// Words come segment by segment: count each segment's in a register.
	lastStart, lastSeg, n := int32(-1), int32(-1), 0
	for i := range s.words {
		w := &s.words[i]
		if w.seg != lastSeg {
			if lastSeg >= 0 {
				s.wordsIn[lastSeg] += n
			}
			lastSeg, n = w.seg, 0
		} else if w.start == lastStart {
			// Expanded contractions share their word's span: count words once.
			continue
		}
		lastStart = w.start
		n++
	}
	if lastSeg >= 0 {
		s.wordsIn[lastSeg] += n
	}
	for _, k := range s.wordsIn {
		q.Words += k
	}
	s.doubtful = resize(s.doubtful, len(segs))
	var logProbSum float64
	for i := range segs {
		sg := &segs[i]
		if d := sg.End - sg.Start; d > 0 {
			q.SpeechSeconds += d.Seconds()
		}
		n := s.wordsIn[i]
		if n == 0 {
			continue
		}
		logProbSum += sg.AvgLogProb * float64(n)
		q.MaxNoSpeechProb = max(q.MaxNoSpeechProb, sg.NoSpeechProb)
		if sg.NoSpeechProb > lim.MaxNoSpeechProb || (sg.AvgLogProb != 0 && sg.AvgLogProb < lim.MinAvgLogProb) {
			s.doubtful[i] = true
			q.DoubtfulWords += n
			q.DoubtfulSegments = append(q.DoubtfulSegments, i)
		}
	}
	if q.Words > 0 {
		q.AvgLogProb = logProbSum / float64(q.Words)
		q.DoubtfulShare = float64(q.DoubtfulWords) / float64(q.Words)
	}
	q.RepetitionRatio, q.LongestRepeatWords = c.repetition(s, lim.RepetitionNGram)
	return q, s.doubtful
}

// resize returns a zeroed slice of length n, reusing b's memory.
func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// repetition measures how much of the text repeats itself: the share of
// word n-grams that repeat an earlier one, and the longest run of words
// covered only by such repeats. Ordinary speech repeats a little ("date of
// birth", a phone number read back); Whisper's failure mode on silence and
// noise is a loop of one phrase, which drives the share towards 1 and the
// run to the length of the loop.
func (c *Classifier) repetition(s *scratch, n int) (ratio float64, longestWords int) {
	total := len(s.words) - n + 1
	if total <= 0 {
		return 0, 0
	}
	// N-grams are compared by a 64-bit hash of their words; a collision
	// between two different n-grams of one call is vanishingly unlikely.
	// The hashes are worked out a word of the n-grams at a time, for all
	// n-grams together: those steps do not wait on each other, where one
	// n-gram's steps each wait on the one before.
	buf := slices.Grow(s.keys[:0], len(s.words)+total)[:len(s.words)+total]
	s.keys = buf
	words, keys := buf[:len(s.words)], buf[len(s.words):]
	for i := range s.words {
		words[i] = s.words[i].hash
	}
	copy(keys, words)
	for k := 1; k < n; k++ {
		for i, h := range words[k : k+total] {
			keys[i] = keys[i]*0x100000001b3 ^ h
		}
	}
	size := 64
	for size < 2*total {
		size *= 2
	}
	s.seen = resize(s.seen, size)
	mask := uint64(size - 1)
	repeats, run, longest := 0, 0, 0
	for _, key := range keys {
		key |= 1
		dup := false
		for at := (key >> 7) & mask; ; at = (at + 1) & mask {
			if s.seen[at] == 0 {
				s.seen[at] = key
				break
			}
			if s.seen[at] == key {
				dup = true
				break
			}
		}
		if dup {
			repeats++
			run++
			longest = max(longest, run)
			continue
		}
		run = 0
	}
	if longest > 0 {
		longestWords = longest + n - 1
	}
	return float64(repeats) / float64(total), longestWords
}

// qualityProblems lists, as reasons, every way in which the transcript falls
// short of the configured limits. Any problem keeps the call from being
// labelled administrative: that label leads to deletion, and an
// untrustworthy transcript may have lost the clinical words that would have
// made it clinical. A single doubtful segment is not a problem (whisper.cpp
// gives every segment of a 30-second window the window's no-speech
// probability, and a window that opens on a ring tone or a pause scores high
// though its words are fine); a large share of doubtful words is.
func (c *Classifier) qualityProblems(q Quality) []string {
	lim := c.quality
	var p []string
	if q.Segments == 0 || q.Words == 0 {
		return []string{"the transcript holds no speech"}
	}
	if q.Words < lim.MinWords {
		p = append(p, fmt.Sprintf("the transcript has only %d words (fewer than %d)", q.Words, lim.MinWords))
	}
	if q.AvgLogProb != 0 && q.AvgLogProb < lim.MinCallAvgLogProb {
		p = append(p, fmt.Sprintf("Whisper was unsure of the words (average log-probability %.2f, below %.2f)", q.AvgLogProb, lim.MinCallAvgLogProb))
	}
	if q.DoubtfulShare > lim.MaxDoubtfulShare {
		p = append(p, fmt.Sprintf("%.0f%% of the words (%d of %d) lie in segments that were probably not speech (no-speech probability above %.2f) or barely understood (log-probability below %.2f), above %.0f%%, so their text may be invented or wrong",
			100*q.DoubtfulShare, q.DoubtfulWords, q.Words, lim.MaxNoSpeechProb, lim.MinAvgLogProb, 100*lim.MaxDoubtfulShare))
	}
	if q.RepetitionRatio > lim.MaxRepetitionRatio {
		p = append(p, fmt.Sprintf("the transcript repeats itself (%.0f%% of %d-word phrases are repeats, above %.0f%%), a sign of a Whisper repetition loop", 100*q.RepetitionRatio, lim.RepetitionNGram, 100*lim.MaxRepetitionRatio))
	} else if q.LongestRepeatWords > lim.MaxRepeatRunWords {
		p = append(p, fmt.Sprintf("part of the transcript repeats itself (%d words in a row only repeat earlier phrases, more than %d), a sign of a Whisper repetition loop", q.LongestRepeatWords, lim.MaxRepeatRunWords))
	}
	return p
}
