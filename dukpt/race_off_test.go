//go:build !race

package dukpt

const raceEnabled = false
