package web

// PeakHashes is the most password hashes s has run at once, for tests
// that check the bound without timing anything.
func PeakHashes(s *Server) int { return s.signin.hashes.peakHashes() }

// MaxHashes is the bound on concurrent password hashes.
const MaxHashes = maxHashes
