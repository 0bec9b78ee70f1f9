//go:build race

package pgp

// raceEnabled: the race detector slows crypto tenfold and inflates the heap,
// so memory-bound tests skip under it.
const raceEnabled = true
