//go:build !race

package pinpad

// raceEnabled reports a race-detector build: the reference PIN pad then
// declares test-seek by default (see the package documentation).
const raceEnabled = false
