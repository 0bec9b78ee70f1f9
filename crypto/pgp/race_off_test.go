//go:build !race

package pgp

const raceEnabled = false
