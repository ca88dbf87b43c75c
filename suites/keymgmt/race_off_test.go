//go:build !race

package keymgmt

const raceEnabled = false
